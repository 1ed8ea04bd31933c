package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.S3ProxyServer;
import io.p9.spark.ml.ImageFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.fs.statistics.IOStatistics;
import org.apache.hadoop.fs.statistics.IOStatisticsSupport;
import org.apache.hadoop.fs.statistics.StoreStatisticNames;
import org.apache.spark.SparkException;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The Fruits! job through the real S3A code path against a real S3-protocol server (S3Proxy in its own JVM
 * on 127.0.0.1): images, model and outputs on {@code s3a://}, compared with the same job on the local file
 * system; the saved PipelineModel loads from S3 and transforms, in Java and with {@code p9 run --pipeline}; the
 * magic committer leaves nothing behind when a job fails; no secret reaches any output.
 */
class S3PipelineIT {
  private static final String BUCKET = "p9-fruits";
  private static final String PIPELINES = "p9-pipelines";
  private static final int VARIETIES = 8;
  private static final int PER_VARIETY = 5;

  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static S3Client s3;
  private static Path localOut;
  private static Path applied;
  private static SparkSession spark;
  private static final Map<String, String> saved = new HashMap<>();

  @BeforeAll
  static void runTheJobOnS3AndLocally() throws Exception {
    server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    server.createBucket(BUCKET);
    s3 = server.setupClient();
    Path images = dir.resolve("images");
    assertThat(Fixtures.subset(images, VARIETIES, PER_VARIETY)).hasSize(VARIETIES * PER_VARIETY);
    Fixtures.uploadTree(s3, images, BUCKET, "images/");
    Path models = Fixtures.model().getParent();
    for (String f : List.of("mobilenetv2-12-int8.onnx", "mobilenetv2-12-int8.onnx.p9.json")) {
      s3.putObject(b -> b.bucket(BUCKET).key("models/" + f),
          software.amazon.awssdk.core.sync.RequestBody.fromFile(models.resolve(f)));
    }
    // The AWS default chain (what `p9 run` uses) finds the test keys in system properties (SDK v1 names).
    setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
    setProperty("aws.secretKey", S3ProxyServer.SECRET_KEY);

    int rc = new CommandLine(new P9Cli()).execute("run", "--master", "local[2]",
        "--input", "s3a://" + BUCKET + "/images/Training", "--output", "s3a://" + BUCKET + "/out",
        "--model", "s3a://" + BUCKET + "/models/mobilenetv2-12-int8.onnx", "--k", "8", "--partitions", "3",
        "--s3-endpoint", server.endpoint().toString(), "--s3-path-style");
    assertThat(rc).as("p9 run s3a -> s3a").isZero();
    localOut = dir.resolve("local-out");
    rc = new CommandLine(new P9Cli()).execute("run", "--master", "local[2]", "--input",
        images.resolve("Training").toString(), "--output", localOut.toString(), "--model",
        Fixtures.model().toString(), "--k", "8", "--partitions", "3");
    assertThat(rc).as("p9 run local -> local").isZero();
    // the pipeline saved on S3, copied to a bucket no run has read yet (Hadoop caches an S3A instance per
    // bucket in the JVM), applied to the local copy of the images: S3A is set up for --pipeline alone
    server.createBucket(PIPELINES);
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("out/pipeline-model/")).contents()) {
      s3.copyObject(b -> b.sourceBucket(BUCKET).sourceKey(o.key()).destinationBucket(PIPELINES)
          .destinationKey(o.key()));
    }
    applied = dir.resolve("applied");
    rc = new CommandLine(new P9Cli()).execute("run", "--master", "local[2]", "--pipeline",
        "s3a://" + PIPELINES + "/out/pipeline-model", "--input", images.resolve("Training").toString(), "--output",
        applied.toString(), "--s3-endpoint", server.endpoint().toString(), "--s3-path-style");
    assertThat(rc).as("p9 run --pipeline s3a -> local").isZero();

    SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("p9-s3-it")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4");
    Fixtures.s3a(server).applyToSpark(b::config);
    spark = b.getOrCreate();
  }

  private static void setProperty(String k, String v) {
    saved.put(k, System.getProperty(k));
    System.setProperty(k, v);
  }

  @AfterAll
  static void stop() {
    saved.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
    if (spark != null) {
      spark.stop();
    }
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** file name (variety/name.jpg) → features. */
  private static Map<String, double[]> features(Dataset<Row> df, String col) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : df.select(functions.col("path"), functions.col(col)).collectAsList()) {
      String p = r.getString(0);
      String key = p.substring(p.indexOf("/Training/") + "/Training/".length());
      Vector v = r.getAs(1);
      assertThat(m.put(key, v.toArray())).as("one row per file: " + key).isNull();
    }
    return m;
  }

  @Test
  void theS3RunGivesTheSameRowsAndFeaturesAsTheLocalRun() throws Exception {
    Dataset<Row> remote = spark.read().parquet("s3a://" + BUCKET + "/out/features.parquet");
    Dataset<Row> local = spark.read().parquet(localOut.resolve("features.parquet").toString());

    Map<String, double[]> r = features(remote, "features");
    Map<String, double[]> l = features(local, "features");

    assertThat(r).hasSize(VARIETIES * PER_VARIETY);
    assertThat(r.keySet()).isEqualTo(l.keySet());
    r.forEach((k, v) -> {
      assertThat(v).hasSize(8);
      assertThat(v).as(k).containsExactly(l.get(k), org.assertj.core.data.Offset.offset(1e-6));
    });
    assertThat(remote.select("label").distinct().count()).isEqualTo(VARIETIES);
    List<String> csv = spark.read().option("header", "true").csv("s3a://" + BUCKET + "/out/features.csv")
        .columns().length > 0 ? List.of(spark.read().option("header", "true")
            .csv("s3a://" + BUCKET + "/out/features.csv").columns()) : List.of();
    assertThat(csv).startsWith("path", "label", "pc_1").hasSize(2 + 8);
    String report = text("out/report.json");
    assertThat(report).contains("\"files\" : " + VARIETIES * PER_VARIETY, "\"k\" : 8",
        "\"variancePlot\" : \"s3a://" + BUCKET + "/out/explained-variance.svg\"");
    // the plots land on S3 too, written through S3A like report.json
    org.w3c.dom.Document variance = RunPlotsTest.parse(text("out/explained-variance.svg"));
    assertThat(RunPlotsTest.texts(variance)).anyMatch(t -> t.startsWith("k = 8: "));
    org.w3c.dom.Document scatter = RunPlotsTest.parse(text("out/pc1-pc2.svg"));
    assertThat(scatter.getElementsByTagName("circle").getLength()).isEqualTo(VARIETIES * PER_VARIETY);
  }

  @Test
  void theSavedPipelineModelLoadsFromS3AndTransforms() {
    PipelineModel model = PipelineModel.load("s3a://" + BUCKET + "/out/pipeline-model");
    Dataset<Row> files = ImageFiles.read(spark, "s3a://" + BUCKET + "/images/Training/"
        + spark.read().parquet("s3a://" + BUCKET + "/out/features.parquet").select("label").as(Encoders.STRING())
            .orderBy("label").first());

    Map<String, double[]> again = features(model.transform(files), "pca");
    Map<String, double[]> written = features(spark.read().parquet("s3a://" + BUCKET + "/out/features.parquet"),
        "features");

    assertThat(again).hasSize(PER_VARIETY);
    again.forEach((k, v) -> assertThat(v).as(k).containsExactly(written.get(k),
        org.assertj.core.data.Offset.offset(1e-9)));
  }

  /** {@code p9 run --pipeline} with the pipeline the S3 run saved gives that run's features, fitting nothing. */
  @Test
  void thePipelineSavedOnS3IsAppliedByP9RunWithoutAFit() throws Exception {
    Map<String, double[]> again = features(spark.read().parquet(applied.resolve("features.parquet").toString()),
        "features");
    Map<String, double[]> written = features(spark.read().parquet("s3a://" + BUCKET + "/out/features.parquet"),
        "features");

    assertThat(again).hasSize(VARIETIES * PER_VARIETY);
    assertThat(again.keySet()).isEqualTo(written.keySet());
    again.forEach((k, v) -> assertThat(v).as(k).containsExactly(written.get(k),
        org.assertj.core.data.Offset.offset(1e-6)));
    assertThat(Files.readString(applied.resolve("report.json"))).contains("\"fitted\" : false",
        "\"pipelineModel\" : \"s3a://" + PIPELINES + "/out/pipeline-model\"", "\"k\" : 8");
    assertThat(applied.resolve("pipeline-model")).doesNotExist();
  }

  @Test
  void imageFilesReadsEachImageWithOneGetAndNoHeadRequestOfItsOwn() throws Exception {
    String in = "s3a://" + BUCKET + "/images/Training";
    // local[2]: the tasks share the driver's (cached) S3A instance, so its statistics count their requests
    IOStatistics stats = IOStatisticsSupport.retrieveIOStatistics(
        new org.apache.hadoop.fs.Path(in).getFileSystem(spark.sparkContext().hadoopConfiguration()));
    Map<String, Long> before = new HashMap<>(stats.counters());
    List<Row> rows = ImageFiles.read(spark, in).collectAsList();
    Map<String, Long> p9 = delta(before, stats.counters());

    before = new HashMap<>(stats.counters());
    List<Row> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(in)
        .collectAsList();
    Map<String, Long> binaryFile = delta(before, stats.counters());

    assertThat(rows).hasSize(VARIETIES * PER_VARIETY).allMatch(r -> ((byte[]) r.get(3)).length > 0);
    assertThat(sparks).hasSize(rows.size());
    assertThat(p9.get(StoreStatisticNames.ACTION_HTTP_GET_REQUEST)).isEqualTo(rows.size());
    // one HEAD in all: the listing probing the input path itself
    assertThat(p9.get(StoreStatisticNames.ACTION_HTTP_HEAD_REQUEST)).isLessThanOrEqualTo(1);
    // the control: Spark's binaryFile source asks each file's status before reading it
    assertThat(binaryFile.get(StoreStatisticNames.ACTION_HTTP_HEAD_REQUEST)).isGreaterThanOrEqualTo(rows.size());
  }

  private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new HashMap<>();
    after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
    return d;
  }

  @Test
  void theMagicCommitterWritesAndLeavesNothingWhenAJobFails() {
    spark.range(0, 100, 1, 4).write().mode(SaveMode.Overwrite).parquet("s3a://" + BUCKET + "/committed");
    // S3A's committers write a JSON _SUCCESS naming themselves (the classic committer writes an empty one).
    assertThat(text("committed/_SUCCESS")).contains("\"committer\" : \"magic\"");
    assertThat(spark.read().parquet("s3a://" + BUCKET + "/committed").count()).isEqualTo(100);

    Dataset<Long> failing = spark.range(0, 100, 1, 4).map(
        (org.apache.spark.api.java.function.MapFunction<Long, Long>) x -> {
          if (x == 99) {
            throw new IllegalStateException("p9 test: task failure after other tasks committed");
          }
          return x;
        }, Encoders.LONG());
    assertThatThrownBy(() -> failing.write().parquet("s3a://" + BUCKET + "/failed")).isInstanceOf(SparkException.class);

    // Left: at most the empty folder marker and the committer's own __magic area; no data, no _SUCCESS.
    List<String> left = keys("failed/").stream().filter(k -> !k.endsWith("/") && !k.contains("/__magic/")).toList();
    assertThat(left).as("no partial output").isEmpty();
    assertThat(keys("committed/")).as("the control: a committed write shows up")
        .anyMatch(k -> k.startsWith("committed/part-") && k.endsWith(".parquet"));
  }

  @Test
  void noSecretReachesAnyOutput() throws Exception {
    for (String key : keys("out/")) {
      if (key.endsWith(".onnx") || key.endsWith(".parquet")) {
        continue;
      }
      assertThat(text(key)).as(key).doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContain(S3ProxyServer.ACCESS_KEY);
    }
    try (Stream<Path> files = Files.walk(localOut)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String s = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(s).as(f.toString()).doesNotContain(S3ProxyServer.SECRET_KEY);
      }
    }
  }

  private static List<String> keys(String prefix) {
    return s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
        .map(S3Object::key).toList();
  }

  private static String text(String key) {
    ResponseBytes<GetObjectResponse> b = s3.getObjectAsBytes(x -> x.bucket(BUCKET).key(key));
    return b.asString(StandardCharsets.ISO_8859_1);
  }
}
