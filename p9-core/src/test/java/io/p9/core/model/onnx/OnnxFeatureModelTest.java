package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.DynamicSizeOnnx;
import io.p9.core.testing.RepoData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxFeatureModelTest {
  static final int PIXELS = 3 * 224 * 224;
  static OnnxFeatureModel mobilenet;

  @BeforeAll
  static void open() throws Exception {
    ModelBytes mb = ModelBytes.of("mobilenetv2-12-int8.onnx", Files.readAllBytes(RepoData.mobilenet()));
    assertThat(mb.sha256()).isEqualTo("cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f");
    mobilenet = OnnxFeatureModel.open(mb, ModelOptions.defaults().withIntraOpThreads(2));
  }

  @AfterAll
  static void close() {
    mobilenet.close();
  }

  static FloatBuffer randomImages(int n, long seed) {
    FloatBuffer b = ByteBuffer.allocateDirect(n * PIXELS * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    Random r = new Random(seed);
    for (int i = 0; i < n * PIXELS; i++) {
      b.put(i, (float) (r.nextGaussian() * 1.0));
    }
    return b;
  }

  @Test
  void readsInputAndFeatureShapeFromTheModel() {
    assertThat(mobilenet.info().inputName()).isEqualTo("input");
    assertThat(mobilenet.info().inputShape()).containsExactly(-1, 3, 224, 224);
    assertThat(mobilenet.info().layout()).isEqualTo(TensorLayout.NCHW);
    assertThat(mobilenet.info().featureDim()).isEqualTo(1280);
    assertThat(mobilenet.info().featureTensor()).isEqualTo("464_quantized");
    assertThat(mobilenet.info().quantized()).isTrue();
  }

  @Test
  void featuresAreDequantizedOntoTheInt8Grid() {
    float[] out = new float[2 * 1280];
    mobilenet.run(randomImages(2, 7), 2, out);
    float scale = 0.019110054f;
    int nonZero = 0;
    for (float v : out) {
      assertThat(v).isGreaterThanOrEqualTo(0f);
      double steps = v / scale;
      assertThat(steps).isCloseTo(Math.rint(steps), within(1e-3));
      if (v != 0f) {
        nonZero++;
      }
    }
    assertThat(nonZero).isGreaterThan(out.length / 4);
  }

  @Test
  void aBatchEqualsTheConcatenationOfSingles() {
    FloatBuffer batch = randomImages(3, 11);
    float[] together = new float[3 * 1280];
    mobilenet.run(batch, 3, together);
    for (int i = 0; i < 3; i++) {
      FloatBuffer one = ByteBuffer.allocateDirect(PIXELS * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      one.put(0, batch, i * PIXELS, PIXELS);
      float[] alone = new float[1280];
      mobilenet.run(one, 1, alone);
      for (int j = 0; j < 1280; j++) {
        assertThat(together[i * 1280 + j]).as("image %d feature %d", i, j).isEqualTo(alone[j]);
      }
    }
  }

  @Test
  void concurrentRunsOnTheSharedSessionGiveTheSequentialResults() throws Exception {
    int threads = 4;
    List<FloatBuffer> inputs = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      inputs.add(randomImages(2, 100 + t));
      float[] e = new float[2 * 1280];
      mobilenet.run(inputs.get(t), 2, e);
      expected.add(e);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> got = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int t = 0; t < threads; t++) {
          FloatBuffer in = inputs.get(t);
          got.add(pool.submit(() -> {
            float[] o = new float[2 * 1280];
            mobilenet.run(in, 2, o);
            return o;
          }));
        }
      }
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i).get()).isEqualTo(expected.get(i % threads));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The cache closes a shared model (its {@code clear()}, also the JVM shutdown hook) while task threads may be
   * inside {@code run}: ONNX Runtime frees the session under them, and the JVM died with SIGSEGV in
   * libonnxruntime. Close waits for the runs in flight; a later run fails with a {@link ModelException}.
   */
  @Test
  void closeWaitsForTheRunsInFlightAndLaterRunsFailCleanly() throws Exception {
    ModelBytes mb = ModelBytes.of("mobilenetv2-12-int8.onnx", Files.readAllBytes(RepoData.mobilenet()));
    OnnxFeatureModel m = OnnxFeatureModel.open(mb, ModelOptions.defaults().withIntraOpThreads(1));
    FloatBuffer in = randomImages(4, 5);
    int threads = 2;
    CountDownLatch running = new CountDownLatch(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Throwable>> ends = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ends.add(pool.submit(() -> {
          float[] out = new float[4 * 1280];
          boolean counted = false;
          try {
            while (true) {
              m.run(in, 4, out);
              if (!counted) {
                running.countDown();
                counted = true;
              }
            }
          } catch (Throwable e) {
            return e;
          }
        }));
      }
      running.await();
      m.close(); // both threads loop on run: one of them is almost always inside it now
      for (Future<Throwable> end : ends) {
        assertThat(end.get(2, TimeUnit.MINUTES)).isInstanceOf(ModelException.class)
            .hasMessageContaining("is closed");
      }
      assertThatThrownBy(() -> m.run(in, 1, new float[1280])).isInstanceOf(ModelException.class)
          .hasMessageContaining(mb.sha256().substring(0, 12)).hasMessageContaining("is closed");
      m.close(); // again: nothing happens
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theTinyFloatCnnGivesTheHandComputedPooledFeatures() {
    TinyOnnx tiny = new TinyOnnx(4, 5, 6, 3);
    try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("tiny.onnx", tiny.bytes()),
        ModelOptions.defaults())) {
      assertThat(m.info().featureDim()).isEqualTo(4);
      int px = 3 * 6 * 6;
      FloatBuffer in = ByteBuffer.allocateDirect(2 * px * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      Random r = new Random(5);
      float[][] images = new float[2][px];
      for (int i = 0; i < 2; i++) {
        for (int k = 0; k < px; k++) {
          images[i][k] = (float) r.nextGaussian();
          in.put(i * px + k, images[i][k]);
        }
      }
      float[] out = new float[8];
      m.run(in, 2, out);
      for (int i = 0; i < 2; i++) {
        float[] e = tiny.expectedFeatures(images[i]);
        for (int c = 0; c < 4; c++) {
          assertThat(out[i * 4 + c]).isCloseTo(e[c], within(1e-5f));
        }
      }
    }
  }

  @Test
  void aNamedFeatureMapIsFlattenedInTheLayoutOfTheModelsInput() {
    // the same network and weights taking [n,3,h,w] and [n,h,w,3]: its 6x6x6 map 'relu2' (NCHW inside both)
    // gives the same numbers, in c, h, w order for the first and in h, w, c order (Keras's) for the second
    int side = 6;
    int c = DynamicSizeOnnx.FEATURES;
    ModelOptions options = ModelOptions.defaults().withFeatureTensor("relu2").withInputSize(2 * side, 2 * side);
    FloatBuffer chw = randomImages(1, 31).limit(3 * 4 * side * side).slice();
    FloatBuffer hwc = ByteBuffer.allocateDirect(chw.capacity() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    int pixels = 4 * side * side;
    for (int p = 0; p < pixels; p++) {
      for (int k = 0; k < 3; k++) {
        hwc.put(p * 3 + k, chw.get(k * pixels + p));
      }
    }
    float[] first = new float[c * side * side];
    float[] last = new float[c * side * side];
    try (OnnxFeatureModel nchw = OnnxFeatureModel.open(ModelBytes.of("nchw.onnx", DynamicSizeOnnx.nchw(5)), options);
        OnnxFeatureModel nhwc = OnnxFeatureModel.open(ModelBytes.of("nhwc.onnx", DynamicSizeOnnx.nhwc(5)), options)) {
      nchw.run(chw, 1, first);
      nhwc.run(hwc, 1, last);
    }
    for (int ch = 0; ch < c; ch++) {
      for (int p = 0; p < side * side; p++) {
        assertThat(last[p * c + ch]).as("channel %d position %d", ch, p).isCloseTo(first[ch * side * side + p],
            within(1e-5f));
      }
    }
    assertThat(first).as("not all zero").isNotEqualTo(new float[first.length]);
  }

  @Test
  void theClassifierOutputIsAvailableUnedited() {
    try (OnnxFeatureModel m = OnnxFeatureModel.open(
        ModelBytes.of("m.onnx", readMobilenet()), ModelOptions.defaults().withFeatureTensor("output"))) {
      assertThat(m.info().featureDim()).isEqualTo(1000);
      assertThat(m.info().quantized()).isFalse();
    }
  }

  @Test
  void aModelWithoutAnImageInputIsRefused() {
    assertThatThrownBy(() -> OnnxFeatureModel.open(ModelBytes.of("x.onnx", new byte[] {8, 7, 1}),
        ModelOptions.defaults())).isInstanceOf(ModelException.class);
  }

  @Test
  void aTruncatedEmptyOrUnusableModelFileIsNamedInTheError() {
    byte[] mob = readMobilenet();
    assertThatThrownBy(() -> OnnxFeatureModel.open(
        ModelBytes.of("half-copied.onnx", java.util.Arrays.copyOf(mob, mob.length / 2)), ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("half-copied.onnx")
        .hasMessageContaining("protobuf parse failed");
    assertThatThrownBy(() -> OnnxFeatureModel.open(ModelBytes.of("zero-bytes.onnx", new byte[0]),
        ModelOptions.defaults())).isInstanceOf(ModelException.class).hasMessageContaining("zero-bytes.onnx");
    assertThatThrownBy(() -> OnnxFeatureModel.open(ModelBytes.of("tiny-typo.onnx", new TinyOnnx(4, 5, 6, 3).bytes()),
        ModelOptions.defaults().withFeatureTensor("poled"))).isInstanceOf(ModelException.class)
        .hasMessageContaining("tiny-typo.onnx").hasMessageContaining("'poled'");
  }

  @Test
  void aModelWithItsWeightsInAnExternalFileIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    // as onnx.save_model(m, 'tiny.onnx', save_as_external_data=True) writes it: the data of conv_w in
    // tiny.onnx.data next to the model; p9 opens the model from its bytes, where that file cannot be found
    ModelProto m = ModelProto.parseFrom(new TinyOnnx(4, 5, 6, 3).bytes());
    GraphProto.Builder g = m.getGraph().toBuilder();
    ByteBuffer data = ByteBuffer.allocate(g.getInitializer(0).getFloatDataCount() * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
    g.getInitializer(0).getFloatDataList().forEach(data::putFloat);
    assertThat(g.getInitializer(0).getName()).isEqualTo("conv_w");
    g.setInitializer(0, g.getInitializer(0).toBuilder().clearFloatData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("tiny.onnx.data"))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("" + data.capacity())));
    Files.write(dir.resolve("tiny.onnx"), m.toBuilder().setGraph(g).build().toByteArray());
    Files.write(dir.resolve("tiny.onnx.data"), data.array());

    ModelBytes mb = ModelBytes.of("tiny.onnx", Files.readAllBytes(dir.resolve("tiny.onnx")));
    assertThatThrownBy(() -> OnnxFeatureModel.open(mb, ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("tiny.onnx")
        .hasMessageContaining("'conv_w'").hasMessageContaining("external file 'tiny.onnx.data'")
        .hasMessageContaining("save_as_external_data=False");
  }

  @Test
  void anOnnxRuntimeFormatFileIsRefusedAsSuchNotAsACorruptModel(@TempDir Path dir) throws Exception {
    // ONNX Runtime itself writes the .ort (flatbuffers) form of a model, as its convert_onnx_models_to_ort does
    Path ort = dir.resolve("tiny.ort");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizedModelFilePath(ort.toString());
      so.addConfigEntry("session.save_model_format", "ORT");
      OrtEnvironment.getEnvironment().createSession(new TinyOnnx(4, 5, 6, 3).bytes(), so).close();
    }
    ModelBytes mb = ModelBytes.of("tiny.ort", Files.readAllBytes(ort));
    assertThat(new OnnxBackend().recognizes(mb.name(), mb.bytes())).isTrue();
    assertThatThrownBy(() -> new OnnxBackend().load(mb, ModelOptions.defaults()))
        .isInstanceOf(ModelException.class).hasMessageContaining("tiny.ort")
        .hasMessageContaining("ONNX Runtime format").hasMessageContaining("the .onnx model")
        .hasMessageNotContaining("protobuf parse failed");
  }

  static byte[] readMobilenet() {
    try {
      return Files.readAllBytes(RepoData.mobilenet());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
