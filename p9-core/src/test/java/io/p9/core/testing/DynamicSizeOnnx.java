package io.p9.core.testing;

import static io.p9.core.testing.OnnxGraphs.addClassifierHead;
import static io.p9.core.testing.OnnxGraphs.intAttr;
import static io.p9.core.testing.OnnxGraphs.ints;
import static io.p9.core.testing.OnnxGraphs.model;
import static io.p9.core.testing.OnnxGraphs.node;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Random;

/**
 * Small float CNNs generated in memory whose input height and width are dynamic, as a PyTorch export with
 * {@code dynamic_axes={'input': {0: 'n', 2: 'h', 3: 'w'}}} or tf2onnx of a Keras model built with
 * {@code input_shape=(None, None, 3)} gives them, and the tool to fix those dimensions afterwards (the same
 * graph and weights exported at one size):
 *
 * <pre>
 *   NCHW: input [n,3,h,w]                                  NHWC: input [n,h,w,3] → Transpose(0,3,1,2)
 *   → Conv 3x3 stride 2 pad 1 (3→8) → Relu → Conv 3x3 pad 1 (8→{@value #FEATURES}) → Relu
 *   → GlobalAveragePool → {@code pooled} → Flatten → Gemm ({@value #FEATURES}→{@value #CLASSES})
 *   → Softmax → output
 * </pre>
 *
 * <p>{@code featureTensor=auto} takes {@code pooled}: {@value #FEATURES} values whatever the input size, which
 * the strided, padded convolutions make matter to their values.
 */
public final class DynamicSizeOnnx {
  /** Length of the pooled feature vector. */
  public static final int FEATURES = 6;
  public static final int CLASSES = 4;
  /** Dimension value meaning "symbolic" in {@link #withInputDims}. */
  public static final long SYMBOLIC = -1;
  /** Dimension value meaning "unset" (neither value nor name) in {@link #withInputDims}. */
  public static final long UNSET = 0;

  private DynamicSizeOnnx() {}

  /** Input {@code [n,3,h,w]}, all three symbolic. */
  public static byte[] nchw(long seed) {
    return build(seed, false);
  }

  /** Input {@code [n,h,w,3]}, all three symbolic. */
  public static byte[] nhwc(long seed) {
    return build(seed, true);
  }

  /**
   * A network that takes one size only although its input says [n,3,h,w] (as an export with dynamic axes of
   * a classifier whose dense layer reads the flattened map): Conv 1x1 (3→2) → Relu → Flatten → Gemm
   * (2*size*size→{@value #FEATURES}) → Relu → {@code hidden} → Gemm ({@value #FEATURES}→{@value #CLASSES})
   * → output. {@code auto} takes {@code hidden}, which ONNX Runtime computes at {@code size} x {@code size} only.
   */
  public static byte[] ownSizeOnly(long seed, int size) {
    Random r = new Random(seed);
    GraphProto.Builder g = GraphProto.newBuilder().setName("own_size_only");
    g.addInput(valueInfo("input", "n", 3, "h", "w"));
    g.addOutput(valueInfo("output", "n", CLASSES));
    g.addInitializer(floats("conv_w", r, 2, 3, 1, 1));
    g.addInitializer(floats("conv_b", r, 2));
    g.addInitializer(floats("fc1_w", r, FEATURES, 2L * size * size));
    g.addInitializer(floats("fc1_b", r, FEATURES));
    g.addInitializer(floats("fc2_w", r, CLASSES, FEATURES));
    g.addInitializer(floats("fc2_b", r, CLASSES));
    g.addNode(node("Conv", "conv", "input", "conv_w", "conv_b"));
    g.addNode(node("Relu", "relu", "conv"));
    g.addNode(node("Flatten", "flat", "relu").addAttribute(intAttr("axis", 1)));
    g.addNode(node("Gemm", "fc1", "flat", "fc1_w", "fc1_b").addAttribute(intAttr("transB", 1)));
    g.addNode(node("Relu", "hidden", "fc1"));
    g.addNode(node("Gemm", "output", "hidden", "fc2_w", "fc2_b").addAttribute(intAttr("transB", 1)));
    return model(g);
  }

  /**
   * {@code model} with the dimensions of its (single, non-initializer) graph input replaced: a positive value
   * fixes the axis, {@link #SYMBOLIC} names it ({@code d1}, {@code d2}, ...), {@link #UNSET} leaves it without
   * value or name. Nothing else changes (ONNX Runtime infers the other shapes from the input).
   */
  public static byte[] withInputDims(byte[] model, long... dims) {
    return OnnxGraphs.withImageInput(model, s -> {
      s.clearDim();
      for (int d = 0; d < dims.length; d++) {
        s.addDim(dims[d] > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(dims[d])
            : dims[d] == SYMBOLIC ? TensorShapeProto.Dimension.newBuilder().setDimParam("d" + d)
            : TensorShapeProto.Dimension.newBuilder());
      }
    });
  }

  private static byte[] build(long seed, boolean nhwc) {
    Random r = new Random(seed);
    GraphProto.Builder g = GraphProto.newBuilder().setName(nhwc ? "dynamic_nhwc" : "dynamic_nchw");
    g.addInput(nhwc ? valueInfo("input", "n", "h", "w", 3) : valueInfo("input", "n", 3, "h", "w"));
    g.addOutput(valueInfo("output", "n", CLASSES));
    g.addInitializer(floats("conv1_w", r, 8, 3, 3, 3));
    g.addInitializer(floats("conv1_b", r, 8));
    g.addInitializer(floats("conv2_w", r, FEATURES, 8, 3, 3));
    g.addInitializer(floats("conv2_b", r, FEATURES));
    g.addInitializer(floats("fc_w", r, CLASSES, FEATURES));
    g.addInitializer(floats("fc_b", r, CLASSES));
    String x = "input";
    if (nhwc) {
      g.addNode(node("Transpose", "nchw", "input").addAttribute(ints("perm", 0, 3, 1, 2)));
      x = "nchw";
    }
    g.addNode(conv(node("Conv", "conv1", x, "conv1_w", "conv1_b"), 2));
    g.addNode(node("Relu", "relu1", "conv1"));
    g.addNode(conv(node("Conv", "conv2", "relu1", "conv2_w", "conv2_b"), 1));
    g.addNode(node("Relu", "relu2", "conv2"));
    addClassifierHead(g, "relu2");
    return model(g);
  }

  private static NodeProto.Builder conv(NodeProto.Builder n, int stride) {
    return n.addAttribute(ints("kernel_shape", 3, 3)).addAttribute(ints("strides", stride, stride))
        .addAttribute(ints("pads", 1, 1, 1, 1));
  }

  /** A float tensor of N(0, 0.5^2) values. */
  private static TensorProto floats(String name, Random r, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    long n = 1;
    for (long d : dims) {
      t.addDims(d);
      n *= d;
    }
    for (long i = 0; i < n; i++) {
      t.addFloatData((float) (0.5 * r.nextGaussian()));
    }
    return t.build();
  }

  /** A float tensor value info; each dim is a Long (fixed) or a String (symbolic). */
  private static ValueInfoProto valueInfo(String name, Object... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      s.addDim(d instanceof String p ? TensorShapeProto.Dimension.newBuilder().setDimParam(p)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
            .setShape(s))).build();
  }
}
