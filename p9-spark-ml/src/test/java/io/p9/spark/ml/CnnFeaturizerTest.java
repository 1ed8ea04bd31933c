package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.image.Normalization;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.ModelCache;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.StageContract;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CnnFeaturizerTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static Dataset<Row> images;
  static String model;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    model = RepoData.mobilenet().toString();
    images = TestSpark.sampleImages(tmp.resolve("sample"), 2, 6, 4);
    assertThat(images.count()).isEqualTo(12);
  }

  static List<Row> features(CnnFeaturizer f, Dataset<Row> in) {
    return f.transform(in).select("path", f.getOutputCol()).orderBy("path").collectAsList();
  }

  @Test
  void contract() {
    StageContract.check(new CnnFeaturizer().setModelLocation(model).setBatchSize(8).setHandleInvalid("skip")
        .setMean(new double[] {0.5, 0.5, 0.5}).setErrorCol("featurizerError"));
  }

  /** The array params mean and std show their values, not the arrays' identity ({@code [D@1a2b3c}). */
  @Test
  void explainParamsShowsTheValuesOfMeanAndStd() {
    CnnFeaturizer f = new CnnFeaturizer().setPreprocessing("custom").setMean(new double[] {0.485, 0.456, 0.406})
        .setStd(new double[] {0.229, 0.224, 0.225});
    assertThat(f.explainParams()).doesNotContain("[D@");
    assertThat(f.explainParams().split("\n")).contains(
        "mean: " + f.mean().doc() + " (current: [0.485,0.456,0.406])",
        "std: " + f.std().doc() + " (current: [0.229,0.224,0.225])",
        "preprocessing: " + f.preprocessing().doc() + " (default: imagenet, current: custom)");
    CnnFeaturizer unset = new CnnFeaturizer();
    assertThat(unset.explainParam(unset.mean())).isEqualTo("mean: " + unset.mean().doc() + " (undefined)");
  }

  @Test
  void gettersAndSettersUseTheirOwnParam() {
    Map<String, Object> samples = new HashMap<>();
    samples.putAll(Map.of("inputCol", "img", "outputCol", "f", "modelLocation", "/tmp/other.onnx",
        "backend", "onnx", "featureTensor", "pool", "preprocessing", "custom", "inputSize", 160,
        "channelOrder", "BGR", "layout", "NHWC", "resizeMode", "center_crop"));
    samples.putAll(Map.of("cropFraction", 0.5, "interpolation", "bicubic", "mean", new double[] {0.1, 0.2, 0.3},
        "std", new double[] {0.2, 0.3, 0.4}, "batchSize", 3, "intraOpThreads", 2, "handleInvalid", "keep",
        "errorCol", "err"));
    StageContract.checkAccessors(new CnnFeaturizer().setModelLocation(model), samples);
  }

  @Test
  void mobileNetV2Gives1280DequantizedFeaturesPerImage() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model);
    Dataset<Row> out = f.transform(images);
    assertThat(AttributeGroup.fromStructField(out.schema().apply("features")).size()).isEqualTo(1280);
    List<Row> rows = out.select("features").collectAsList();
    assertThat(rows).hasSize(12);
    double scale = 0.019110054;
    for (Row r : rows) {
      Vector v = (Vector) r.get(0);
      assertThat(v.size()).isEqualTo(1280);
      int nonZero = 0;
      for (double x : v.toArray()) {
        assertThat(x / scale).isCloseTo(Math.rint(x / scale), within(1e-3));
        nonZero += x != 0 ? 1 : 0;
      }
      assertThat(nonZero).isGreaterThan(640);
    }
    assertThat(f.metrics().succeeded()).isEqualTo(12);
  }

  @Test
  void preprocessingComesFromTheSidecarThenFromParams() throws Exception {
    assertThat(new CnnFeaturizer().setModelLocation(model).preprocessSpec(spark))
        .isEqualTo(PreprocessSpec.imagenet(224));
    PreprocessSpec mobile = new CnnFeaturizer().setModelLocation(model).setPreprocessing("mobilenet")
        .preprocessSpec(spark);
    assertThat(mobile.normalization()).isEqualTo(Normalization.MOBILENET);
    assertThat(mobile.layout()).as("layout always follows the model").isEqualTo(TensorLayout.NCHW);
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).setInputSize(160)
        .preprocessSpec(spark)).hasMessageContaining("inputSize 160 does not match the model input");
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).setLayout("NHWC")
        .preprocessSpec(spark)).hasMessageContaining("layout NHWC does not match");
  }

  /**
   * mean and std take effect only with preprocessing=custom: set with preprocessing not set (so the sidecar's
   * normalization would apply) they are refused on the driver, naming the stage, rather than silently ignored; a
   * preset set explicitly wins over them, as in a grid over preprocessing with custom among its values.
   */
  @Test
  void meanAndStdWithoutCustomPreprocessingAreRefusedNotIgnored() {
    double[] half = {0.5, 0.5, 0.5};
    CnnFeaturizer sidecar = new CnnFeaturizer().setModelLocation(model).setMean(half).setStd(half);
    assertThatThrownBy(() -> sidecar.transformSchema(images.schema())).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CnnFeaturizer[" + sidecar.uid() + "]: mean and std apply only with preprocessing=custom, but"
            + " preprocessing is not set (the model sidecar's normalization applies): set preprocessing=custom");
    CnnFeaturizer preset = sidecar.copy(new ParamMap()).setPreprocessing("mobilenet");
    assertThat(preset.preprocessSpec(spark).normalization()).isEqualTo(Normalization.MOBILENET);
    assertThat(sidecar.copy(new ParamMap()).setPreprocessing("custom").preprocessSpec(spark).normalization())
        .isEqualTo(Normalization.custom(1f / 255f, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}));
  }

  @Test
  void theResultDoesNotDependOnBatchSizeOrPartitioning() {
    List<Row> a = features(new CnnFeaturizer().setModelLocation(model).setBatchSize(1), images);
    List<Row> b = features(new CnnFeaturizer().setModelLocation(model).setBatchSize(5),
        images.repartition(2));
    assertThat(b).isEqualTo(a);
  }

  @Test
  void oneModelPerJvmWhateverTheNumberOfPartitionsAndTasks() {
    long before = ModelCache.shared().modelsCreated();
    // an explicit tensor name is a new cache key, so this stage's model is created here
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setFeatureTensor("464_quantized")
        .setBatchSize(2);
    long rows = f.transform(images.repartition(12)).count();
    f.transform(images.repartition(5)).count();
    assertThat(rows).isEqualTo(12);
    assertThat(ModelCache.shared().modelsCreated() - before).isEqualTo(1);
  }

  /**
   * spark.p9.modelCache.maxIdle=1, set at run time: two featurizers with different models run in turn in one
   * session; each job loads its model again and closes the other's, so one idle model stays cached, and the
   * features are those the default bound gives.
   */
  @Test
  void withMaxIdleOneFeaturizersRunInTurnKeepOneIdleModel() {
    String tiny = Files2.write(tmp.resolve("models/tiny_mnv2.onnx"), Fixtures.bytes("tiny_mnv2.onnx")).toString();
    // intraOpThreads 5: keys no other test uses
    CnnFeaturizer a = new CnnFeaturizer().setModelLocation(model).setIntraOpThreads(5);
    CnnFeaturizer b = new CnnFeaturizer().setModelLocation(tiny).setPreprocessing("mobilenet")
        .setIntraOpThreads(5);
    List<Row> expectedA = features(a, images);
    List<Row> expectedB = features(b, images);
    assertThat(((Vector) expectedB.get(0).get(1)).size()).isNotEqualTo(((Vector) expectedA.get(0).get(1)).size());
    ModelCache cache = ModelCache.shared();
    spark.conf().set("spark.p9.modelCache.maxIdle", "1");
    try {
      long before = cache.modelsCreated();
      for (int round = 0; round < 2; round++) {
        assertThat(features(a, images)).isEqualTo(expectedA);
        assertThat(cache.size()).as("round %d, after a", round).isEqualTo(1);
        assertThat(features(b, images)).isEqualTo(expectedB);
        assertThat(cache.size()).as("round %d, after b", round).isEqualTo(1);
      }
      assertThat(cache.modelsCreated() - before).as("each job loads its model again").isEqualTo(4);
    } finally {
      spark.conf().unset("spark.p9.modelCache.maxIdle");
      cache.setMaxIdle(ModelCache.DEFAULT_MAX_IDLE);
    }
  }

  /**
   * spark.p9.modelCache.maxIdle left unset leaves the bound a user set from code with
   * ModelCache.shared().setMaxIdle as it is, on the driver and in the tasks (local mode: one JVM).
   */
  @Test
  void anUnsetModelCacheBoundKeepsTheOneSetFromCode() {
    ModelCache cache = ModelCache.shared();
    cache.setMaxIdle(5);
    try {
      CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model);
      Dataset<Row> out = f.transform(images);
      assertThat(cache.maxIdle()).as("after transform, on the driver").isEqualTo(5);
      assertThat(out.select("features").collectAsList()).hasSize(12);
      assertThat(cache.maxIdle()).as("after the tasks").isEqualTo(5);
    } finally {
      cache.setMaxIdle(ModelCache.DEFAULT_MAX_IDLE);
    }
  }

  @Test
  void aModelCacheBoundThatIsNotACountFailsOnTheDriver() {
    spark.conf().set("spark.p9.modelCache.maxIdle", "-1");
    try {
      assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).transform(images))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("spark.p9.modelCache.maxIdle must be an integer >= 0 but was '-1'");
      assertThatThrownBy(() -> CnnFeaturizer.checkSettings(spark)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("spark.p9.modelCache.maxIdle must be an integer >= 0 but was '-1'");
      spark.conf().set("spark.p9.modelCache.maxIdle", " 3");
      assertThat(CnnFeaturizer.checkSettings(spark)).isEqualTo(3);
    } finally {
      spark.conf().unset("spark.p9.modelCache.maxIdle");
    }
    assertThat(CnnFeaturizer.checkSettings(spark)).as("unset").isEqualTo(-1);
  }

  @Test
  void threadBudgetFollowsExecutorCoresAndTaskCpus() {
    assertThat(CnnFeaturizer.defaultThreads(new SparkConf().set("spark.master", "local[2]"))).isEqualTo(1);
    assertThat(CnnFeaturizer.defaultThreads(new SparkConf().set("spark.master", "local[8]")
        .set("spark.task.cpus", "4"))).isEqualTo(4);
    assertThat(CnnFeaturizer.defaultThreads(new SparkConf().set("spark.master", "yarn")
        .set("spark.executor.cores", "4"))).isEqualTo(1);
  }

  @Test
  void nullImagesFollowHandleInvalid() {
    Dataset<Row> withNull = images.withColumn("image",
        functions.when(functions.col("path").contains("0_100"), functions.lit(null))
            .otherwise(functions.col("image")));
    long nulls = withNull.filter(functions.col("image").isNull()).count();
    assertThat(nulls).isGreaterThan(0);

    CnnFeaturizer keep = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep");
    List<Row> kept = keep.transform(withNull).select("image", "features").collectAsList();
    assertThat(kept).hasSize(12);
    kept.forEach(r -> assertThat(r.isNullAt(1)).isEqualTo(r.isNullAt(0)));
    assertThat(keep.metrics().kept()).isEqualTo(nulls);
    assertThat(keep.metrics().failuresByReason()).containsEntry("NO_IMAGE", nulls);

    CnnFeaturizer skip = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("skip");
    assertThat(skip.transform(withNull).count()).isEqualTo(12 - nulls);
    assertThat(skip.metrics().skipped()).isEqualTo(nulls);

    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).transform(withNull).count())
        .hasStackTraceContaining("cannot featurize file:").hasStackTraceContaining("0_100")
        .hasStackTraceContaining("NO_IMAGE").satisfies(e -> assertThat(stackTrace(e)).doesNotContain("[B@"));
    // without a path column: the row, its file content shown by length
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).transform(withNull.drop("path")).count())
        .hasStackTraceContaining("cannot featurize (row [").hasStackTraceContaining(" bytes>")
        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("[B@"));
  }

  static String stackTrace(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  /**
   * The 12 sample images plus rows the featurizer cannot use, each with its reason as the metrics name it: a
   * null image, a 16-bit image (ImageLoader never makes one; spark.read.format("image") could), a zero-height
   * image.
   */
  static Dataset<Row> withUnusableImages() {
    StructType schema = new StructType().add("path", DataTypes.StringType)
        .add("image", ImageSchema.columnSchema(), true);
    List<Row> bad = List.of(
        RowFactory.create("file:/bad/null.jpg", null),
        RowFactory.create("file:/bad/sixteen-bit.png",
            RowFactory.create("file:/bad/sixteen-bit.png", 2, 2, 3, 18, new byte[2 * 2 * 3 * 2])),
        RowFactory.create("file:/bad/zero-height.png",
            RowFactory.create("file:/bad/zero-height.png", 0, 100, 3, 16, new byte[0])));
    return images.select("path", "image").union(spark.createDataFrame(bad, schema)).repartition(3);
  }

  static final Map<String, String> UNUSABLE = Map.of(
      "file:/bad/null.jpg", "NO_IMAGE: the image is null (the file was not decoded)",
      "file:/bad/sixteen-bit.png", "UNSUPPORTED_MODE: OpenCV mode 18 (only 8-bit CV_8UC1/3/4 are supported)",
      "file:/bad/zero-height.png", "INVALID_IMAGE: 100x0x3 with 0 bytes");

  @Test
  void underKeepTheErrorColumnGivesEachRowWithoutFeaturesItsReason() {
    Dataset<Row> in = withUnusableImages();
    Map<String, Vector> expected = new HashMap<>();
    features(new CnnFeaturizer().setModelLocation(model), images)
        .forEach(r -> expected.put(r.getString(0), (Vector) r.get(1)));

    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep").setBatchSize(4)
        .setErrorCol("featurizerError");
    Dataset<Row> out = f.transform(in);
    assertThat(out.columns()).containsExactly("path", "image", "features", "featurizerError");
    assertThat(out.schema().apply("featurizerError").dataType()).isEqualTo(DataTypes.StringType);
    List<Row> rows = out.select("path", "features", "featurizerError").collectAsList();

    assertThat(rows).hasSize(15);
    Map<String, String> reasons = new HashMap<>();
    for (Row r : rows) {
      if (UNUSABLE.containsKey(r.getString(0))) {
        assertThat(r.isNullAt(1)).as("features of %s", r.getString(0)).isTrue();
        reasons.put(r.getString(0), r.getString(2));
      } else {
        assertThat(r.isNullAt(2)).as("error of %s", r.getString(0)).isTrue();
        assertThat((Vector) r.get(1)).isEqualTo(expected.get(r.getString(0)));
      }
    }
    assertThat(reasons).isEqualTo(UNUSABLE);
    // the column names each reason as the metrics count it
    assertThat(f.metrics().kept()).isEqualTo(3);
    assertThat(f.metrics().succeeded()).isEqualTo(12);
    assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("NO_IMAGE", 1L, "UNSUPPORTED_MODE", 1L,
        "INVALID_IMAGE", 1L));

    // without errorCol (the default) the output has no extra column
    CnnFeaturizer plain = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep");
    assertThat(plain.getErrorCol()).isEmpty();
    assertThat(plain.transform(in).columns()).containsExactly("path", "image", "features");
  }

  /**
   * Spark's image source keeps a file it cannot decode as its "invalid image" row (size -1 x -1, mode -1,
   * no data; {@code dropInvalid} is false by default): that is a file that was not decoded, not an image of
   * an unsupported mode.
   */
  @Test
  void sparksInvalidImageRowIsAnImageThatWasNotDecoded() throws Exception {
    Path dir = tmp.resolve("spark-image-source");
    Path good = RepoData.quickSampleSpread(1).get(0);
    Files2.write(dir.resolve("good.jpg"), Files2.read(good));
    Files2.write(dir.resolve("garbage.jpg"), "not an image".getBytes(StandardCharsets.UTF_8));
    Dataset<Row> in = spark.read().format("image").load(dir.toString());
    assertThat(in.filter("image.mode = -1").count()).as("Spark's invalid image row").isEqualTo(1);

    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep").setErrorCol("why");
    // sorted here: orderBy would run the stage twice (its range sampling) and count twice
    List<Row> rows = f.transform(in).select("image.origin", "features", "why").collectAsList().stream()
        .sorted(java.util.Comparator.comparing(r -> r.getString(0))).toList();
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).getString(0)).endsWith("garbage.jpg");
    assertThat(rows.get(0).isNullAt(1)).isTrue();
    assertThat(rows.get(0).getString(2)).startsWith("NO_IMAGE: ");
    assertThat(rows.get(1).isNullAt(1)).isFalse();
    assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("NO_IMAGE", 1L));
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).transform(in).collect())
        .hasStackTraceContaining("garbage.jpg: NO_IMAGE: ");
  }

  /**
   * A hand-built image struct may have nullable fields: a null height, width, nChannels or mode is an invalid
   * image under handleInvalid, not a NullPointerException in the task.
   */
  @Test
  void anImageWithANullSizeChannelCountOrModeIsAnInvalidImage() {
    StructType nullableImage = new StructType();
    for (StructField field : ImageSchema.columnSchema().fields()) {
      nullableImage = nullableImage.add(field.name(), field.dataType(), true);
    }
    StructType schema = new StructType().add("path", DataTypes.StringType).add("image", nullableImage, true);
    List<Row> bad = List.of(
        RowFactory.create("null-height", RowFactory.create("null-height", null, 2, 3, 16, new byte[12])),
        RowFactory.create("null-width", RowFactory.create("null-width", 2, null, 3, 16, new byte[12])),
        RowFactory.create("null-channels", RowFactory.create("null-channels", 2, 2, null, 16, new byte[12])),
        RowFactory.create("null-mode", RowFactory.create("null-mode", 2, 2, 3, null, new byte[12])));
    Dataset<Row> in = spark.createDataFrame(bad, schema).repartition(2);

    CnnFeaturizer keep = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep").setErrorCol("why");
    Map<String, String> reasons = new HashMap<>();
    for (Row r : keep.transform(in).select("path", "features", "why").collectAsList()) {
      assertThat(r.isNullAt(1)).as("features of %s", r.getString(0)).isTrue();
      reasons.put(r.getString(0), r.getString(2));
    }
    assertThat(reasons).isEqualTo(Map.of("null-height", "INVALID_IMAGE: height is null",
        "null-width", "INVALID_IMAGE: width is null", "null-channels", "INVALID_IMAGE: nChannels is null",
        "null-mode", "INVALID_IMAGE: mode is null"));
    assertThat(keep.metrics().failuresByReason()).isEqualTo(Map.of("INVALID_IMAGE", 4L));

    CnnFeaturizer skip = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("skip");
    assertThat(skip.transform(in).count()).isZero();
    assertThat(skip.metrics().skipped()).isEqualTo(4);

    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model)
        .transform(in.filter(functions.col("path").equalTo("null-mode"))).collect())
        .hasStackTraceContaining("cannot featurize null-mode: INVALID_IMAGE: mode is null");
  }

  @Test
  void skipAndErrorAreUnchangedByTheErrorColumn() {
    Dataset<Row> in = withUnusableImages();
    CnnFeaturizer skip = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("skip")
        .setErrorCol("featurizerError");
    List<Row> rows = skip.transform(in).select("path", "features", "featurizerError").collectAsList();
    assertThat(rows).hasSize(12).allSatisfy(r -> {
      assertThat(r.isNullAt(1)).isFalse();
      assertThat(r.isNullAt(2)).isTrue();
    });
    assertThat(skip.metrics().skipped()).isEqualTo(3);

    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model).setErrorCol("featurizerError")
        .transform(in.filter(functions.col("path").contains("zero-height"))).collect())
        .hasStackTraceContaining("cannot featurize file:/bad/zero-height.png: INVALID_IMAGE: 100x0x3")
        .hasRootCauseInstanceOf(CnnFeaturizer.FeaturizeException.class);
  }

  @Test
  void theErrorColumnMayNotClashWithAnotherColumn() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep");
    assertThatThrownBy(() -> f.setErrorCol("features").transformSchema(images.schema()))
        .hasMessageContaining("CnnFeaturizer[" + f.uid() + "]: output columns must differ")
        .hasMessageContaining("[features, features]");
    assertThatThrownBy(() -> f.setErrorCol("Features").transformSchema(images.schema()))
        .hasMessageContaining("output columns must differ");
    // ImageLoader's own error column, and an input column that differs only in case
    assertThatThrownBy(() -> f.setErrorCol("error").transform(images))
        .hasMessageContaining("output column 'error' already exists");
    assertThatThrownBy(() -> f.setErrorCol("Label").transformSchema(images.schema()))
        .hasMessageContaining("output column 'Label' already exists as 'label'");
    assertThat(f.setErrorCol("featurizerError").transformSchema(images.schema()).fieldNames())
        .endsWith("features", "featurizerError");
  }

  /** A dot in an output column name is part of the name (as in Spark's own stages), not a struct path. */
  @Test
  void outputColumnNamesWithADotAreTakenAsTheyAre() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setOutputCol("cnn.features")
        .setHandleInvalid("keep").setErrorCol("cnn.error");
    Dataset<Row> out = f.transform(images);
    assertThat(out.columns()).endsWith("cnn.features", "cnn.error");
    assertThat(AttributeGroup.fromStructField(out.schema().apply("cnn.features")).size()).isEqualTo(1280);
    assertThat(out.select("path", "`cnn.features`").orderBy("path").collectAsList())
        .isEqualTo(features(new CnnFeaturizer().setModelLocation(model), images));
  }

  @Test
  void aSavedStageWithAnErrorColumnRoundTrips() {
    Dataset<Row> in = withUnusableImages();
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep")
        .setErrorCol("featurizerError");
    List<Row> expected = f.transform(in).select("path", "features", "featurizerError").orderBy("path")
        .collectAsList();
    CnnFeaturizer back = RoundTrip.saveAndLoad(f, tmp.resolve("saved-errorCol"), CnnFeaturizer::load);
    assertThat(back.getErrorCol()).isEqualTo("featurizerError");
    assertThat(back.transform(in).select("path", "features", "featurizerError").orderBy("path")
        .collectAsList()).isEqualTo(expected);
  }

  /** A stage saved before errorCol existed: its metadata names no errorCol at all. */
  @Test
  void aStageSavedWithoutTheErrorColumnParamLoadsWithoutTheColumn() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setHandleInvalid("keep");
    Path dir = tmp.resolve("saved-before-errorCol");
    f.write().save(dir.toUri().toString());
    Path meta = dir.resolve("metadata/part-00000");
    String json = Files.readString(meta, StandardCharsets.UTF_8);
    assertThat(json).contains("\"errorCol\":\"\"");
    Files.writeString(meta, json.replace(",\"errorCol\":\"\"", "").replace("\"errorCol\":\"\",", ""),
        StandardCharsets.UTF_8);
    Files.deleteIfExists(dir.resolve("metadata/.part-00000.crc"));
    assertThat(Files.readString(meta, StandardCharsets.UTF_8)).doesNotContain("errorCol");

    CnnFeaturizer back = CnnFeaturizer.load(dir.toUri().toString());
    assertThat(back.isSet(back.errorCol())).isFalse();
    assertThat(back.getErrorCol()).isEmpty();
    assertThat(back.getHandleInvalid()).isEqualTo("keep");
    Dataset<Row> out = back.transform(withUnusableImages());
    assertThat(out.columns()).containsExactly("path", "image", "features");
    assertThat(out.filter(functions.col("features").isNull()).count()).isEqualTo(3);
  }

  /**
   * transformSchema gives the schema transform gives, the feature size (ML attribute group) included, as
   * Spark's stages do: a PipelineModel's transformSchema tells the stages after it the size.
   */
  @Test
  void transformSchemaIsTheSchemaOfTheOutputWithTheFeatureSize() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setErrorCol("featurizerError");
    StructType out = f.transformSchema(images.schema());
    assertThat(AttributeGroup.fromStructField(out.apply("features")).size()).isEqualTo(1280);
    assertThat(out).isEqualTo(f.transform(images).schema());
    Dataset<Row> files = images.select("path", "modificationTime", "length", "content");
    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {new ImageLoader(),
        new CnnFeaturizer().setModelLocation(model)}).fit(files);
    assertThat(pm.transformSchema(files.schema())).isEqualTo(pm.transform(files).schema());
  }

  /**
   * The input columns come out with their metadata, as from Spark's own stages: a label that StringIndexer
   * indexed before the featurizer still names its values (IndexToString, classifiers' class count read them).
   */
  @Test
  void inputColumnsKeepTheirMetadata() {
    Dataset<Row> indexed = new StringIndexer().setInputCol("label").setOutputCol("y").fit(images).transform(images);
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model);
    Dataset<Row> out = f.transform(indexed);
    assertThat(out.schema().apply("y").metadata()).isEqualTo(indexed.schema().apply("y").metadata());
    assertThat(out.schema()).isEqualTo(f.transformSchema(indexed.schema()));
    List<Row> back = new IndexToString().setInputCol("y").setOutputCol("name").transform(out)
        .select("label", "name").collectAsList();
    assertThat(back).hasSize(12).allSatisfy(r -> assertThat(r.getString(1)).isEqualTo(r.getString(0)));
    // by position: an input may repeat a name, as after a join
    Dataset<Row> twice = indexed.select(indexed.col("path"), indexed.col("label").as("path"), indexed.col("image"));
    assertThat(f.transform(twice).schema()).isEqualTo(f.transformSchema(twice.schema()));
    assertThat(f.transform(twice).select("image.origin", "features").collectAsList()).hasSize(12);
    // and the fields of a struct column theirs, as withColumn keeps them (an indexed label in a struct)
    Dataset<Row> nested = indexed.withColumn("labels", functions.struct(functions.col("y")));
    StructType nestedOut = f.transform(nested).schema();
    assertThat(((StructType) nestedOut.apply("labels").dataType()).apply("y").metadata())
        .isEqualTo(indexed.schema().apply("y").metadata());
    assertThat(nestedOut).isEqualTo(f.transformSchema(nested.schema()));
    assertThat(f.transform(nested).select("labels.y", "y").limit(4).collectAsList())
        .hasSize(4).allSatisfy(r -> assertThat(r.getDouble(0)).isEqualTo(r.getDouble(1)));
  }

  @Test
  void schemaErrorsNameStageColumnAndTypes() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model);
    assertThatThrownBy(() -> f.setInputCol("content").transform(images))
        .hasMessageContaining("CnnFeaturizer[" + f.uid() + "]: column 'content' must be struct<origin:string")
        .hasMessageContaining("but was binary");
    assertThatThrownBy(() -> new CnnFeaturizer().transform(images))
        .hasMessageContaining("modelLocation is not set");
  }

  /** Saving a stage copies its model, so a stage without one cannot be saved: the error says which stage. */
  @Test
  void aStageWithoutAModelNamesItselfWhenSavedOrAskedForItsModel() {
    CnnFeaturizer f = new CnnFeaturizer();
    String msg = "CnnFeaturizer[" + f.uid() + "]: modelLocation is not set";
    String path = tmp.resolve("no-model").toUri().toString();
    assertThatThrownBy(() -> f.write().save(path)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(msg);
    assertThatThrownBy(() -> new Pipeline().setStages(new PipelineStage[] {f}).write().save(path))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(msg);
    assertThatThrownBy(() -> f.modelInfo(spark)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(msg);
  }

  @Test
  void aSavedStageCarriesItsModelAndRunsWithoutTheOriginal() throws Exception {
    Path own = tmp.resolve("own-model/mnv2.onnx");
    Files.createDirectories(own.getParent());
    Files.copy(RepoData.mobilenet(), own);
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(own.toString()).setBatchSize(4);
    List<Row> expected = features(f, images);

    CnnFeaturizer back = RoundTrip.saveAndLoad(f, tmp.resolve("saved"), CnnFeaturizer::load);
    Files.delete(own);
    assertThat(back.getModelLocation()).contains("/model/mnv2.onnx").doesNotContain("own-model");
    assertThat(features(back, images)).isEqualTo(expected);
    String spec = Files.readString(Path.of(java.net.URI.create(back.getModelLocation() + ".p9.json")),
        StandardCharsets.UTF_8);
    assertThat(spec).contains("\"imagenet\"").contains("\"NCHW\"");

    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {back}).fit(images);
    String p = tmp.resolve("pm").toUri().toString();
    pm.write().save(p);
    assertThat(PipelineModel.load(p).transform(images).select("path", "features").orderBy("path")
        .collectAsList()).isEqualTo(expected);
  }

  @Test
  void aSavedPipelineCarriesTheModelOfItsFeaturizer() throws Exception {
    Path own = tmp.resolve("pipeline-model/mnv2.onnx");
    Files.createDirectories(own.getParent());
    Files.copy(RepoData.mobilenet(), own);
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(own.toString()).setBatchSize(4);
    List<Row> expected = features(f, images);

    CnnFeaturizer back = RoundTrip.saveAndLoadInPipeline(f, tmp.resolve("pipeline"));
    Files.delete(own);
    assertThat(back.getModelLocation()).contains("/model/mnv2.onnx").doesNotContain("pipeline-model");
    assertThat(features(back, images)).isEqualTo(expected);
  }

  @Test
  void aLoadedStageCanBeSavedOverItsOwnFolderAloneAndInAPipelineModel() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setBatchSize(4);
    List<Row> expected = features(f, images);

    // Spark's overwrite deletes the folder first, the model copy the loaded stage points at included
    String p = tmp.resolve("self-overwrite").toUri().toString();
    f.write().save(p);
    CnnFeaturizer.load(p).write().overwrite().save(p);
    CnnFeaturizer back = CnnFeaturizer.load(p);
    assertThat(features(back, images)).isEqualTo(expected);
    back.write().overwrite().save(p);
    CnnFeaturizer.load(p).copy(org.apache.spark.ml.param.ParamMap.empty()).write().overwrite().save(p);
    assertThat(features(CnnFeaturizer.load(p), images)).isEqualTo(expected);

    String pmPath = tmp.resolve("self-overwrite-pm").toUri().toString();
    new Pipeline().setStages(new PipelineStage[] {f}).fit(images).write().save(pmPath);
    PipelineModel.load(pmPath).write().overwrite().save(pmPath);
    assertThat(PipelineModel.load(pmPath).transform(images).select("path", "features").orderBy("path")
        .collectAsList()).isEqualTo(expected);
  }

  /**
   * A stage whose model file lies in the folder it is saved over: Spark's overwrite deletes the folder before the
   * stage writes, so the stage reads its model first; the model is then kept in the saved stage.
   */
  @Test
  void aStageCanBeSavedOverTheFolderHoldingItsModelFile() throws Exception {
    Path dir = tmp.resolve("model-inside");
    Files.createDirectories(dir);
    Files.copy(RepoData.mobilenet(), dir.resolve("m.onnx"));
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(dir.resolve("m.onnx").toString()).setBatchSize(4);
    List<Row> expected = features(new CnnFeaturizer().setModelLocation(model).setBatchSize(4), images);

    f.write().overwrite().save(dir.toUri().toString());
    assertThat(features(CnnFeaturizer.load(dir.toUri().toString()), images)).isEqualTo(expected);
  }

  /** Saving uses the session given to the writer, as Spark's writers do, not the thread's active one. */
  @Test
  void saveUsesTheWritersSessionNotTheActiveOne() throws Exception {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setBatchSize(4);
    String p = tmp.resolve("writer-session").toUri().toString();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    try {
      f.write().session(spark).save(p);
    } finally {
      SparkSession.setDefaultSession(spark);
      SparkSession.setActiveSession(spark);
    }
    assertThat(features(CnnFeaturizer.load(p), images)).isEqualTo(features(f, images));
  }

  @Test
  void copiesTransformAlike() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setBatchSize(3);
    assertThat(features(f.copy(org.apache.spark.ml.param.ParamMap.empty()), images))
        .isEqualTo(features(f, images));
  }
}
