package io.p9.core.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ONNX Runtime backend: recognises {@code .onnx} files (or ONNX protobuf bytes), edits the graph so the
 * feature tensor is its output ({@link FeatureTensorEdit}) and opens one session. It also takes {@code .ort}
 * files, ONNX Runtime's own format, to refuse them with advice: the graph edit needs the ONNX model.
 */
public final class OnnxBackend implements ModelBackend {

  @Override
  public String name() {
    return "onnx";
  }

  @Override
  public boolean recognizes(String fileName, byte[] head) {
    String n = fileName.toLowerCase(Locale.ROOT);
    if (n.endsWith(".onnx") || n.endsWith(".ort")) {
      return true;
    }
    // ModelProto starts with field 1 (ir_version, varint): tag byte 0x08. Zips (PK) and HDF5 do not.
    return head.length > 1 && head[0] == 0x08 && head[1] > 0 && head[1] < 32;
  }

  /**
   * True if the graph's one image input (an input that is not an initializer) is 4-d with its axes 1 to 3
   * fixed; false if its height or width is dynamic (the model then runs at the size of the options), and for
   * bytes that are not such a model ({@link #load} says why).
   */
  @Override
  public boolean recordsInputSize(ModelBytes model) {
    GraphProto graph;
    try {
      graph = ModelProto.parseFrom(model.bytes()).getGraph();
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
    Set<String> initializers = new HashSet<>();
    graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
    List<ValueInfoProto> inputs = graph.getInputList().stream()
        .filter(i -> !initializers.contains(i.getName())).toList();
    if (inputs.size() != 1 || !inputs.get(0).getType().getTensorType().hasShape()) {
      return false;
    }
    List<TensorShapeProto.Dimension> dims = inputs.get(0).getType().getTensorType().getShape().getDimList();
    if (dims.size() != 4) {
      return false;
    }
    for (int i = 1; i < 4; i++) {
      if (!dims.get(i).hasDimValue() || dims.get(i).getDimValue() <= 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public FeatureModel load(ModelBytes model, ModelOptions options) {
    return OnnxFeatureModel.open(model, options);
  }
}
