package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.testing.RepoData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Int8 weights rewritten as uint8 where the CPU's int8 dot product saturates: exact, and only where wanted. */
class UnsignedWeightsTest {
  static final int SIZE = 4;
  static final int KERNELS = 2;

  static final int U8 = TensorProto.DataType.UINT8_VALUE;
  static final int I8 = TensorProto.DataType.INT8_VALUE;

  /**
   * image (float, 1x3xSIZExSIZE) → QuantizeLinear (scale 1, uint8) → QLinearConv 1x1 with int8 weights
   * {@code weights} (KERNELS x 3), output scale 1000 → DequantizeLinear → Flatten → features.
   */
  static byte[] model(byte[] weights) {
    return model(convInputs(weights, U8, 0).addInitializer(scalar("wz", I8, 0))
        .addNode(node("QLinearConv", "yq", "xq", "one", "xz", "w", "one", "wz", "ys", "yz"))
        .addNode(node("DequantizeLinear", "y", "yq", "ys", "yz")));
  }

  /**
   * The same convolution as QDQ, as {@code quantize_static} writes it: image → QuantizeLinear (scale 1, zero point
   * {@code zeroPoint} of type {@code activations}) → DequantizeLinear, and int8 weights → DequantizeLinear (zero
   * point {@code wz} int8 0), into a float Conv → QuantizeLinear/DequantizeLinear (scale 1000) → Flatten.
   */
  static GraphProto.Builder qdq(byte[] weights, int activations, int zeroPoint) {
    return qdq(weights, activations, zeroPoint, node("DequantizeLinear", "wd", "w", "one", "wz"))
        .addInitializer(scalar("wz", I8, 0));
  }

  /** {@link #qdq(byte[], int, int)} with {@code weightDequantize} (output {@code wd}) for the weights' node. */
  static GraphProto.Builder qdq(byte[] weights, int activations, int zeroPoint, NodeProto weightDequantize) {
    return convInputs(weights, activations, zeroPoint)
        .addNode(node("DequantizeLinear", "xd", "xq", "one", "xz")).addNode(weightDequantize)
        .addNode(node("Conv", "yf", "xd", "wd"))
        .addNode(node("QuantizeLinear", "yq", "yf", "ys", "yz"))
        .addNode(node("DequantizeLinear", "y", "yq", "ys", "yz"));
  }

  /** The initializers and first node of a 1x1 convolution of int8 {@code weights}: image → QuantizeLinear → xq. */
  private static GraphProto.Builder convInputs(byte[] weights, int activations, int zeroPoint) {
    return GraphProto.newBuilder().setName("q")
        .addInitializer(floatScalar("one", 1f)).addInitializer(scalar("xz", activations, zeroPoint))
        .addInitializer(TensorProto.newBuilder().setName("w").setDataType(I8).addAllDims(List.of((long) KERNELS, 3L,
            1L, 1L)).setRawData(ByteString.copyFrom(weights)))
        .addInitializer(floatScalar("ys", 1000f)).addInitializer(scalar("yz", activations, zeroPoint))
        .addNode(node("QuantizeLinear", "xq", "image", "one", "xz"));
  }

  /** {@code g}, ending in a node with output {@code y}, → Flatten → features, as a model of image → features. */
  static byte[] model(GraphProto.Builder g) {
    return model(g, TensorProto.DataType.FLOAT_VALUE);
  }

