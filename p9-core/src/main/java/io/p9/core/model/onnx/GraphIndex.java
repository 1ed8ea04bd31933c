package io.p9.core.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who makes and who takes each tensor of an ONNX graph, for the edits p9 makes to a model
 * ({@link FeatureTensorEdit}, {@link UnsignedWeights}).
 */
final class GraphIndex {
  final GraphProto graph;
  /** The node that makes each tensor. */
  final Map<String, NodeProto> producers = new HashMap<>();
  /** The nodes that take each tensor, a node once for each input it takes it as. */
  final Map<String, List<NodeProto>> consumers = new HashMap<>();
  final Map<String, TensorProto> initializers = new HashMap<>();
  final Set<String> graphInputs = new HashSet<>();
  final Set<String> graphOutputs = new HashSet<>();
  /** Element types the file declares: graph inputs, outputs, value_info, initializers (these win). */
  final Map<String, Integer> declaredTypes = new HashMap<>();

  GraphIndex(GraphProto graph) {
    this.graph = graph;
    for (NodeProto n : graph.getNodeList()) {
      for (String o : n.getOutputList()) {
        producers.put(o, n);
      }
      for (String i : n.getInputList()) {
        consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
      }
    }
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    for (ValueInfoProto v : graph.getInputList()) {
      graphInputs.add(v.getName());
    }
    for (ValueInfoProto v : graph.getOutputList()) {
      graphOutputs.add(v.getName());
    }
    List<ValueInfoProto> typed = new ArrayList<>(graph.getInputList());
    typed.addAll(graph.getOutputList());
    typed.addAll(graph.getValueInfoList());
    for (ValueInfoProto v : typed) {
      int type = v.getType().getTensorType().getElemType();
      if (type != TensorProto.DataType.UNDEFINED_VALUE) {
        declaredTypes.put(v.getName(), type);
      }
    }
    for (TensorProto t : graph.getInitializerList()) {
      declaredTypes.put(t.getName(), t.getDataType());
    }
  }

  /** How many node inputs take {@code tensor}. */
  int uses(String tensor) {
    return consumers.getOrDefault(tensor, List.of()).size();
  }

  /** Every tensor and node name in the graph (an already edited model holds p9's names). */
  Set<String> takenNames() {
    Set<String> taken = new HashSet<>(producers.keySet());
    taken.addAll(consumers.keySet());
    taken.addAll(initializers.keySet());
    taken.addAll(graphInputs);
    taken.addAll(graphOutputs);
    graph.getNodeList().forEach(n -> taken.add(n.getName()));
    return taken;
  }

  /** {@code base}, or {@code base_1}, {@code base_2}, ... if taken; the name returned is then taken. */
  static String fresh(String base, Set<String> taken) {
    String name = base;
    for (int k = 1; taken.contains(name); k++) {
      name = base + "_" + k;
    }
    taken.add(name);
    return name;
  }
}
