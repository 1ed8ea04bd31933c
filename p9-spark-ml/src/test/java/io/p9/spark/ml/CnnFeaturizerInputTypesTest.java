package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.p9.core.image.Normalization;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.ModelSpec;
import io.p9.core.tensor.ElementType;
import io.p9.core.testing.TypedInputOnnx;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CnnFeaturizer over ONNX models whose image input is uint8 or float16 ({@link TypedInputOnnx}), on 12 real
 * Fruits-360 photos (100x100, the models' own size) read by ImageLoader, in 4 partitions.
 */
class CnnFeaturizerInputTypesTest {
  static final int SIZE = 100;
  static SparkSession spark;
  @TempDir static Path tmp;
  static Dataset<Row> images;
  static TypedInputOnnx net = new TypedInputOnnx(4, 5, SIZE, true, 21);
  /** uint8 pixels in, ImageNet mean/std inside the graph: what p9's imagenet preprocessing does outside. */
  static String uint8;
  /** The same graph with a float32 input. */
  static String float32Twin;
  /** The network without the normalization, float32 input: p9 normalizes. */
  static String float32;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    images = TestSpark.sampleImages(tmp.resolve("sample"), 2, 6, 4);
    assertThat(images.count()).isEqualTo(12);
    float[] a = new float[3];
    float[] b = new float[3];
    float[] mean = Normalization.IMAGENET.mean();
    float[] std = Normalization.IMAGENET.std();
    for (int c = 0; c < 3; c++) {
      a[c] = Normalization.IMAGENET.scale() / std[c];
      b[c] = -mean[c] / std[c];
    }
    uint8 = Files2.write(tmp.resolve("uint8/model.onnx"), net.castInput(DataType.UINT8_VALUE, a, b)).toString();
    float32Twin = Files2.write(tmp.resolve("twin/model.onnx"), net.castInput(DataType.FLOAT_VALUE, a, b)).toString();
    float32 = Files2.write(tmp.resolve("float32/model.onnx"), net.float32()).toString();
  }

  static Map<String, double[]> features(CnnFeaturizer f) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : f.transform(images).select("path", "features").collectAsList()) {
      m.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    assertThat(m).hasSize(12);
    return m;
  }

  static void assertClose(Map<String, double[]> got, Map<String, double[]> want, double tolerance, String what) {
    assertThat(got.keySet()).isEqualTo(want.keySet());
    for (String path : want.keySet()) {
      for (int j = 0; j < want.get(path).length; j++) {
        assertThat(got.get(path)[j]).as("%s: %s feature %d", what, path, j)
            .isCloseTo(want.get(path)[j], within(tolerance * Math.max(1, Math.abs(want.get(path)[j]))));
      }
    }
  }

  @Test
  void aUint8ModelRunsOnThePixelsWithRawPreprocessingByDefault() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(uint8);
    assertThat(f.modelInfo(spark).inputType()).isEqualTo(ElementType.UINT8);
    assertThat(f.modelInfo(spark).toString()).contains("input 'input' uint8 [-1, 100, 100, 3] NHWC");
    assertThat(f.preprocessSpec(spark).normalization()).isEqualTo(Normalization.RAW);
    Map<String, double[]> got = features(f);
    // the same graph taking floats, given the same raw pixels
    assertClose(got, features(new CnnFeaturizer().setModelLocation(float32Twin).setPreprocessing("raw")), 1e-6,
        "float32 twin");
    // normalized by p9 instead of inside the graph
    assertClose(got, features(new CnnFeaturizer().setModelLocation(float32)), 1e-5, "float32, imagenet");
    assertThat(new CnnFeaturizer().setModelLocation(uint8).setPreprocessing("raw").preprocessSpec(spark))
        .isEqualTo(f.preprocessSpec(spark));
  }

  @Test
  void aUint8ModelRefusesAPreprocessingParamThatDoesNotGivePixels() {
    CnnFeaturizer imagenet = new CnnFeaturizer().setModelLocation(uint8).setPreprocessing("imagenet");
    assertThatThrownBy(() -> imagenet.modelInfo(spark)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CnnFeaturizer[" + imagenet.uid() + "]: the model input 'input' [-1, 100, 100, 3] is uint8 and"
            + " takes the pixels 0..255 as they are, but preprocessing=imagenet does not give them (imagenet maps"
            + " red 0 to -2.117904, not an integer in 0..255): set preprocessing=raw");
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(uint8).setPreprocessing("unit")
        .transform(images)).hasMessageContaining("but preprocessing=unit does not give them (unit maps red 1 to");
    CnnFeaturizer custom = new CnnFeaturizer().setModelLocation(uint8).setPreprocessing("custom")
        .setMean(new double[] {0, 0, 0}).setStd(new double[] {0.5, 0.5, 0.5});
    assertThatThrownBy(() -> custom.transformSchema(images.schema()))
        .hasMessageContaining("but preprocessing=custom (mean [0.0, 0.0, 0.0], std [0.5, 0.5, 0.5]) does not give"
            + " them (custom maps red 1 to 0.007843138, not an integer in 0..255)");
  }

  @Test
  void aUint8ModelRefusesASidecarNormalizationThatDoesNotGivePixelsAndRunsARawOne() {
    String model = Files2.write(tmp.resolve("sidecar/model.onnx"), net.castInput(DataType.UINT8_VALUE, null, null))
        .toString();
    Path sidecar = Path.of(model + ModelSpec.SIDECAR_SUFFIX);
    Files2.write(sidecar, ModelSpec.of("onnx", "auto", PreprocessSpec.preset("caffe", SIZE)).toJson()
        .getBytes(StandardCharsets.UTF_8));
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model);
    assertThatThrownBy(() -> f.modelInfo(spark)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but the normalization of the model sidecar " + model + ".p9.json does not give them"
            + " (caffe maps red 0 to -123.68, not an integer in 0..255): set preprocessing=raw");
    // the param overrides the sidecar
    assertThat(new CnnFeaturizer().setModelLocation(model).setPreprocessing("raw").preprocessSpec(spark)
        .normalization()).isEqualTo(Normalization.RAW);
    Files2.write(sidecar, ModelSpec.of("onnx", "auto", PreprocessSpec.preset("raw", SIZE)
        .withChannelOrder(io.p9.core.image.ChannelOrder.BGR)).toJson().getBytes(StandardCharsets.UTF_8));
    CnnFeaturizer bgr = new CnnFeaturizer().setModelLocation(model);
    assertThat(bgr.preprocessSpec(spark).channelOrder()).isEqualTo(io.p9.core.image.ChannelOrder.BGR);
    assertThat(features(bgr)).hasSize(12);
  }

  @Test
  void aSavedUint8StageLoadsWithItsRawPreprocessing() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(uint8);
    String dir = tmp.resolve("saved-uint8").toString();
    f.write().save(dir);
    CnnFeaturizer loaded = CnnFeaturizer.load(dir);
    assertThat(loaded.preprocessSpec(spark)).isEqualTo(f.preprocessSpec(spark));
    assertClose(features(loaded), features(f), 0, "loaded");
  }

  /** What convert_float_to_float16 without keep_io_types gives: float16 in, float16 weights, float16 out. */
  @Test
  void anAllFloat16ModelGivesItsFloat32TwinsFeaturesToHalfPrecision() {
    String half = Files2.write(tmp.resolve("half/model.onnx"), net.allHalf()).toString();
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(half).setBatchSize(5);
    assertThat(f.modelInfo(spark).inputType()).isEqualTo(ElementType.FLOAT16);
    assertClose(features(f), features(new CnnFeaturizer().setModelLocation(float32)), 2e-3, "float16");
  }
}
