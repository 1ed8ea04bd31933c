package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.FloatBufferPool;
import io.p9.core.testing.FailingOnnx;
import io.p9.core.testing.FixedBatchOnnx;
import io.p9.core.testing.RepoData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONNX models exported with a fixed batch dimension (a PyTorch export without {@code dynamic_axes}: input
 * [1,3,H,W], or [B,3,H,W]) run any number of images, in chunks of B with the last one padded, and give the
 * features the same graph with a dynamic batch gives. Real ONNX Runtime sessions over models built in memory.
 */
class OnnxFixedBatchTest {
  static final int SIZE = 6;
  static final int PX = 3 * SIZE * SIZE;
  static final int DIM = 4;
  static final TinyOnnx TINY = new TinyOnnx(DIM, 5, SIZE, 3);
  static OnnxFeatureModel dynamic;
  static OnnxFeatureModel fixed1;
  static OnnxFeatureModel fixed4;

  @BeforeAll
  static void open() {
    dynamic = open(TINY.bytes());
    fixed1 = open(FixedBatchOnnx.fixBatch(TINY.bytes(), 1));
    fixed4 = open(FixedBatchOnnx.fixBatch(TINY.bytes(), 4));
  }

  @AfterAll
  static void close() {
    dynamic.close();
    fixed1.close();
    fixed4.close();
  }

  static OnnxFeatureModel open(byte[] bytes) {
    return OnnxFeatureModel.open(ModelBytes.of("tiny.onnx", bytes), ModelOptions.defaults().withIntraOpThreads(1));
  }

