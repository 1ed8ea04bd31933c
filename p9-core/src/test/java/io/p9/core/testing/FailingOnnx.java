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

/**
 * Real ONNX models, generated in memory, that ONNX Runtime fails to run on some data: input {@code input}
 * [N,3,S,S] float, output {@code output} [N,3] = the per-channel mean of each image (GlobalAveragePool then
 * Flatten, so {@code featureTensor=auto} takes it). The failure comes from a Gather over a one-element table:
 *
 * <pre>
 *   idx    = Cast&lt;int64&gt;(ReduceMax(x over the whole batch) / threshold)    x = input, or |input|
 *   zero   = Gather(table = [0.0], idx)                  ORT fails unless idx is 0 or -1 ("indices element
 *                                                        out of data bounds")
 *   output = Flatten(GlobalAveragePool(input + zero))    zero is 0: the features are the channel means
 * </pre>
 *
 * <p>The maximum is over the whole batch, so a batch with one image at or above the threshold fails as a
 * whole, and each of its other images runs alone. A tensor of zeros (what ONNX Runtime is probed with when the
 * model is opened) always runs.
 */
public final class FailingOnnx {
  private FailingOnnx() {}

  /**
   * Fails on a batch whose largest value is {@code >= threshold} (e.g. 0.9: a white pixel under unit scaling);
   * meant for inputs that are not negative, as under unit scaling (a largest value of {@code -2 * threshold}
   * or less fails too: Gather takes indices down to -1 here).
   */
  public static byte[] failsAtOrAbove(int size, float threshold) {
    return build(size, threshold, false);
  }

  /**
   * Fails on a batch with any value whose magnitude is {@code >= 0.001}: on every image whose preprocessing
   * does not map all its pixels to 0, while a tensor of zeros runs.
   */
  public static byte[] failsOnNonZero(int size) {
    return build(size, 0.001f, true);
  }

  private static byte[] build(int size, float threshold, boolean magnitude) {
    GraphProto.Builder g = GraphProto.newBuilder()
        .setName(magnitude ? "fails_on_non_zero" : "fails_when_bright");
    g.addInput(valueInfo("input", TensorProto.DataType.FLOAT_VALUE, -1, 3, size, size));
    g.addOutput(valueInfo("output", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    g.addInitializer(floats("inv_threshold", 1f / threshold));
    g.addInitializer(floats("table", 0f).toBuilder().addDims(1).build());
    String reduced = "input";
    if (magnitude) {
      g.addNode(node("Abs", "abs", "input"));
      reduced = "abs";
    }
    g.addNode(node("ReduceMax", "batch_max", reduced).addAttribute(intAttr("keepdims", 0)));
    g.addNode(node("Mul", "scaled", "batch_max", "inv_threshold"));
    g.addNode(node("Cast", "idx", "scaled").addAttribute(intAttr("to", TensorProto.DataType.INT64_VALUE)));
    g.addNode(node("Gather", "zero", "table", "idx"));
    g.addNode(node("Add", "shifted", "input", "zero"));
    g.addNode(node("GlobalAveragePool", "pooled", "shifted"));
    g.addNode(node("Flatten", "output", "pooled").addAttribute(intAttr("axis", 1)));
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("p9-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  private static NodeProto.Builder node(String op, String out, String... in) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_node").addOutput(out);
    for (String i : in) {
      n.addInput(i);
    }
    return n;
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setI(v).setType(AttributeProto.AttributeType.INT).build();
  }

  /** A scalar (no dims) float tensor. */
  private static TensorProto floats(String name, float v) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(v)
        .build();
  }

  private static ValueInfoProto valueInfo(String name, int type, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }
}
