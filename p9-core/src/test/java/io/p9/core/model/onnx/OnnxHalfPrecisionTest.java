package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model converted to float16 inside with float32 input and output (onnxconverter-common's
 * {@code convert_float_to_float16(model, keep_io_types=True)}): its feature tensor is float16.
 */
class OnnxHalfPrecisionTest {
  static final int DIM = 4;
  static final int CLASSES = 5;
  static final int SIZE = 6;
  static final TinyOnnx TINY = new TinyOnnx(DIM, CLASSES, SIZE, 3);

  /**
   * TinyOnnx with its classifier head in float16: pooled → Cast(fp16) → Flatten → Gemm (fp16 weights) →
   * Cast(float) → Softmax → output. The pooled fp16 tensor {@code pooled16} is what auto finds.
   */
  static byte[] halfHeadModel() throws Exception {
    ModelProto m = ModelProto.parseFrom(TINY.bytes());
    GraphProto.Builder g = m.getGraph().toBuilder().clearNode();
    for (NodeProto n : m.getGraph().getNodeList()) {
      if (n.getOpType().equals("Flatten") || n.getOpType().equals("Gemm") || n.getOpType().equals("Softmax")) {
        continue;
      }
      g.addNode(n);
    }
    g.addNode(cast("pooled", "pooled16", TensorProto.DataType.FLOAT16_VALUE));
    g.addNode(NodeProto.newBuilder().setOpType("Flatten").addInput("pooled16").addOutput("flat16")
        .addAttribute(AttributeProto.newBuilder().setName("axis").setI(1).setType(AttributeProto.AttributeType.INT)));
    g.addInitializer(half("fc_w16", CLASSES, DIM)).addInitializer(half("fc_b16", CLASSES));
    g.addNode(NodeProto.newBuilder().setOpType("Gemm").addInput("flat16").addInput("fc_w16").addInput("fc_b16")
        .addOutput("logits16").addAttribute(AttributeProto.newBuilder().setName("transB").setI(1)
            .setType(AttributeProto.AttributeType.INT)));
    g.addNode(cast("logits16", "logits", TensorProto.DataType.FLOAT_VALUE));
    g.addNode(NodeProto.newBuilder().setOpType("Softmax").addInput("logits").addOutput("output"));
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  private static NodeProto cast(String in, String out, int to) {
    return NodeProto.newBuilder().setOpType("Cast").addInput(in).addOutput(out).addAttribute(
        AttributeProto.newBuilder().setName("to").setI(to).setType(AttributeProto.AttributeType.INT)).build();
  }

  /** Zeros in float16 (the head's values do not matter to the features). */
  private static TensorProto half(String name, long... dims) {
    long n = 1;
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT16_VALUE);
    for (long d : dims) {
      t.addDims(d);
      n *= d;
    }
    return t.setRawData(ByteString.copyFrom(new byte[(int) n * 2])).build();
  }

  @Test
  void autoOnAFloat16InnerTensorGivesItsValuesAsFloats() throws Exception {
    try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("half.onnx", halfHeadModel()),
        ModelOptions.defaults())) {
      assertThat(m.info().featureTensor()).isEqualTo("pooled16");
      assertThat(m.info().featureDim()).isEqualTo(DIM);
      int px = 3 * SIZE * SIZE;
      FloatBuffer in = ByteBuffer.allocateDirect(2 * px * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      Random r = new Random(9);
      float[][] images = new float[2][px];
      for (int i = 0; i < 2; i++) {
        for (int k = 0; k < px; k++) {
          images[i][k] = (float) r.nextGaussian();
          in.put(i * px + k, images[i][k]);
        }
      }
      float[] out = new float[2 * DIM];
      m.run(in, 2, out);
      for (int i = 0; i < 2; i++) {
        float[] e = TINY.expectedFeatures(images[i]);
        for (int c = 0; c < DIM; c++) {
          // float16 keeps 11 significant bits
          assertThat(out[i * DIM + c]).isCloseTo(e[c], within(Math.abs(e[c]) / 1000f + 1e-4f));
        }
      }
    }
  }

  @Test
  void aFloat16GraphOutputIsCastToo() throws Exception {
    ModelProto m = ModelProto.parseFrom(halfHeadModel());
    GraphProto.Builder g = m.getGraph().toBuilder().addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder()
        .setName("pooled16").setType(ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setTensorType(
            ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT16_VALUE))));
    byte[] bytes = m.toBuilder().setGraph(g).build().toByteArray();
    try (OnnxFeatureModel model = OnnxFeatureModel.open(ModelBytes.of("half-out.onnx", bytes),
        ModelOptions.defaults().withFeatureTensor("pooled16"))) {
      assertThat(model.info().featureDim()).isEqualTo(DIM);
      float[] out = new float[DIM];
      model.run(ByteBuffer.allocateDirect(3 * SIZE * SIZE * 4).order(ByteOrder.nativeOrder()).asFloatBuffer(), 1,
          out);
      float[] e = TINY.expectedFeatures(new float[3 * SIZE * SIZE]);
      for (int c = 0; c < DIM; c++) {
        assertThat(out[c]).isCloseTo(e[c], within(Math.abs(e[c]) / 1000f + 1e-4f));
      }
    }
  }
}
