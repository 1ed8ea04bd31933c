package io.p9.core.testing;

import static io.p9.core.testing.OnnxGraphs.addClassifierHead;
import static io.p9.core.testing.OnnxGraphs.floats;
import static io.p9.core.testing.OnnxGraphs.intAttr;
import static io.p9.core.testing.OnnxGraphs.model;
import static io.p9.core.testing.OnnxGraphs.node;
import static io.p9.core.testing.OnnxGraphs.valueInfo;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Small real CNNs, generated in memory, whose image input is not float32, each with a float32 twin of the
 * same weights: what users bring from converters. The network is a 1x1 Conv (3 → C) → Relu →
 * GlobalAveragePool ({@code pooled}, what {@code featureTensor=auto} finds) → Flatten → Gemm (C → K) →
 * Softmax, over [N,3,S,S] or [N,S,S,3] (a Transpose to NCHW first). Its pooled features are computable by
 * hand ({@link #expectedFeatures}).
 *
 * <ul>
 *   <li>{@link #castInput}: an input of any ONNX type, then {@code Cast} to float, then the float network
 *       (what exports that take uint8 pixels, or keep a float64 signature, look like). Optionally an in-graph
 *       normalization {@code x * a[c] + b[c]} right after the Cast, as models that take raw pixels do;
 *   <li>{@link #allHalf}: input, weights and output in float16, as onnxconverter-common's
 *       {@code convert_float_to_float16(model)} (without {@code keep_io_types}) converts a float model.
 * </ul>
 */
public final class TypedInputOnnx {
  public final int channels;
  public final int classes;
  public final int size;
  /** Whether the input is NHWC ([N,S,S,3]); else NCHW. */
  public final boolean nhwc;
  final float[] convW;
  final float[] convB;
  final float[] gemmW;
  final float[] gemmB;

  public TypedInputOnnx(int channels, int classes, int size, boolean nhwc, long seed) {
    this.channels = channels;
    this.classes = classes;
    this.size = size;
    this.nhwc = nhwc;
    Random r = new Random(seed);
    convW = gaussian(r, channels * 3);
    convB = gaussian(r, channels);
    gemmW = gaussian(r, classes * channels);
    gemmB = gaussian(r, classes);
  }

  private static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /**
   * The pooled features of one image given as the network's float input after any in-graph normalization,
   * in NCHW order ({@code image[c * S * S + y * S + x]}), computed in double.
   */
  public float[] expectedFeatures(float[] nchwImage) {
    int hw = size * size;
    float[] out = new float[channels];
    for (int c = 0; c < channels; c++) {
      double sum = 0;
      for (int p = 0; p < hw; p++) {
        double v = convB[c];
        for (int k = 0; k < 3; k++) {
          v += convW[c * 3 + k] * (double) nchwImage[k * hw + p];
        }
        sum += Math.max(0, v);
      }
      out[c] = (float) (sum / hw);
    }
    return out;
  }

  /** The float32 model of these weights. */
  public byte[] float32() {
    return castInput(TensorProto.DataType.FLOAT_VALUE, null, null);
  }

  /**
   * Input of ONNX type {@code dataType} ({@code TensorProto.DataType}), cast to float; if {@code scale} is
   * not null, then multiplied by {@code scale[c]} and added {@code shift[c]} per channel (NCHW channel c).
   */
  public byte[] castInput(int dataType, float[] scale, float[] shift) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("typed_input");
    g.addInput(valueInfo("input", dataType, inputDims()));
    g.addOutput(valueInfo("output", TensorProto.DataType.FLOAT_VALUE, -1, classes));
    g.addNode(node("Cast", "as_float", "input").addAttribute(intAttr("to", TensorProto.DataType.FLOAT_VALUE)));
    String x = nchw(g, "as_float");
    if (scale != null) {
      g.addInitializer(floats("norm_a", scale, 1, 3, 1, 1)).addInitializer(floats("norm_b", shift, 1, 3, 1, 1));
      g.addNode(node("Mul", "scaled", x, "norm_a"));
      g.addNode(node("Add", "normalized", "scaled", "norm_b"));
      x = "normalized";
    }
    g.addInitializer(floats("conv_w", convW, channels, 3, 1, 1)).addInitializer(floats("conv_b", convB, channels))
        .addInitializer(floats("fc_w", gemmW, classes, channels)).addInitializer(floats("fc_b", gemmB, classes));
    network(g, x);
    return model(g);
  }

  /** Everything in float16: input, weights (these weights rounded to float16) and output. */
  public byte[] allHalf() {
    int half = TensorProto.DataType.FLOAT16_VALUE;
    GraphProto.Builder g = GraphProto.newBuilder().setName("all_half");
    g.addInput(valueInfo("input", half, inputDims()));
    g.addOutput(valueInfo("output", half, -1, classes));
    g.addInitializer(halves("conv_w", convW, channels, 3, 1, 1)).addInitializer(halves("conv_b", convB, channels))
        .addInitializer(halves("fc_w", gemmW, classes, channels)).addInitializer(halves("fc_b", gemmB, classes));
    network(g, nchw(g, "input"));
    return model(g);
  }

  private long[] inputDims() {
    return nhwc ? new long[] {-1, size, size, 3} : new long[] {-1, 3, size, size};
  }

  /** Appends a Transpose to NCHW for an NHWC input; returns the NCHW tensor's name. */
  private String nchw(GraphProto.Builder g, String x) {
    if (!nhwc) {
      return x;
    }
    g.addNode(node("Transpose", "to_nchw", x).addAttribute(AttributeProto.newBuilder().setName("perm")
        .addInts(0).addInts(3).addInts(1).addInts(2).setType(AttributeProto.AttributeType.INTS)));
    return "to_nchw";
  }

  private static void network(GraphProto.Builder g, String x) {
    g.addNode(node("Conv", "conv", x, "conv_w", "conv_b"));
    g.addNode(node("Relu", "relu", "conv"));
    addClassifierHead(g, "relu");
  }

  /** {@code data} rounded to float16 by {@link Half#bits}, as little-endian raw data. */
  private static TensorProto halves(String name, float[] data, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT16_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    ByteBuffer raw = ByteBuffer.allocate(2 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      raw.putShort(Half.bits(f));
    }
    return t.setRawData(ByteString.copyFrom(raw.array())).build();
  }

}
