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

  /**
   * image (float, 1x3xSIZExSIZE) → QuantizeLinear (scale 1, uint8) → QLinearConv 1x1 with int8 weights
   * {@code weights} (KERNELS x 3), output scale 1000 → DequantizeLinear → Flatten → features.
   */
  static byte[] model(byte[] weights) {
    int u8 = TensorProto.DataType.UINT8_VALUE;
    int i8 = TensorProto.DataType.INT8_VALUE;
    GraphProto.Builder g = GraphProto.newBuilder().setName("q")
        .addInitializer(floatScalar("one", 1f)).addInitializer(scalar("xz", u8, 0))
        .addInitializer(TensorProto.newBuilder().setName("w").setDataType(i8).addAllDims(List.of((long) KERNELS, 3L,
            1L, 1L)).setRawData(ByteString.copyFrom(weights)))
        .addInitializer(scalar("wz", i8, 0)).addInitializer(floatScalar("ys", 1000f))
        .addInitializer(scalar("yz", u8, 0))
        .addNode(node("QuantizeLinear", "xq", "image", "one", "xz"))
        .addNode(node("QLinearConv", "yq", "xq", "one", "xz", "w", "one", "wz", "ys", "yz"))
        .addNode(node("DequantizeLinear", "y", "yq", "ys", "yz"))
        .addNode(node("Flatten", "features", "y"))
        .addInput(ValueInfoProto.newBuilder().setName("image").setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape(1, 3, SIZE,
                SIZE)))))
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
      byte[] w = new byte[KERNELS * 3];
      for (int i = 0; i < w.length; i++) {
        // non-negative sums, so that the uint8 output does not clamp them all to 0
        w[i] = (byte) r.nextInt(128);
      }
      float[] px = new float[3 * SIZE * SIZE];
      for (int i = 0; i < px.length; i++) {
        px[i] = r.nextInt(256);
      }
      assertThat(features(model(w), px)).as("trial %d", trial).containsExactly(exact(w, px));
    }
  }

  @Test
  void theRewriteShiftsWeightsAndZeroPointsBy128() throws Exception {
    byte[] rewritten = UnsignedWeights.rewrite(model(new byte[] {127, -128, 0, 1, -1, 5}));
    GraphProto g = ModelProto.parseFrom(rewritten).getGraph();
    TensorProto w = g.getInitializerList().stream().filter(t -> t.getName().equals("w")).findFirst().orElseThrow();
    TensorProto wz = g.getInitializerList().stream().filter(t -> t.getName().equals("wz")).findFirst().orElseThrow();
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
