package io.p9.core.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/** Building blocks of the ONNX graphs the test fixtures generate (IR 7, default opset 13). */
public final class OnnxGraphs {
  private OnnxGraphs() {}

  /** The serialized model of graph {@code g}. */
  public static byte[] model(GraphProto.Builder g) {
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("p9-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  /** A node named {@code <out>_node} computing {@code out} from {@code in}. */
  public static NodeProto.Builder node(String op, String out, String... in) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_node").addOutput(out);
    for (String i : in) {
      n.addInput(i);
    }
    return n;
  }

  /**
   * Appends the classifier head the test networks share to {@code g}, on the map {@code from}:
   * GlobalAveragePool ({@code pooled}), Flatten ({@code flat}, the pooled feature vector), Gemm with the
   * initializers {@code fc_w} and {@code fc_b} ({@code logits}) and Softmax ({@code output}).
   */
  public static void addClassifierHead(GraphProto.Builder g, String from) {
    g.addNode(node("GlobalAveragePool", "pooled", from));
    g.addNode(node("Flatten", "flat", "pooled").addAttribute(intAttr("axis", 1)));
    g.addNode(node("Gemm", "logits", "flat", "fc_w", "fc_b").addAttribute(intAttr("transB", 1)));
    g.addNode(node("Softmax", "output", "logits"));
  }

  public static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setI(v).setType(AttributeProto.AttributeType.INT).build();
  }

  public static AttributeProto ints(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  /** A float tensor of {@code data} with shape {@code dims}. */
  public static TensorProto floats(String name, float[] data, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    for (float f : data) {
      t.addFloatData(f);
    }
    return t.build();
  }

  /** A tensor value info of element {@code type}; a negative dim is the symbolic {@code N}. */
  public static ValueInfoProto valueInfo(String name, int type, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }

  /**
   * {@code model} with the shape of its single image input (the one graph input that is no initializer; older
   * exports list the weights as inputs too) edited by {@code shape}. Nothing else changes: ONNX Runtime infers
   * the other shapes from the input.
   */
  public static byte[] withImageInput(byte[] model, Consumer<TensorShapeProto.Builder> shape) {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model", e);
    }
    GraphProto.Builder g = m.getGraph().toBuilder();
    Set<String> initializers = new HashSet<>();
    g.getInitializerList().forEach(t -> initializers.add(t.getName()));
    int changed = 0;
    for (int i = 0; i < g.getInputCount(); i++) {
      if (initializers.contains(g.getInput(i).getName())) {
        continue;
      }
      ValueInfoProto.Builder b = g.getInput(i).toBuilder();
      shape.accept(b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder());
      g.setInput(i, b);
      changed++;
    }
    if (changed != 1) {
      throw new IllegalArgumentException("expected one image input, found " + changed);
    }
    return m.toBuilder().setGraph(g).build().toByteArray();
  }
}
