package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Fruits! pipeline end to end on the real Fruits-360 sample (49 varieties x 60 JPEGs in
 * ../shared/data; where that folder is absent, its copy in the repository's data/fruits360-49x60), plus one
 * broken file and an empty partition: ImageLoader → CnnFeaturizer (int8
 * MobileNetV2) → scaling + PcaReducer(0.95), saved and reloaded, and the features judged by a classifier.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FruitsPipelineIT {
  @TempDir static Path tmp;
  SparkSession spark;
  Dataset<Row> files;
  Dataset<Row> featurized;
  ImageLoader loader;
  CnnFeaturizer featurizer;
  PipelineModel reducer;
  PipelineModel full;
  long sampleFiles;
  long expectedFiles;
  long varieties;
  long perVariety;
  ImageLoadMetrics loaderMetrics;
  ImageLoadMetrics featurizerMetrics;

  @BeforeAll
  void featurizeOnce() {
    spark = TestSpark.get();
    Path sample = RepoData.fruitsSample().resolve("Training");
    try (java.util.stream.Stream<Path> dirs = java.nio.file.Files.list(sample)) {
      List<Path> vs = dirs.filter(java.nio.file.Files::isDirectory).toList();
      varieties = vs.size();
      try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(sample)) {
        expectedFiles = all.filter(p -> p.toString().endsWith(".jpg")).count();
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    perVariety = expectedFiles / varieties;
    System.out.printf("[FruitsPipelineIT] sample %s: %d JPEGs, %d varieties%n", sample, expectedFiles, varieties);
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    Path bad = Files2.write(tmp.resolve("extra/Apple 5/broken_100.jpg"), Arrays.copyOf(jpeg, 700));
    Dataset<Row> real = ImageFiles.read(spark, sample.toString());
    sampleFiles = real.count();
    Dataset<Row> broken = ImageFiles.read(spark, bad.toString());
    Dataset<Row> empty = spark.createDataFrame(
        new JavaSparkContext(spark.sparkContext()).<Row>parallelize(List.of(), 1), real.schema());
    files = real.repartition(8).union(broken).union(empty);
    assertThat(files.rdd().getNumPartitions()).isEqualTo(10);

    loader = new ImageLoader().setHandleInvalid("keep");
    featurizer = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setHandleInvalid("keep");
    long t0 = System.nanoTime();
    featurized = featurizer.transform(loader.transform(files)).drop("content", "image")
        .persist(StorageLevel.MEMORY_AND_DISK());
    long n = featurized.count();
    double s = (System.nanoTime() - t0) / 1e9;
    // the counters of this pass (later transforms by the same stages register new ones)
    loaderMetrics = loader.metrics();
    featurizerMetrics = featurizer.metrics();
    long ok = featurizerMetrics.succeeded();
    System.out.printf("[FruitsPipelineIT] %d files, %d featurized in %.1f s (%.1f images/s, local[2])%n", n, ok, s,
        ok / s);
  }

  @AfterAll
  void release() {
    if (featurized != null) {
      featurized.unpersist();
    }
  }

  Dataset<Row> good() {
    return featurized.filter(functions.col("features").isNotNull());
  }

  @Test
  void everyFileGivesOneRowAndTheBrokenOneAReason() {
    assertThat(varieties).isGreaterThanOrEqualTo(16);
    assertThat(sampleFiles).isEqualTo(expectedFiles);
    assertThat(featurized.count()).isEqualTo(expectedFiles + 1);
    assertThat(good().count()).isEqualTo(expectedFiles);
    Row broken = featurized.filter(functions.col("features").isNull()).select("path", "error").head();
    assertThat(broken.getString(0)).endsWith("broken_100.jpg");
    assertThat(broken.getString(1)).matches("(TRUNCATED|CORRUPT): .*");
    assertThat(loaderMetrics.succeeded()).isEqualTo(expectedFiles);
    assertThat(loaderMetrics.kept()).isEqualTo(1);
    assertThat(loaderMetrics.failuresByReason()).containsOnlyKeys(broken.getString(1).split(":")[0]);
    assertThat(featurizerMetrics.succeeded()).isEqualTo(expectedFiles);
    assertThat(featurizerMetrics.kept()).isEqualTo(1);
    assertThat(featurized.select("label").distinct().count()).isEqualTo(varieties);
  }

  @Test
  void featuresAre1280OnTheInt8GridAndMostlyNonZero() {
    double scale = 0.019110054;
    long nonZero = 0;
    long total = 0;
    for (Row r : good().select("features").collectAsList()) {
      double[] v = ((Vector) r.get(0)).toArray();
      assertThat(v).hasSize(1280);
      for (double x : v) {
        assertThat(x / scale).isCloseTo(Math.rint(x / scale), within(1e-3));
        nonZero += x != 0 ? 1 : 0;
      }
      total += v.length;
    }
    System.out.printf("[FruitsPipelineIT] non-zero feature values: %.1f %%%n", 100.0 * nonZero / total);
    assertThat((double) nonZero / total).isGreaterThan(0.5);
  }

  PipelineModel reducer() {
    if (reducer == null) {
      // scaling inside the PCA stage (= StandardScaler(withMean, withStd) in front, see PcaReducerTest),
      // so the broken file's null features pass through the saved pipeline
      reducer = new Pipeline().setStages(new PipelineStage[] {
          new PcaReducer().setScale(true).setOutputCol("pca").setMinExplainedVariance(0.95)})
          .fit(featurized);
      full = new Pipeline().setStages(new PipelineStage[] {loader, featurizer, reducer}).fit(files);
    }
    return reducer;
  }

  @Test
  void pcaKeepsAtLeast95PercentOfTheVariance() {
    PcaReducerModel pca = (PcaReducerModel) reducer().stages()[0];
    System.out.printf("[FruitsPipelineIT] PCA: k = %d of 1280, explained variance %.4f%n", pca.getK(),
        pca.totalExplainedVariance());
    assertThat(pca.totalExplainedVariance()).isGreaterThanOrEqualTo(0.95);
    assertThat(pca.getK()).isLessThan((int) Math.min(1280, expectedFiles));
    double[] cum = pca.cumulativeExplainedVariance().toArray();
    assertThat(cum[pca.getK() - 2]).isLessThan(0.95);
  }

  @Test
  void aReloadedPipelineModelGivesIdenticalOutput() throws Exception {
    reducer();
    String path = tmp.resolve("fruits-model").toUri().toString();
    full.write().save(path);
    PipelineModel back = PipelineModel.load(path);
    // three varieties present in both samples, plus the broken file (in extra/Apple 5/)
    Dataset<Row> some = files.filter(functions.col("path").rlike("(Apple 5|Cherry 1|Tomato 2)/"));
    List<Row> expected = full.transform(some).select("path", "pca", "error").orderBy("path").collectAsList();
    List<Row> actual = back.transform(some).select("path", "pca", "error").orderBy("path").collectAsList();
    long inSome = good().filter(functions.col("path").rlike("Training/(Apple 5|Cherry 1|Tomato 2)/")).count();
    assertThat(inSome).isGreaterThanOrEqualTo(2 * perVariety);
    assertThat(expected).hasSize((int) inSome + 1);
    assertThat(expected.stream().filter(r -> r.isNullAt(1))).hasSize(1);
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void pcaFeaturesClassifyHeldOutImagesOfEveryVariety() {
    Dataset<Row> reduced = reducer().transform(good())
        .withColumn("i", functions.row_number().over(Window.partitionBy("label").orderBy("path")));
    Dataset<Row> indexed = new StringIndexer().setInputCol("label").setOutputCol("y").fit(reduced)
        .transform(reduced).cache();
    Dataset<Row> train = indexed.filter("i % 5 != 0");
    Dataset<Row> test = indexed.filter("i % 5 = 0");
    var lr = new LogisticRegression().setFeaturesCol("pca").setLabelCol("y").setMaxIter(200)
        .setRegParam(1e-3).fit(train);
    double acc = new MulticlassClassificationEvaluator().setLabelCol("y").setMetricName("accuracy")
        .evaluate(lr.transform(test));
    System.out.printf("[FruitsPipelineIT] held-out accuracy over %d varieties: %.4f (%d train, %d test)%n",
        varieties, acc, train.count(), test.count());
    assertThat(acc).isGreaterThanOrEqualTo(0.95);
    indexed.unpersist();
  }

  /**
   * The "3-body problem": train on some varieties of Apple, Cherry and Tomato, predict the body of
   * varieties never seen. Reported, not a pass/fail target; the check is only that it beats chance.
   */
  @Test
  void bodyAccuracyOnUnseenVarieties() {
    Dataset<Row> reduced = reducer().transform(good())
        .withColumn("body", functions.split(functions.col("label"), " ").getItem(0))
        .withColumn("v", functions.dense_rank().over(Window.partitionBy("body").orderBy("label")));
    Dataset<Row> indexed = new StringIndexer().setInputCol("body").setOutputCol("y").fit(reduced)
        .transform(reduced).cache();
    Dataset<Row> train = indexed.filter("v % 3 != 0");
    Dataset<Row> test = indexed.filter("v % 3 = 0");
    var lr = new LogisticRegression().setFeaturesCol("pca").setLabelCol("y").setMaxIter(200)
        .setRegParam(1e-2).fit(train);
    double acc = new MulticlassClassificationEvaluator().setLabelCol("y").setMetricName("accuracy")
        .evaluate(lr.transform(test));
    long trainVarieties = train.select("label").distinct().count();
    long testVarieties = test.select("label").distinct().count();
    System.out.printf("[FruitsPipelineIT] body accuracy on unseen varieties: %.4f (train %d varieties, "
        + "test %d other varieties)%n", acc, trainVarieties, testVarieties);
    assertThat(acc).isGreaterThan(1.0 / 3);
    indexed.unpersist();
  }
}
