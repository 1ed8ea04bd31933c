package io.p9.spark.ml;

import static io.p9.core.testing.DynamicSizeOnnx.SYMBOLIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelSpec;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.DynamicSizeOnnx;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CnnFeaturizer} over ONNX models whose input height and width are dynamic ({@link DynamicSizeOnnx}:
 * [n,3,h,w] and [n,h,w,3], global pooling): they run at {@code inputSize}, else the sidecar's size, else 224,
 * with the features of the same graph exported at that fixed size, on real sample images in several
 * partitions; a saved PipelineModel runs them at the same size.
 */
class CnnFeaturizerDynamicSizeTest {
  static final int SIZE = 64;
  static SparkSession spark;
  @TempDir static Path tmp;
  static Dataset<Row> images;
  static String nchw;
  static String nhwc;
  static String nchwFixed;
  static String nhwcFixed;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    images = TestSpark.sampleImages(tmp.resolve("sample"), 3, 8, 5);
    assertThat(images.count()).isEqualTo(24);
    byte[] dn = DynamicSizeOnnx.nchw(21);
    byte[] dh = DynamicSizeOnnx.nhwc(21);
    nchw = Files2.write(tmp.resolve("models/nchw.onnx"), dn).toString();
    nhwc = Files2.write(tmp.resolve("models/nhwc.onnx"), dh).toString();
    nchwFixed = Files2.write(tmp.resolve("models/nchw64.onnx"),
        DynamicSizeOnnx.withInputDims(dn, SYMBOLIC, 3, SIZE, SIZE)).toString();
    nhwcFixed = Files2.write(tmp.resolve("models/nhwc64.onnx"),
        DynamicSizeOnnx.withInputDims(dh, SYMBOLIC, SIZE, SIZE, 3)).toString();
  }

  static Map<String, double[]> byPath(Dataset<Row> out, String col) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : out.select("path", col).collectAsList()) {
      m.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    return m;
  }

  static void assertSameFeatures(Map<String, double[]> got, Map<String, double[]> want, String what) {
    assertThat(got.keySet()).as(what).isEqualTo(want.keySet());
    assertThat(want).hasSize(24);
    for (String path : want.keySet()) {
      assertThat(got.get(path)).as("%s: %s", what, path).hasSize(DynamicSizeOnnx.FEATURES);
      for (int j = 0; j < DynamicSizeOnnx.FEATURES; j++) {
        assertThat(got.get(path)[j]).as("%s: %s feature %d", what, path, j)
            .isCloseTo(want.get(path)[j], within(1e-6));
      }
    }
  }

  @Test
  void nchwAndNhwcModelsRunAtInputSizeWithTheFixedExportsFeatures() {
    for (String[] pair : new String[][] {{nchw, nchwFixed}, {nhwc, nhwcFixed}}) {
      boolean isNhwc = pair[0].equals(nhwc);
      CnnFeaturizer f = new CnnFeaturizer().setModelLocation(pair[0]).setPreprocessing("unit")
          .setInputSize(SIZE).setBatchSize(5);
      ModelInfo info = f.modelInfo(spark);
      assertThat(info.inputShape()).as(pair[0]).containsExactly(isNhwc ? new long[] {-1, SIZE, SIZE, 3}
          : new long[] {-1, 3, SIZE, SIZE});
      assertThat(info.featureDim()).isEqualTo(DynamicSizeOnnx.FEATURES);
      assertThat(f.preprocessSpec(spark)).isEqualTo(PreprocessSpec.preset("unit", SIZE)
          .withLayout(isNhwc ? TensorLayout.NHWC : TensorLayout.NCHW));
      // the feature size is in the schema before any batch runs
      assertThat(AttributeGroup.fromStructField(f.transformSchema(images.schema()).apply("features")).size())
          .isEqualTo(DynamicSizeOnnx.FEATURES);
      Map<String, double[]> got = byPath(f.transform(images), "features");
      assertThat(f.metrics().succeeded()).isEqualTo(24);
      CnnFeaturizer fixed = new CnnFeaturizer().setModelLocation(pair[1]).setPreprocessing("unit");
      assertThat(fixed.modelInfo(spark)).isEqualTo(info);
      assertSameFeatures(got, byPath(fixed.transform(images), "features"), pair[0]);
    }
  }

  @Test
  void theSizeComesFromInputSizeElseTheSidecarElse224() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("sidecar"));
    String model = Files.copy(Path.of(nchw), dir.resolve("with-sidecar.onnx")).toString();
    Files2.write(Path.of(model + ModelSpec.SIDECAR_SUFFIX), ModelSpec.of("onnx", "auto",
        PreprocessSpec.preset("mobilenet", 48)).toJson().getBytes(StandardCharsets.UTF_8));
    assertThat(new CnnFeaturizer().setModelLocation(model).modelInfo(spark).inputShape())
        .containsExactly(-1, 3, 48, 48);
    assertThat(new CnnFeaturizer().setModelLocation(model).preprocessSpec(spark))
        .isEqualTo(PreprocessSpec.preset("mobilenet", 48).withLayout(TensorLayout.NCHW));
    assertThat(new CnnFeaturizer().setModelLocation(model).setPreprocessing("unit").preprocessSpec(spark))
        .as("the sidecar's size also when preprocessing is set").isEqualTo(PreprocessSpec.preset("unit", 48)
        .withLayout(TensorLayout.NCHW));
    CnnFeaturizer sized = new CnnFeaturizer().setModelLocation(model).setInputSize(40);
    assertThat(sized.modelInfo(spark).inputShape()).as("inputSize wins").containsExactly(-1, 3, 40, 40);
    assertThat(sized.preprocessSpec(spark)).isEqualTo(PreprocessSpec.preset("mobilenet", 40)
        .withLayout(TensorLayout.NCHW));
    CnnFeaturizer bare = new CnnFeaturizer().setModelLocation(nhwc);
    assertThat(bare.modelInfo(spark).inputShape()).as("no size anywhere").containsExactly(-1, 224, 224, 3);
    assertThat(bare.preprocessSpec(spark)).isEqualTo(PreprocessSpec.imagenet(224).withLayout(TensorLayout.NHWC));
    assertThat(byPath(sized.transform(images), "features").values())
        .allSatisfy(v -> assertThat(v).hasSize(DynamicSizeOnnx.FEATURES));
  }

  @Test
  void aSavedPipelineModelRunsTheModelAtTheSameSize() throws Exception {
    Path own = tmp.resolve("own/dyn.onnx");
    Files2.write(own, Files.readAllBytes(Path.of(nhwc)));
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(own.toString()).setPreprocessing("unit")
        .setInputSize(SIZE);
    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {f}).fit(images);
    Map<String, double[]> expected = byPath(pm.transform(images), "features");
    PreprocessSpec spec = f.preprocessSpec(spark);
    assertThat(spec.height()).isEqualTo(SIZE);
    String path = tmp.resolve("saved-pipeline").toUri().toString();
    pm.write().save(path);
    Files.delete(own);
    PipelineModel back = PipelineModel.load(path);
    CnnFeaturizer loaded = (CnnFeaturizer) back.stages()[0];
    assertThat(loaded.modelInfo(spark).inputShape()).containsExactly(-1, SIZE, SIZE, 3);
    assertThat(loaded.preprocessSpec(spark)).isEqualTo(spec);
    assertSameFeatures(byPath(back.transform(images), "features"), expected, "reloaded");
    assertSameFeatures(expected, byPath(new CnnFeaturizer().setModelLocation(nhwcFixed)
        .setPreprocessing("unit").transform(images), "features"), "fixed export");

    // a size from the model's sidecar is saved with the stage too
    Path side = tmp.resolve("own2/dyn.onnx");
    Files2.write(side, Files.readAllBytes(Path.of(nhwc)));
    Files2.write(Path.of(side + ModelSpec.SIDECAR_SUFFIX), ModelSpec.of("onnx", "auto",
        PreprocessSpec.preset("unit", 40)).toJson().getBytes(StandardCharsets.UTF_8));
    CnnFeaturizer g = new CnnFeaturizer().setModelLocation(side.toString());
    String path2 = tmp.resolve("saved-stage").toUri().toString();
    g.write().save(path2);
    Files.delete(side);
    Files.delete(Path.of(side + ModelSpec.SIDECAR_SUFFIX));
    assertThat(CnnFeaturizer.load(path2).modelInfo(spark).inputShape()).containsExactly(-1, 40, 40, 3);
  }

  @Test
  void oneModelPerJvmAndSize() {
    long before = ModelCache.shared().modelsCreated();
    // intraOpThreads 7: a key no other test uses
    CnnFeaturizer at32 = new CnnFeaturizer().setModelLocation(nchw).setInputSize(32).setIntraOpThreads(7);
    CnnFeaturizer at48 = new CnnFeaturizer().setModelLocation(nchw).setInputSize(48).setIntraOpThreads(7);
    assertThat(at32.modelInfo(spark).inputShape()).containsExactly(-1, 3, 32, 32);
    assertThat(at48.modelInfo(spark).inputShape()).containsExactly(-1, 3, 48, 48);
    assertThat(at32.transform(images.repartition(6)).count()).isEqualTo(24);
    assertThat(new CnnFeaturizer().setModelLocation(nchw).setInputSize(32).setIntraOpThreads(7)
        .modelInfo(spark).inputShape()).containsExactly(-1, 3, 32, 32);
    assertThat(ModelCache.shared().modelsCreated() - before).isEqualTo(2);
  }

  @Test
  void aModelThatTakesOneSizeOnlyNeedsItGiven() {
    String own12 = Files2.write(tmp.resolve("models/own12.onnx"), DynamicSizeOnnx.ownSizeOnly(9, 12)).toString();
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(own12).modelInfo(spark))
        .hasMessageContaining("fails at 224x224 (the default")
        .hasMessageContaining("CnnFeaturizer's inputSize or the model's sidecar");
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(own12).setInputSize(12).setPreprocessing("unit");
    assertThat(f.modelInfo(spark).featureDim()).isEqualTo(DynamicSizeOnnx.FEATURES);
    assertThat(byPath(f.transform(images), "features").values())
        .allSatisfy(v -> assertThat(v).hasSize(DynamicSizeOnnx.FEATURES));
    assertThat(f.metrics().succeeded()).isEqualTo(24);
  }
}
