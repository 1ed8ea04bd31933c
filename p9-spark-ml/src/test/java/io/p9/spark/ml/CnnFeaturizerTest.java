package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.image.Normalization;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.ModelCache;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.StageContract;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
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
    Path sample = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("sample"), 2, 6);
    images = new ImageLoader().transform(ImageFiles.read(spark, sample.toString())).repartition(4).cache();
    assertThat(images.count()).isEqualTo(12);
  }

  static List<Row> features(CnnFeaturizer f, Dataset<Row> in) {
    return f.transform(in).select("path", f.getOutputCol()).orderBy("path").collectAsList();
  }

  @Test
  void contract() {
    StageContract.check(new CnnFeaturizer().setModelLocation(model).setBatchSize(8).setHandleInvalid("skip")
        .setMean(new double[] {0.5, 0.5, 0.5}));
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
        .hasStackTraceContaining("cannot featurize").hasStackTraceContaining("NO_IMAGE");
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

  @Test
  void copiesTransformAlike() {
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model).setBatchSize(3);
    assertThat(features(f.copy(org.apache.spark.ml.param.ParamMap.empty()), images))
        .isEqualTo(features(f, images));
  }
}
