package io.p9.core.testing;

import static io.p9.core.testing.OnnxGraphs.intAttr;
import static io.p9.core.testing.OnnxGraphs.model;
import static io.p9.core.testing.OnnxGraphs.node;
import static io.p9.core.testing.OnnxGraphs.valueInfo;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;

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
    return model(g);
  }

  /** A scalar (no dims) float tensor. */
  private static TensorProto floats(String name, float v) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(v)
        .build();
  }

}