  static FloatBuffer images(int n, long seed, boolean direct) {
    FloatBuffer b = direct
        ? ByteBuffer.allocateDirect(n * PX * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer()
        : FloatBuffer.allocate(n * PX);
    Random r = new Random(seed);
    for (int i = 0; i < n * PX; i++) {
      b.put(i, (float) r.nextGaussian());
    }
    return b;
  }

  /** Runs {@code n} images into an array one image longer than needed, filled with NaN first. */
  static float[] run(OnnxFeatureModel m, FloatBuffer in, int n) {
    float[] out = new float[(n + 1) * DIM];
    Arrays.fill(out, Float.NaN);
    m.run(in, n, out);
    return out;
  }

  @Test
  void theInfoRecordsTheBatchDimension() {
    assertThat(dynamic.info().fixedBatch()).isZero();
    assertThat(dynamic.info().inputShape()).containsExactly(-1, 3, SIZE, SIZE);
    assertThat(dynamic.info().toString()).doesNotContain("fixed batch");
    assertThat(fixed1.info().fixedBatch()).isEqualTo(1);
    assertThat(fixed4.info().fixedBatch()).isEqualTo(4);
    assertThat(fixed4.info().inputShape()).containsExactly(4, 3, SIZE, SIZE);
    assertThat(fixed4.info().featureDim()).isEqualTo(DIM);
    assertThat(fixed4.info().toString()).contains("[4, 3, 6, 6]").contains("fixed batch 4");
    assertThat(fixed4.info()).isNotEqualTo(dynamic.info());
  }

  @Test
  void fixedBatchModelsGiveTheDynamicModelsFeaturesForAnyImageCount() {
    for (boolean direct : new boolean[] {true, false}) {
      for (int n = 1; n <= 9; n++) {
        FloatBuffer in = images(n, 100 + n, direct);
        float[] want = run(dynamic, in, n);
        for (OnnxFeatureModel m : List.of(fixed1, fixed4)) {
          float[] got = run(m, in, n);
          String what = "batch " + m.info().inputShape()[0] + ", n " + n + (direct ? "" : ", heap input");
          for (int i = 0; i < n * DIM; i++) {
            assertThat(got[i]).as("%s: image %d feature %d", what, i / DIM, i % DIM).isEqualTo(want[i]);
          }
          for (int i = n * DIM; i < got.length; i++) {
            assertThat(got[i]).as("%s: out past the last image is not written", what).isNaN();
          }
        }
      }
    }
  }

  @Test
  void aDirectBufferInBigEndianOrderGivesTheSameFeatures() {
    // ByteBuffer.allocateDirect(..).asFloatBuffer() is big-endian unless ordered: the floats are the same
    for (int n : new int[] {1, 5}) {
      FloatBuffer heap = images(n, 60 + n, false);
      FloatBuffer bigEndian = ByteBuffer.allocateDirect(n * PX * Float.BYTES).order(ByteOrder.BIG_ENDIAN)
          .asFloatBuffer();
      bigEndian.put(0, heap, 0, n * PX);
      for (OnnxFeatureModel m : List.of(dynamic, fixed1, fixed4)) {
        assertThat(run(m, bigEndian, n)).as("batch %d, n %d", m.info().inputShape()[0], n)
            .containsExactly(run(m, heap, n));
      }
    }
  }

  @Test
  void theFeaturesAreTheHandComputedOnes() {
    FloatBuffer in = images(5, 9, true);
    float[] got = run(fixed4, in, 5);
    for (int i = 0; i < 5; i++) {
      float[] image = new float[PX];
      in.get(i * PX, image);
      float[] e = TINY.expectedFeatures(image);
      for (int c = 0; c < DIM; c++) {
        assertThat(got[i * DIM + c]).isCloseTo(e[c], org.assertj.core.api.Assertions.within(1e-5f));
      }
    }
  }

  @Test
  void aPartialChunkIsPaddedWithZerosNotWhateverThePooledBufferHeld() {
    // fails on a batch whose largest value is >= 0.9, padding included; the images here stay below 0.5
    int s = 4;
    int px = 3 * s * s;
    try (OnnxFeatureModel m = open(FixedBatchOnnx.fixBatch(FailingOnnx.failsAtOrAbove(s, 0.9f), 4))) {
      FloatBuffer dirty = FloatBufferPool.shared().borrow(4 * px);
      for (int i = 0; i < 4 * px; i++) {
        dirty.put(i, 1f);
      }
      FloatBufferPool.shared().release(dirty);
      FloatBuffer in = ByteBuffer.allocateDirect(5 * px * Float.BYTES).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
      for (int i = 0; i < 5 * px; i++) {
        in.put(i, (i % 7) / 16f);
      }
      float[] out = new float[5 * 3];
      m.run(in, 5, out);
      for (int i = 0; i < 5; i++) {
        for (int c = 0; c < 3; c++) {
          double sum = 0;
          for (int p = 0; p < s * s; p++) {
            sum += in.get(i * px + c * s * s + p);
          }
          assertThat(out[i * 3 + c]).isCloseTo((float) (sum / (s * s)),
              org.assertj.core.api.Assertions.within(1e-6f));
        }
      }
    }
  }

  @Test
  void concurrentRunsWithPartialChunksGiveTheSequentialResults() throws Exception {
    int threads = 4;
    List<FloatBuffer> inputs = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      inputs.add(images(t + 5, 200 + t, true));
      expected.add(run(dynamic, inputs.get(t), t + 5));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> got = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        for (int t = 0; t < threads; t++) {
          FloatBuffer in = inputs.get(t);
          int n = t + 5;
          got.add(pool.submit(() -> run(fixed4, in, n)));
        }
      }
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i).get()).isEqualTo(expected.get(i % threads));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFeatureTensorWithoutItsBatchAxisGivesEachImageItsOwnFeatures() {
    // PyTorch's x.squeeze() on the pooled [N,C,1,1] exports as a Squeeze without axes: for a batch of one it
    // drops the batch axis too, giving [C]; x.reshape(-1) gives [N*C] for any batch
    byte[] squeezed = FixedBatchOnnx.fixBatch(withFeatureOutput(TINY.bytes(), "Squeeze"), 1);
    byte[] reshaped = withFeatureOutput(TINY.bytes(), "Reshape");
    for (byte[] bytes : List.of(squeezed, reshaped)) {
      try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("tiny.onnx", bytes),
          ModelOptions.defaults().withFeatureTensor("features"))) {
        String what = "batch " + m.info().inputShape()[0];
        assertThat(m.info().featureDim()).as(what).isEqualTo(DIM);
        for (int n : new int[] {1, 5}) {
          FloatBuffer in = images(n, 40 + n, true);
          float[] got = run(m, in, n);
          assertThat(Arrays.copyOf(got, n * DIM)).as("%s, n %d", what, n)
              .containsExactly(Arrays.copyOf(run(dynamic, in, n), n * DIM));
        }
      }
    }
  }

  /**
   * {@code model} whose only output is {@code features}: its pooled tensor through a Squeeze without axes,
   * or a Reshape to [-1].
   */
  private static byte[] withFeatureOutput(byte[] model, String op) {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(model);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
    GraphProto.Builder g = m.getGraph().toBuilder().clearOutput();
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName("features_node").addInput("pooled")
        .addOutput("features");
    if (op.equals("Reshape")) {
      g.addInitializer(TensorProto.newBuilder().setName("minus_one").setDataType(TensorProto.DataType.INT64_VALUE)
          .addDims(1).addInt64Data(-1));
      n.addInput("minus_one");
    }
    g.addNode(n);
    g.addOutput(ValueInfoProto.newBuilder().setName("features").setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  @Test
  void theInt8MobileNetV2CutToAFixedBatchOfOneGivesTheOriginalsFeatures() throws Exception {
    byte[] original = Files.readAllBytes(RepoData.mobilenet());
    List<Path> images = RepoData.quickSampleSpread(5);
    float[] want = features(original, images);
    float[] got = features(FixedBatchOnnx.fixBatch(original, 1), images);
    assertThat(got).containsExactly(want);
  }

  /** Features of {@code images}: decode, imagenet preprocessing, one BatchFeaturizer batch of 8. */
  private static float[] features(byte[] model, List<Path> images) throws Exception {
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("mobilenetv2-12-int8.onnx", model),
        ModelOptions.defaults().withIntraOpThreads(2));
        BatchFeaturizer bf = new BatchFeaturizer(m, PreprocessSpec.imagenet(224), 8)) {
      for (Path p : images) {
        bf.add(decoder.decode(Files.readAllBytes(p)));
      }
      int n = bf.size();
      return Arrays.copyOf(bf.run(), n * m.info().featureDim());
    }
  }
}