  /** {@link #model(GraphProto.Builder)} whose image input is of element type {@code imageType}. */
  static byte[] model(GraphProto.Builder g, int imageType) {
    g.addNode(node("Flatten", "features", "y"))
        .addInput(ValueInfoProto.newBuilder().setName("image").setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(imageType).setShape(shape(1, 3, SIZE, SIZE)))))
        .addOutput(ValueInfoProto.newBuilder().setName("features").setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
    return ModelProto.newBuilder().setIrVersion(7).setProducerName("p9-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray();
  }

  private static NodeProto node(String op, String out, String... in) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_" + op).addAllInput(List.of(in))
        .addOutput(out);
    if (op.equals("Flatten")) {
      n.addAttribute(AttributeProto.newBuilder().setName("axis").setI(1).setType(AttributeProto.AttributeType.INT));
    } else if (op.equals("Cast")) {
      n.addAttribute(AttributeProto.newBuilder().setName("to").setI(TensorProto.DataType.FLOAT_VALUE)
          .setType(AttributeProto.AttributeType.INT));
    }
    return n.build();
  }

  private static TensorProto scalar(String name, int type, int value) {
    return TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(new byte[] {
        (byte) value})).build();
  }

  private static TensorProto floatScalar(String name, float value) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value)
            .array())).build();
  }

  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return s.build();
  }

  /** The model's features for an image of {@code pixels} (3 x SIZE x SIZE values 0..255). */
  static float[] features(byte[] model, float[] pixels) {
    try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("q.onnx", model),
        ModelOptions.defaults().withFeatureTensor("features"))) {
      FloatBuffer in = ByteBuffer.allocateDirect(pixels.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      in.put(pixels).flip();
      float[] out = new float[m.info().featureDim()];
      m.run(in, 1, out);
      return out;
    }
  }

  /** The model in exact integer arithmetic: per kernel, sum of pixel x weight / 1000, rounded half to even. */
  static float[] exact(byte[] weights, float[] pixels) {
    float[] out = new float[KERNELS * SIZE * SIZE];
    for (int k = 0; k < KERNELS; k++) {
      for (int p = 0; p < SIZE * SIZE; p++) {
        long sum = 0;
        for (int c = 0; c < 3; c++) {
          sum += (long) pixels[c * SIZE * SIZE + p] * weights[k * 3 + c];
        }
        out[k * SIZE * SIZE + p] = 1000f * Math.min(255, Math.max(0, (long) Math.rint(sum / 1000.0)));
      }
    }
    return out;
  }

  @Test
  void u8s8ProductsThatSaturateAnInt16PairComeOutExact() {
    // 255 x 127 + 255 x 127 = 64,770: above 32,767, where VPMADDUBSW (x86-64 without VNNI) saturates
    byte[] w = {127, 127, 127, 100, 100, 100};
    float[] px = new float[3 * SIZE * SIZE];
    Arrays.fill(px, 255f);
    assertThat(features(model(w), px)).containsExactly(exact(w, px));
  }

  @Test
  void randomWeightsAndPixelsComeOutExact() {
    Random r = new Random(17);
    for (int trial = 0; trial < 20; trial++) {
      byte[] w = randomWeights(r);
      float[] px = randomPixels(r);
      assertThat(features(model(w), px)).as("trial %d", trial).containsExactly(exact(w, px));
    }
  }

  @Test
  void qdqConvolutionsComeOutExactWithUint8OrInt8Activations() {
    // without the rewrite, on an AVX2 CPU without VNNI, both gave 65,000 instead of 97,000 here
    byte[] w = {127, 127, 127, 100, 100, 100};
    float[] px = new float[3 * SIZE * SIZE];
    Arrays.fill(px, 255f);
    Random r = new Random(29);
    for (int[] activations : new int[][] {{U8, 0}, {I8, -128}}) {
      String type = activations[0] == U8 ? "uint8" : "int8";
      assertThat(features(model(qdq(w, activations[0], activations[1])), px)).as(type).containsExactly(exact(w, px));
      for (int trial = 0; trial < 10; trial++) {
        byte[] rw = randomWeights(r);
        float[] rpx = randomPixels(r);
        assertThat(features(model(qdq(rw, activations[0], activations[1])), rpx)).as("%s trial %d", type, trial)
            .containsExactly(exact(rw, rpx));
      }
    }
  }

  @Test
  void aQdqWeightWithoutZeroPointGetsAUint8OneOfItsScalesShape() throws Exception {
    byte[] w = {127, 127, 127, -128, 1, 0};
    NodeProto perChannel = node("DequantizeLinear", "wd", "w", "scales").toBuilder().addAttribute(AttributeProto
        .newBuilder().setName("axis").setI(0).setType(AttributeProto.AttributeType.INT)).build();
    byte[] model = model(qdq(w, U8, 0, perChannel).addInitializer(TensorProto.newBuilder().setName("scales")
        .setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(KERNELS).addFloatData(1f).addFloatData(1f)));
    GraphProto g = ModelProto.parseFrom(UnsignedWeights.rewrite(model)).getGraph();
    assertThat(initializer(g, "w").getRawData().toByteArray()).containsExactly((byte) 255, (byte) 255, (byte) 255,
        0, (byte) 129, (byte) 128);
    NodeProto dq = g.getNodeList().stream().filter(n -> n.getOutput(0).equals("wd")).findFirst().orElseThrow();
    assertThat(dq.getInputList()).containsExactly("w", "scales", "w_p9_uint8_zero_point");
    TensorProto zero = initializer(g, "w_p9_uint8_zero_point");
    assertThat(zero.getDataType()).isEqualTo(U8);
    assertThat(zero.getDimsList()).containsExactly((long) KERNELS);
    assertThat(zero.getRawData().toByteArray()).containsExactly((byte) 128, (byte) 128);
    float[] px = new float[3 * SIZE * SIZE];
    Arrays.fill(px, 255f);
    assertThat(features(model, px)).containsExactly(exact(w, px));
  }

  @Test
  void aZeroPointSharedWithTheActivationsGetsAUint8CopyOfItsOwn() throws Exception {
    // int8 activations, zero point 0: 127 quantizes to 127, which ONNX Runtime runs as uint8 255
    byte[] w = {127, 127, 127, 100, 100, 100};
    byte[] model = model(qdq(w, I8, 0, node("DequantizeLinear", "wd", "w", "one", "xz")));
    GraphProto g = ModelProto.parseFrom(UnsignedWeights.rewrite(model)).getGraph();
    assertThat(initializer(g, "xz").getDataType()).isEqualTo(I8);
    assertThat(initializer(g, "w").getDataType()).isEqualTo(U8);
    NodeProto dq = g.getNodeList().stream().filter(n -> n.getOutput(0).equals("wd")).findFirst().orElseThrow();
    assertThat(dq.getInput(2)).isEqualTo("w_p9_uint8_zero_point");
    assertThat(initializer(g, "w_p9_uint8_zero_point").getRawData().toByteArray()).containsExactly((byte) 128);
    float[] px = new float[3 * SIZE * SIZE];
    Arrays.fill(px, 127f);
    assertThat(features(model, px)).containsExactly(exact(w, px));
  }

  /**
   * What {@code quantize_dynamic} writes: image → Flatten → DynamicQuantizeLinear (uint8; scale 1 and zero point
   * 0 for pixels 0..255 with a 255) → MatMulInteger with int8 weights {@code weights} (48 x 2), zero point 0 if
   * {@code zeroPoint} → Cast → features.
   */
  static byte[] matMulInteger(byte[] weights, boolean zeroPoint) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("d")
        .addInitializer(TensorProto.newBuilder().setName("w").setDataType(I8).addAllDims(List.of(3L * SIZE * SIZE,
            2L)).setRawData(ByteString.copyFrom(weights)))
        .addNode(node("Flatten", "x", "image"))
        .addNode(NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName("dq").addInput("x")
            .addAllOutput(List.of("xq", "xs", "xz")));
    if (zeroPoint) {
      g.addInitializer(scalar("wz", I8, 0)).addNode(node("MatMulInteger", "yi", "xq", "w", "xz", "wz"));
    } else {
      g.addNode(node("MatMulInteger", "yi", "xq", "w", "xz"));
    }
    return model(g.addNode(node("Cast", "y", "yi")));
  }

  @Test
  void matMulIntegerAfterDynamicQuantizationComesOutExact() throws Exception {
    // without the rewrite, on an AVX2 CPU without VNNI: 786,408 (24 pairs cut at 32,767) instead of 1,554,480
    Random r = new Random(31);
    for (boolean zeroPoint : new boolean[] {true, false}) {
      for (int trial = 0; trial < 6; trial++) {
        byte[] w = new byte[3 * SIZE * SIZE * 2];
        float[] px = new float[3 * SIZE * SIZE];
        Arrays.fill(w, (byte) 127);
        Arrays.fill(px, 255f);
        if (trial > 0) {
          r.nextBytes(w);
          px = randomPixels(r);
          px[0] = 255f;
        }
        float[] exact = new float[2];
        for (int i = 0; i < px.length; i++) {
          for (int j = 0; j < 2; j++) {
            exact[j] += px[i] * w[i * 2 + j];
          }
        }
        byte[] model = matMulInteger(w, zeroPoint);
        assertThat(features(model, px)).as("zero point %s, trial %d", zeroPoint, trial).containsExactly(exact);
      }
      GraphProto g = ModelProto.parseFrom(UnsignedWeights.rewrite(matMulInteger(new byte[96], zeroPoint)))
          .getGraph();
      NodeProto mm = g.getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger")).findFirst()
          .orElseThrow();
      assertThat(initializer(g, "w").getDataType()).isEqualTo(U8);
      assertThat(initializer(g, mm.getInput(3)).getRawData().toByteArray()).containsExactly((byte) 128);
    }
  }

  /**
   * MatMulInteger whose uint8 activations p9 can only tell from types: the pixels of a uint8 image input, or a
   * QuantizeLinear without a zero point (uint8 by default), through a Flatten; weights of 127 against pixels of
   * 255 saturate without the rewrite.
   */
  @Test
  void matMulIntegerOnUint8PixelsOrDefaultQuantizationComesOutExact() throws Exception {
    byte[] w = new byte[3 * SIZE * SIZE * 2];
    Arrays.fill(w, (byte) 127);
    float[] px = new float[3 * SIZE * SIZE];
    Arrays.fill(px, 255f);
    float[] exact = new float[2];
    Arrays.fill(exact, 255f * 127 * px.length);
    TensorProto weights = TensorProto.newBuilder().setName("w").setDataType(I8)
        .addAllDims(List.of(3L * SIZE * SIZE, 2L)).setRawData(ByteString.copyFrom(w)).build();
    byte[] onPixels = model(GraphProto.newBuilder().setName("u").addInitializer(weights)
        .addNode(node("Flatten", "x", "image")).addNode(node("MatMulInteger", "yi", "x", "w"))
        .addNode(node("Cast", "y", "yi")), U8);
    byte[] quantized = model(GraphProto.newBuilder().setName("u").addInitializer(weights)
        .addInitializer(floatScalar("one", 1f)).addNode(node("QuantizeLinear", "q", "image", "one"))
        .addNode(node("Flatten", "x", "q")).addNode(node("MatMulInteger", "yi", "x", "w"))
        .addNode(node("Cast", "y", "yi")));
    for (byte[] model : List.of(onPixels, quantized)) {
      assertThat(UnsignedWeights.rewrite(model)).isNotNull();
      assertThat(features(model, px)).containsExactly(exact);
    }
  }

  private static TensorProto initializer(GraphProto g, String name) {
    return g.getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  /** KERNELS x 3 weights 0..127, so that sums are not all clamped to the uint8 output's 0. */
  private static byte[] randomWeights(Random r) {
    byte[] w = new byte[KERNELS * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) r.nextInt(128);
    }
    return w;
  }

  private static float[] randomPixels(Random r) {
    float[] px = new float[3 * SIZE * SIZE];
    for (int i = 0; i < px.length; i++) {
      px[i] = r.nextInt(256);
    }
    return px;
  }

  @Test
  void theRewriteShiftsWeightsAndZeroPointsBy128() throws Exception {
    byte[] rewritten = UnsignedWeights.rewrite(model(new byte[] {127, -128, 0, 1, -1, 5}));
    GraphProto g = ModelProto.parseFrom(rewritten).getGraph();
    TensorProto w = initializer(g, "w");
    TensorProto wz = initializer(g, "wz");
    assertThat(w.getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
    assertThat(w.getRawData().toByteArray()).containsExactly((byte) 255, 0, (byte) 128, (byte) 129, 127,
        (byte) 133);
    assertThat(wz.getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
    assertThat(wz.getRawData().toByteArray()).containsExactly((byte) 128);
  }

  @Test
  void theZooModelHas53NodesRewrittenAndAFloatModelNone() throws Exception {
    byte[] zoo = Files.readAllBytes(RepoData.mobilenet());
    GraphProto before = ModelProto.parseFrom(zoo).getGraph();
    GraphProto after = ModelProto.parseFrom(UnsignedWeights.rewrite(zoo)).getGraph();
    long int8Before = before.getInitializerList().stream().filter(t -> t.getDataType() == 3).count();
    long int8After = after.getInitializerList().stream().filter(t -> t.getDataType() == 3).count();
    // 52 QLinearConv + 1 QLinearMatMul, each a weight and its zero point
    assertThat(int8Before - int8After).isEqualTo(106);
    assertThat(after.getNodeList()).isEqualTo(before.getNodeList());
    assertThat(UnsignedWeights.rewrite(new TinyOnnx(4, 5, 6, 3).bytes())).isNull();
  }

  @Test
  void onlyX8664CpusWithoutVnniSaturate() {
    String avx2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu avx2\n";
    assertThat(UnsignedWeights.saturates("amd64", avx2)).isTrue();
    assertThat(UnsignedWeights.saturates("amd64", avx2.replace("avx2 fma", "avx2 avx512f avx512_vnni")))
        .isFalse();
    assertThat(UnsignedWeights.saturates("amd64", avx2.replace("avx2 fma", "avx2 avx_vnni"))).isFalse();
    assertThat(UnsignedWeights.saturates("x86_64", avx2)).isTrue();
    assertThat(UnsignedWeights.saturates("amd64", null)).isTrue();
    assertThat(UnsignedWeights.saturates("aarch64", avx2)).isFalse();
    assertThat(UnsignedWeights.saturates("aarch64", null)).isFalse();
  }
}
