package io.p9.core.model.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.Normalization;
import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.onnx.OnnxFeatureModel;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same network through ONNX Runtime (the {@code .onnx} twin) and through DL4J's Keras import (the
 * {@code .h5}) gives the same features: on seeded random inputs and on the 240 real Fruits-360 sample
 * images decoded and preprocessed the Keras way (NHWC, RGB, [-1, 1] "mobilenet" scaling).
 */
class BackendParityTest {
  static final float TOLERANCE = 1e-4f;
  static List<Path> sample;

  @BeforeAll
  static void listSample() throws Exception {
    try (Stream<Path> s = Files.walk(RepoData.quickSample().resolve("Training"))) {
      sample = s.filter(p -> p.toString().endsWith(".jpg")).sorted().collect(Collectors.toList());
    }
    assertThat(sample).hasSize(240);
  }

  @AfterAll
  static void done() {
    sample = null;
  }

  static FeatureModel onnx(String name) {
    return onnx(name, ModelOptions.AUTO);
  }

  static FeatureModel onnx(String name, String featureTensor) {
    return OnnxFeatureModel.open(ModelBytes.of(name + ".onnx", Fixtures.bytes(name + ".onnx")),
        ModelOptions.defaults().withFeatureTensor(featureTensor));
  }

  static FeatureModel dl4j(String name) {
    return dl4j(name, ModelOptions.AUTO);
  }

  static FeatureModel dl4j(String name, String featureLayer) {
    return new Dl4jBackend().load(ModelBytes.of(name + ".h5", Fixtures.bytes(name + ".h5")),
        ModelOptions.defaults().withFeatureTensor(featureLayer));
  }

  static float maxAbsDiff(float[] a, float[] b, int n) {
    float max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny_mnv2", "tiny_seq"})
  void bothBackendsDescribeTheModelAlike(String name) {
    try (FeatureModel o = onnx(name); FeatureModel d = dl4j(name)) {
      assertThat(d.info().inputShape()).containsExactly(o.info().inputShape());
      assertThat(d.info().layout()).isEqualTo(o.info().layout()).isEqualTo(TensorLayout.NHWC);
      assertThat(d.info().featureDim()).isEqualTo(o.info().featureDim());
      assertThat(o.info().featureTensor()).isEqualTo("global_average_pooling2d");
      assertThat(d.info().featureTensor()).isEqualTo("global_average_pooling2d");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny_mnv2", "tiny_seq"})
  void seededRandomInputsGiveTheSameFeatures(String name) {
    try (FeatureModel o = onnx(name); FeatureModel d = dl4j(name)) {
      int dim = o.info().featureDim();
      int pixels = Fixtures.SIZE * Fixtures.SIZE * 3;
      for (long seed = 20261204L; seed < 20261204L + 10; seed++) {
        Random rnd = new Random(seed);
        int n = 1 + rnd.nextInt(8);
        float scale = 0.5f + 3 * rnd.nextFloat();
        FloatBuffer in = Fixtures.gaussian(rnd, n * pixels);
        for (int i = 0; i < n * pixels; i++) {
          in.put(i, in.get(i) * scale);
        }
        float[] a = new float[n * dim];
        float[] b = new float[n * dim];
        o.run(in, n, a);
        d.run(in, n, b);
        assertThat(maxAbsDiff(a, b, n * dim)).as("%s, seed %d (%d images, scale %.2f)", name, seed, n, scale)
            .isLessThanOrEqualTo(TOLERANCE);
      }
    }
  }

  /**
   * A feature map before the pooling (tiny_mnv2's 8x8x32 {@code out_relu}, tiny_seq's 16x16x16 {@code re_lu}):
   * the ONNX twin holds it as [N, C, H, W] (tf2onnx's Transpose after the NHWC input), DL4J's Keras import as
   * [N, H, W, C]. Both backends flatten it in Keras's order (h, w, c, as a Keras {@code Flatten} does): read
   * that way, its average over the positions is the pooled vector the numpy reference holds.
   */
  @ParameterizedTest
  @CsvSource({"tiny_mnv2, out_relu, 8, 32", "tiny_seq, re_lu, 16, 16"})
  void aSpatialFeatureMapIsFlattenedInKerasOrderByBothBackends(String name, String layer, int side, int channels) {
    int dim = side * side * channels;
    float[] a = new float[2 * dim];
    float[] b = new float[2 * dim];
    try (FeatureModel o = onnx(name, layer); FeatureModel d = dl4j(name, layer)) {
      assertThat(o.info().featureDim()).isEqualTo(d.info().featureDim()).isEqualTo(dim);
      o.run(Fixtures.referenceInput(2), 2, a);
      d.run(Fixtures.referenceInput(2), 2, b);
    }
    float worst = maxAbsDiff(a, b, 2 * dim);
    assertThat(worst).as("%s '%s': max |ONNX Runtime - DL4J|", name, layer).isLessThanOrEqualTo(TOLERANCE);
    JsonNode pooled = Fixtures.reference().path("models").path(name).path("features");
    for (int i = 0; i < 2; i++) {
      for (int c = 0; c < channels; c++) {
        double sum = 0;
        for (int p = 0; p < side * side; p++) {
          sum += a[i * dim + p * channels + c];
        }
        assertThat(sum / (side * side)).as("%s '%s' image %d channel %d, read as h, w, c", name, layer, i, c)
            .isCloseTo(pooled.get(i).get(c).asDouble(), within(1e-5));
      }
    }
    System.out.printf("BackendParityTest %s '%s': %d values, max |ONNX Runtime - DL4J| = %.3g%n", name, layer,
        2 * dim, worst);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny_mnv2", "tiny_seq"})
  void realSampleImagesPreprocessedTheKerasWayGiveTheSameFeatures(String name) throws Exception {
    PreprocessSpec keras = PreprocessSpec.preset("mobilenet", Fixtures.SIZE);
    assertThat(keras.layout()).isEqualTo(TensorLayout.NHWC);
    assertThat(keras.normalization()).isEqualTo(Normalization.MOBILENET);
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    float worst = 0;
    double sumAbs = 0;
    int values = 0;
    try (FeatureModel o = onnx(name); FeatureModel d = dl4j(name);
        BatchFeaturizer viaOnnx = new BatchFeaturizer(o, keras, 16);
        BatchFeaturizer viaDl4j = new BatchFeaturizer(d, keras, 16)) {
      int dim = o.info().featureDim();
      for (int start = 0; start < sample.size(); start += 16) {
        List<Path> batch = sample.subList(start, Math.min(sample.size(), start + 16));
        for (Path p : batch) {
          PixelImage img = decoder.decode(Files.readAllBytes(p));
          viaOnnx.add(img);
          viaDl4j.add(img);
        }
        float[] a = viaOnnx.run().clone();
        float[] b = viaDl4j.run();
        for (int i = 0; i < batch.size(); i++) {
          float diff = 0;
          for (int j = 0; j < dim; j++) {
            diff = Math.max(diff, Math.abs(a[i * dim + j] - b[i * dim + j]));
            sumAbs += Math.abs(a[i * dim + j]);
            values++;
          }
          assertThat(diff).as("%s on %s", name, batch.get(i)).isLessThanOrEqualTo(TOLERANCE);
          worst = Math.max(worst, diff);
        }
      }
    }
    assertThat(sumAbs / values).as("features are not all zero").isGreaterThan(0.05);
    System.out.printf("BackendParityTest %s: %d sample images, max |ONNX Runtime - DL4J| = %.3g (mean |feature| %.3f)%n",
        name, sample.size(), worst, sumAbs / values);
  }
}
