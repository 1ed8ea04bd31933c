package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The example job on a copy of the shipped sample with one broken and one empty file. */
class FruitsJobTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path input;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("p9-examples-test")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    input = tmp.resolve("in");
    try (Stream<Path> s = Files.list(RepoData.quickSample().resolve("Training"))) {
      for (Path variety : s.sorted().limit(4).toList()) {
        Path out = Files.createDirectories(input.resolve(variety.getFileName().toString()));
        try (Stream<Path> imgs = Files.list(variety)) {
          for (Path img : imgs.sorted().limit(6).toList()) {
            Files.copy(img, out.resolve(img.getFileName().toString()));
          }
        }
      }
    }
    Path any = Files.list(input).findFirst().orElseThrow();
    byte[] jpeg = Files.readAllBytes(Files.list(any).findFirst().orElseThrow());
    Files.write(any.resolve("broken.jpg"), Arrays.copyOf(jpeg, jpeg.length / 3));
    Files.write(any.resolve("empty.jpg"), new byte[0]);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  /**
   * Each Spark job of the job is described by the step it does, in the Spark UI and an EMR cluster's history
   * server (Spark would show "count at FruitsJob.java:N"), and the caller's own description is back afterwards.
   */
  @Test
  void theSparkJobsAreNamedAfterTheStepTheyDo() throws Exception {
    java.util.Set<String> described = java.util.concurrent.ConcurrentHashMap.newKeySet();
    org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
        described.add(String.valueOf(start.properties().getProperty("spark.job.description")));
      }
    };
    spark.sparkContext().setJobDescription("the caller's");
    spark.sparkContext().addSparkListener(listener);
    try {
      FruitsJob.run(spark, new FruitsJob.Options(input.toString(), tmp.resolve("out-described").toString(),
          RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 0, "pca"));
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertThat(spark.sparkContext().getLocalProperty("spark.job.description")).isEqualTo("the caller's");
    } finally {
      spark.sparkContext().removeSparkListener(listener);
      spark.sparkContext().setJobDescription(null);
    }
    assertThat(described).containsExactlyInAnyOrder(
        "p9 Fruits!: featurize 26 files (read, decode, CNN)", "p9 Fruits!: count the failures by reason",
        "p9 Fruits!: fit the PCA on 24 images", "p9 Fruits!: save the pipeline model", "p9 Fruits!: write errors.csv",
        "p9 Fruits!: write features.parquet", "p9 Fruits!: write features.csv",
        "p9 Fruits!: collect PC 1 and PC 2 for pc1-pc2.svg");
  }

  @Test
  void runsTheWholeJobAndAccountsForEveryFile() throws Exception {
    String out = tmp.resolve("out").toString();
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(input.toString(), out,
        RepoData.mobilenet().toString(), 0, 0.9, 8, "keep", 3, "pca"));

    assertThat(r.files()).isEqualTo(26);
    assertThat(r.featurized()).isEqualTo(24);
    assertThat(r.failed()).isEqualTo(2);
    assertThat(r.failuresByReason()).containsEntry("EMPTY", 1L).containsKey(
        r.failuresByReason().containsKey("TRUNCATED") ? "TRUNCATED" : "CORRUPT");
    // each failed file is counted once, under its own reason (not also as the featurizer's NO_IMAGE)
    assertThat(r.failuresByReason()).doesNotContainKey("NO_IMAGE");
    assertThat(r.failuresByReason().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(r.failed());
    assertThat(r.featureDim()).isEqualTo(1280);
    assertThat(r.explainedVariance()).isGreaterThanOrEqualTo(0.9);
    assertThat(r.k()).isBetween(1, 23);

    Dataset<Row> parquet = spark.read().parquet(r.parquet());
    assertThat(parquet.count()).isEqualTo(24);
    assertThat(((Vector) parquet.head().getAs("features")).size()).isEqualTo(r.k());
    Dataset<Row> csv = spark.read().option("header", "true").csv(r.csv());
    assertThat(csv.columns()).hasSize(2 + r.k()).startsWith("path", "label", "pc_1");
    assertThat(csv.count()).isEqualTo(24);
    Dataset<Row> errorsCsv = spark.read().option("header", "true").csv(r.errors());
    assertThat(errorsCsv.columns()).containsExactly("path", "error");
    List<Row> errors = errorsCsv.collectAsList();
    assertThat(errors).hasSize(2);
    assertThat(errors).anySatisfy(e -> {
      assertThat(e.getString(0)).endsWith("/empty.jpg");
      assertThat(e.getString(1)).startsWith("EMPTY: ");
    });
    assertThat(errors).anySatisfy(e -> {
      assertThat(e.getString(0)).endsWith("/broken.jpg");
      assertThat(e.getString(1)).matches("(TRUNCATED|CORRUPT): .*");
    });
    assertThat(Files.readString(Path.of(out, "report.json"))).contains("\"featurized\" : 24");
    // the rate is of the 24 images that got features, not of the 26 files (the 2 failed ones are not featurized)
    assertThat(r.imagesPerSecond()).isCloseTo(24 / r.featurizeSeconds(),
        org.assertj.core.data.Percentage.withPercentage(1e-9));
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(out, "report.json").toFile())
        .get("imagesPerSecond").asDouble()).isEqualTo(r.imagesPerSecond());

    // the plots: every component's cumulative variance with k marked; each image on PC 1/2, a legend row per label
    assertThat(r.variancePlot()).isEqualTo(out + "/explained-variance.svg");
    org.w3c.dom.Document variance = RunPlotsTest.parse(Files.readString(Path.of(r.variancePlot())));
    assertThat(RunPlotsTest.byClass(variance, "polyline", "cumulative").getAttribute("points").trim().split(" "))
        .hasSize(1280);
    assertThat(RunPlotsTest.texts(variance)).contains("target 90.0 %",
        String.format(java.util.Locale.ROOT, "k = %d: %.2f %%", r.k(), r.explainedVariance() * 100));
    org.w3c.dom.Document scatter = RunPlotsTest.parse(Files.readString(Path.of(r.scatterPlot())));
    assertThat(scatter.getElementsByTagName("circle").getLength()).isEqualTo(24);
    List<String> labels = parquet.select("label").distinct().as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    assertThat(labels).hasSize(4);
    assertThat(RunPlotsTest.texts(scatter)).containsAll(labels);

    // the saved pipeline is complete: files in, PCA features (or a reason) out
    PipelineModel model = PipelineModel.load(r.pipelineModel());
    List<Row> again = model.transform(io.p9.spark.ml.ImageFiles.read(spark, input.toString()))
        .select("path", "pca", "error", FruitsJob.FEATURIZER_ERROR).collectAsList();
    assertThat(again).hasSize(26);
    assertThat(again.stream().filter(x -> x.isNullAt(1))).hasSize(2);
    // the featurizer's reason for the two files the loader kept without an image
    assertThat(again.stream().filter(x -> !x.isNullAt(3)).map(x -> x.getString(3)))
        .containsOnly("NO_IMAGE: the image is null (the file was not decoded)").hasSize(2);
    // and gives the features that were written
    java.util.Map<String, Vector> written = new java.util.HashMap<>();
    parquet.collectAsList().forEach(x -> written.put(x.getString(0), (Vector) x.getAs("features")));
    for (Row x : again) {
      if (!x.isNullAt(1)) {
        double[] a = ((Vector) x.get(1)).toArray();
        double[] b = written.get(x.getString(0)).toArray();
        assertThat(a).containsExactly(b, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  /**
   * features.csv and errors.csv are standard CSV (RFC 4180, as pandas, Python's csv module and spreadsheets read
   * it): a path or label with a comma, a quote, a backslash or a line break comes back as it is.
   */
  /**
   * Copies of one image give features with no variance: the run still succeeds (k = 1, explained variance 0,
   * all-zero features), but says so in its summary and in report.json's {@code warnings}, where it used to say
   * nothing.
   */
  @Test
  void featuresWithNoVarianceAreReportedAsAWarning() throws Exception {
    Path jpeg = goodJpegs(1).get(0);
    FruitsJob.Report r = runWithOneWarning("same", List.of(jpeg, jpeg, jpeg), 0,
        "the features of the 3 featurized images have no variance (all the same vector): the 1 component explains"
        + " none, its features are all 0, and the variance target 0.9 cannot be reached");
    assertThat(r.k()).isEqualTo(1);
    assertThat(r.explainedVariance()).isEqualTo(0.0);
  }

  /**
   * A {@code --k} above the featurized images - 1 (the most components centred data has) is kept, but the run
   * says that the components beyond that carry only rounding noise, where it used to say nothing.
   */
  @Test
  void aKAboveTheImagesMinusOneIsReportedAsAWarning() throws Exception {
    FruitsJob.Report r = runWithOneWarning("few", goodJpegs(3), 4, "k = 4 is above 2, the most components that the"
        + " centred features of 3 featurized images have: components 3 to 4 carry only rounding noise");
    assertThat(r.k()).isEqualTo(4);
  }

  /**
   * The files the listing skips as Spark's sources do (a camera's {@code _DSC0001.JPG}, a {@code .DS_Store}, a
   * dangling link; not {@code _SUCCESS}, Spark's own) are warned about, with their paths, by a fit and by a run
   * applying a saved pipeline: they used to go without a word. So is a second link to a folder, read once.
   */
  @Test
  void filesSkippedAsHiddenDanglingOrDuplicateLinksAreReportedAsWarnings() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("skipping/Apple"));
    List<Path> jpegs = goodJpegs(4);
    for (int i = 0; i < 3; i++) {
      Files.copy(jpegs.get(i), in.resolve(i + ".jpg"));
    }
    Files.copy(jpegs.get(3), in.resolve("_DSC0001.JPG"));
    Files.write(in.resolve(".DS_Store"), new byte[] {0});
    Files.write(in.getParent().resolve("_SUCCESS"), new byte[0]);
    Files.createSymbolicLink(in.resolve("gone.jpg"), in.resolve("missing.jpg"));
    Files.createSymbolicLink(in.resolveSibling("Apple again"), in);
    String root = "file:" + in;
    List<String> warnings = List.of("2 files or folders skipped as hidden (names starting with '.', or with '_'"
        + " and holding no '='): " + root + "/.DS_Store, " + root + "/_DSC0001.JPG; Spark's file sources skip"
        + " them too: rename them to read them",
        "1 dangling symbolic link skipped (its target does not exist): " + root + "/gone.jpg",
        "1 folder or file skipped as reached again through a symbolic link (each file is read once): " + root
        + " again");

    String out = tmp.resolve("out-skipping").toString();
    FruitsJob.Report fit = FruitsJob.run(spark, new FruitsJob.Options(in.getParent().toString(), out,
        RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 0, "pca"));
    assertThat(fit.files()).isEqualTo(3);
    assertThat(fit.warnings()).isEqualTo(warnings);
    assertThat(FruitsJob.summary(fit)).endsWith("\n  warning              " + warnings.get(0)
        + "\n  warning              " + warnings.get(1) + "\n  warning              " + warnings.get(2));
    assertThat(Files.readString(Path.of(out, "report.json"))).contains(warnings.get(1));

    String applied = tmp.resolve("out-skipping-applied").toString();
    FruitsJob.Report apply = FruitsJob.run(spark, FruitsJob.Options.applying(fit.pipelineModel(),
        in.getParent().toString(), applied, 0, "keep", 0));
    assertThat(apply.fitted()).isFalse();
    assertThat(apply.warnings()).isEqualTo(warnings);
    assertThat(Files.readString(Path.of(applied, "report.json"))).contains(warnings.get(1));
  }

  /**
   * The warnings about skipped files count them in the singular or the plural, and give the first 5 paths, then
   * "..." where the listing skipped more.
   */
  @Test
  void skippedFileWarningsCountInTheSingularOrPluralAndGiveAtMostFivePaths() throws Exception {
    Path many = Files.createDirectories(tmp.resolve("skipping-many"));
    for (int i = 1; i <= 6; i++) {
      Files.write(many.resolve("_DSC000" + i + ".JPG"), new byte[] {0});
    }
    Files.createSymbolicLink(many.resolve("gone1.jpg"), many.resolve("missing.jpg"));
    Files.createSymbolicLink(many.resolve("gone2.jpg"), many.resolve("missing.jpg"));
    Path one = Files.createDirectories(tmp.resolve("skipping-one"));
    Files.write(one.resolve(".DS_Store"), new byte[] {0});
    String m = "file:" + many;

    assertThat(FruitsJob.warnings(io.p9.spark.ml.ImageFiles.listing(spark, many.toString()), null)).containsExactly(
        "6 files or folders skipped as hidden (names starting with '.', or with '_' and holding no '='): " + m
            + "/_DSC0001.JPG, " + m + "/_DSC0002.JPG, " + m + "/_DSC0003.JPG, " + m + "/_DSC0004.JPG, " + m
            + "/_DSC0005.JPG, ...; Spark's file sources skip them too: rename them to read them",
        "2 dangling symbolic links skipped (their targets do not exist): " + m + "/gone1.jpg, " + m + "/gone2.jpg");
    assertThat(FruitsJob.warnings(io.p9.spark.ml.ImageFiles.listing(spark, one.toString()), null)).containsExactly(
        "1 file or folder skipped as hidden (names starting with '.', or with '_' and holding no '='): file:" + one
            + "/.DS_Store; Spark's file sources skip them too: rename them to read them");
  }

  /**
   * A file whose name is not valid in the JVM's file-name encoding (here a byte that neither UTF-8 nor ASCII
   * holds), which neither p9 nor Spark can open, is warned about as such, with the encoding and what to do; it used
   * to be reported as a dangling symbolic link.
   */
  @Test
  void aNameNotValidInTheFileNameEncodingIsReportedAsAWarning() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("encoding"));
    Files.write(in.resolve("x.jpg"), new byte[] {0});
    Files2.createRawName(in, "bad\\377.jpg", false);
    String encoding = System.getProperty("sun.jnu.encoding");

    List<String> warnings = FruitsJob.warnings(io.p9.spark.ml.ImageFiles.listing(spark, in.toString()), null);
    assertThat(warnings).singleElement().asString()
        .startsWith("1 file or folder skipped as its name is not valid in this JVM's file-name encoding, " + encoding
            + " (neither p9 nor Spark can open it): file:" + in + "/bad")
        .endsWith(encoding.equals("UTF-8") ? ".jpg; rename them to UTF-8 (e.g. with convmv)"
            : ".jpg; run in a UTF-8 locale (e.g. LANG=C.UTF-8): the JVM takes its file-name encoding from the locale");
  }

  /**
   * Runs the job (variance target 0.9 unless {@code k} &gt; 0) on copies of {@code jpegs} in one folder under
   * {@code name}; checks that its summary ends with, and its report.json lists, the one {@code warning}.
   */
  private FruitsJob.Report runWithOneWarning(String name, List<Path> jpegs, int k, String warning)
      throws IOException {
    Path in = Files.createDirectories(tmp.resolve(name + "/Apple"));
    for (int i = 0; i < jpegs.size(); i++) {
      Files.copy(jpegs.get(i), in.resolve(i + ".jpg"));
    }
    String out = tmp.resolve("out-" + name).toString();
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(in.getParent().toString(), out,
        RepoData.mobilenet().toString(), k, 0.9, 8, "keep", 0, "pca"));
    assertThat(FruitsJob.summary(r)).endsWith("\n  warning              " + warning);
    assertThat(Files.readString(Path.of(out, "report.json"))).contains("\"warnings\" : [ \"" + warning + "\" ]");
    return r;
  }

  @Test
  void theCsvFilesGiveBackPathsAndLabelsWithQuotesCommasAndBackslashes() throws Exception {
    Path in = tmp.resolve("odd-names");
    Path variety = Files.createDirectories(in.resolve("Apple, \"red\""));
    List<Path> jpegs = goodJpegs(3);
    Files.copy(jpegs.get(0), variety.resolve("a,b.jpg"));
    Files.copy(jpegs.get(1), variety.resolve("q\"uote.jpg"));
    Files.copy(jpegs.get(2), variety.resolve("back\\slash.jpg"));
    Files.write(variety.resolve("bad,\"x\".jpg"), new byte[0]);
    Files.writeString(variety.resolve("line\nbreak.jpg"), "not an image");
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(in.toString(), tmp.resolve("out-odd").toString(),
        RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 0, "pca"));

    List<String[]> features = rfc4180(r.csv());
    assertThat(features.get(0)).containsExactly("path", "label", "pc_1", "pc_2");
    assertThat(features.subList(1, features.size())).extracting(row -> row[0].substring(row[0].lastIndexOf('/') + 1))
        .containsExactlyInAnyOrder("a,b.jpg", "q\"uote.jpg", "back\\slash.jpg");
    assertThat(features.subList(1, features.size())).allSatisfy(row -> {
      assertThat(row).hasSize(4);
      assertThat(row[1]).isEqualTo("Apple, \"red\"");
      assertThat(row[0]).startsWith("file:" + variety + "/");
    });
    List<String[]> errors = rfc4180(r.errors());
    assertThat(errors.get(0)).containsExactly("path", "error");
    assertThat(errors.subList(1, errors.size())).extracting(row -> row[0].substring(row[0].lastIndexOf('/') + 1))
        .containsExactlyInAnyOrder("bad,\"x\".jpg", "line\nbreak.jpg");
    // and Spark reads them back with the options README gives
    assertThat(spark.read().option("header", "true").option("escape", "\"").option("multiLine", "true")
        .csv(r.errors()).select("path").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .extracting(p -> p.substring(p.lastIndexOf('/') + 1))
        .containsExactlyInAnyOrder("bad,\"x\".jpg", "line\nbreak.jpg");
  }

  /**
   * A CSV file's rows are computed in their own partitions' tasks (for features.csv, the PCA projection of each
   * cached partition) and only then gathered into the one task that writes the one part file, in path order.
   * {@code coalesce(1)} ran all of that upstream work in the writing task: for a large input, every cached
   * partition, from every executor, read and projected by one task on one core.
   */
  @Test
  void aCsvFileIsComputedInItsRowsPartitionsAndWrittenInPathOrder() throws Exception {
    // the partition of the task that computes each row (spark_partition_id() gives the row's input partition)
    Column task = functions.udf(() -> org.apache.spark.TaskContext.get().partitionId(),
        org.apache.spark.sql.types.DataTypes.IntegerType).asNondeterministic().apply();
    Dataset<Row> rows = spark.range(0, 1000, 1, 1).repartition(8)
        .select(functions.format_string("file:/in/%04d.jpg", functions.col("id")).as("path"), task.as("task"));
    String location = tmp.resolve("out-csv-tasks").toString();
    FruitsJob.writeCsv(rows, location);

    List<String[]> csv = rfc4180(location);
    assertThat(csv.get(0)).containsExactly("path", "task");
    List<String[]> body = csv.subList(1, csv.size());
    assertThat(body.stream().map(row -> row[1]).distinct()).as("the tasks that computed the rows")
        .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6", "7");
    assertThat(body).extracting(row -> row[0]).hasSize(1000).isSorted().doesNotHaveDuplicates();
    try (Stream<Path> parts = Files.list(Path.of(location))) {
      assertThat(parts.filter(f -> f.getFileName().toString().startsWith("part-"))).hasSize(1);
    }
  }

  /**
   * features.parquet comes in files of up to about 128 MB (a path and k doubles a row), not one per partition of
   * the featurize pass: at about 128 images a partition that was 7,800 files of about 300 KB for a million
   * images at k = 300, each its own S3 upload and commit, and a slow read for whoever uses them.
   */
  @Test
  void featuresParquetComesInFilesOfAbout128MbNotOnePerPartition() throws Exception {
    Dataset<Row> rows = spark.range(0, 1000, 1, 16).select(
        functions.format_string("file:/in/%04d.jpg", functions.col("id")).as("path"),
        functions.lit("Apple").as("label"), functions.array(functions.col("id").cast("double")).as("features"));
    Path few = tmp.resolve("out-parquet-few");
    FruitsJob.writeParquet(rows, 1000, 1, few.toString());
    // as if 200,000 rows of k = 1000: 1.6 GB, 13 files
    Path many = tmp.resolve("out-parquet-many");
    FruitsJob.writeParquet(rows, 200_000, 1000, many.toString());
    for (Path p : List.of(few, many)) {
      assertThat(spark.read().parquet(p.toString()).select("path").as(org.apache.spark.sql.Encoders.STRING())
          .collectAsList()).as(p.toString()).hasSize(1000).doesNotHaveDuplicates();
    }
    try (Stream<Path> a = Files.list(few); Stream<Path> b = Files.list(many)) {
      assertThat(a.filter(f -> f.getFileName().toString().endsWith(".parquet"))).hasSize(1);
      assertThat(b.filter(f -> f.getFileName().toString().endsWith(".parquet"))).hasSize(13);
    }
  }

  /** The first {@code n} decodable JPEGs of the first variety of the test input. */
  private List<Path> goodJpegs(int n) throws java.io.IOException {
    Path first;
    try (Stream<Path> s = Files.list(input)) {
      first = s.sorted().findFirst().orElseThrow();
    }
    try (Stream<Path> s = Files.list(first)) {
      return s.filter(p -> !p.getFileName().toString().matches("(broken|empty)\\.jpg")).sorted().limit(n).toList();
    }
  }

  /** The rows of the one part file of the CSV folder {@code location}, parsed as RFC 4180 CSV. */
  static List<String[]> rfc4180(String location) throws java.io.IOException {
    Path part;
    try (Stream<Path> s = Files.list(Path.of(location))) {
      part = s.filter(p -> p.getFileName().toString().matches("part-.*\\.csv")).findFirst().orElseThrow();
    }
    com.univocity.parsers.csv.CsvParserSettings settings = new com.univocity.parsers.csv.CsvParserSettings();
    settings.getFormat().setLineSeparator("\n");
    settings.setNullValue("");
    settings.setIgnoreLeadingWhitespaces(false);
    settings.setIgnoreTrailingWhitespaces(false);
    return new com.univocity.parsers.csv.CsvParser(settings).parseAll(
        new java.io.StringReader(Files.readString(part)));
  }

  /**
   * A space at the start or end of a label (a folder name) or of a path (a file name) is part of it: the CSV
   * files keep it, as the Parquet output does (Spark's CSV writer trims values unless told not to).
   */
  @Test
  void theCsvFilesKeepLeadingAndTrailingSpaces() throws Exception {
    Path in = tmp.resolve("spaced-names");
    Path variety = Files.createDirectories(in.resolve(" Apple "));
    List<Path> jpegs = goodJpegs(2);
    Files.copy(jpegs.get(0), variety.resolve("a.jpg "));
    Files.copy(jpegs.get(1), variety.resolve("b.jpg"));
    Files.writeString(variety.resolve("notes.txt "), "not an image");
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(in.toString(), tmp.resolve("out-spaced").toString(),
        RepoData.mobilenet().toString(), 1, 0.9, 8, "keep", 0, "pca"));

    List<String[]> features = rfc4180(r.csv());
    assertThat(features.subList(1, features.size())).extracting(row -> row[1]).containsOnly(" Apple ");
    assertThat(features.subList(1, features.size())).extracting(row -> row[0])
        .containsExactlyInAnyOrder("file:" + variety + "/a.jpg ", "file:" + variety + "/b.jpg");
    List<String[]> errors = rfc4180(r.errors());
    assertThat(errors.subList(1, errors.size())).extracting(row -> row[0])
        .containsExactly("file:" + variety + "/notes.txt ");
  }

  /**
   * An image the loader let through but the featurizer cannot use (a zero-height struct: ImageLoader never
   * makes one, another image source could) gets the featurizer's reason in errors.csv's rows and is
   * counted under it in report.json, once, beside the loader's failures.
   */
  @Test
  void aFeaturizerOnlyFailureIsReportedUnderItsOwnReason() {
    FruitsJob.Options o = new FruitsJob.Options(input.toString(), tmp.resolve("out-featurizer").toString(),
        RepoData.mobilenet().toString(), 0, 0.9, 8, "keep", 0, "pca");
    Dataset<Row> files = io.p9.spark.ml.ImageFiles.read(spark, input.toString());
    String victim = files.select("path").filter(functions.col("path").endsWith(".jpg")
        .and(functions.not(functions.col("path").rlike("/(broken|empty)\\.jpg$")))).orderBy("path")
        .first().getString(0);
    io.p9.spark.ml.ImageLoader loader = new io.p9.spark.ml.ImageLoader().setHandleInvalid("keep");
    Column zeroHeight = functions.struct(functions.lit(victim).as("origin"), functions.lit(0).as("height"),
        functions.lit(100).as("width"), functions.lit(3).as("nChannels"), functions.lit(16).as("mode"),
        functions.lit(new byte[0]).as("data")).cast(ImageSchema.columnSchema());
    Dataset<Row> decoded = loader.transform(files).withColumn("image",
        functions.when(functions.col("path").equalTo(victim), zeroHeight).otherwise(functions.col("image")));
    io.p9.spark.ml.CnnFeaturizer featurizer = FruitsJob.featurizer(o);
    Dataset<Row> featurized = featurizer.transform(decoded).drop("content", "image").cache();
    try {
      Dataset<Row> failures = FruitsJob.failures(featurized, FruitsJob.Columns.FIT);
      java.util.Map<String, String> errors = new java.util.TreeMap<>();
      failures.collectAsList().forEach(x -> errors.put(
          x.getString(0).substring(x.getString(0).lastIndexOf('/') + 1), x.getString(1)));
      String victimName = victim.substring(victim.lastIndexOf('/') + 1);

      assertThat(errors).containsOnlyKeys("broken.jpg", "empty.jpg", victimName);
      assertThat(errors.get(victimName)).isEqualTo("INVALID_IMAGE: 100x0x3 with 0 bytes");
      assertThat(errors.get("empty.jpg")).startsWith("EMPTY: ");
      assertThat(errors.get("broken.jpg")).matches("(TRUNCATED|CORRUPT): .*");

      java.util.Map<String, Long> reasons = FruitsJob.failuresByReason(failures);
      assertThat(reasons).containsEntry("INVALID_IMAGE", 1L).containsEntry("EMPTY", 1L)
          .doesNotContainKey("NO_IMAGE").hasSize(3);
      assertThat(reasons.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);
    } finally {
      featurized.unpersist();
    }
  }

  /** Progress counts the files the loader drops under skip, which never reach the featurizer, as done. */
  @Test
  void underSkipTheFilesDoneReachTheListedTotal() {
    io.p9.spark.ml.ImageLoader loader = new io.p9.spark.ml.ImageLoader().setHandleInvalid("skip");
    io.p9.spark.ml.CnnFeaturizer featurizer = new io.p9.spark.ml.CnnFeaturizer()
        .setModelLocation(RepoData.mobilenet().toString()).setHandleInvalid("skip");
    List<Row> rows = featurizer.transform(loader.transform(io.p9.spark.ml.ImageFiles.read(spark, input.toString())))
        .select("path", "features").collectAsList();

    assertThat(rows).hasSize(24);
    assertThat(io.p9.spark.ml.ImageFiles.count(spark, input.toString())).isEqualTo(26);
    assertThat(loader.metrics().skipped()).isEqualTo(2);
    assertThat(featurizer.metrics().succeeded()).isEqualTo(24);
    assertThat(FruitsJob.filesDone(loader.metrics(), featurizer.metrics())).isEqualTo(26);
  }

  /**
   * The featurize pass ends with one last progress line (all files done, the rate over the whole pass), in
   * ASCII digits with a decimal point whatever the JVM's default locale (here German, which writes 100,0).
   */
  @Test
  void theFeaturizePassEndsWithOneLastProgressLine() throws Exception {
    java.util.Locale saved = java.util.Locale.getDefault();
    java.util.Locale savedFormat = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
    List<String> logged;
    try {
      java.util.Locale.setDefault(java.util.Locale.GERMANY);
      logged = logged(Progress.class.getName(), () -> FruitsJob.run(spark, new FruitsJob.Options(input.toString(),
          tmp.resolve("out-progress").toString(), RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 3, "pca")));
    } finally {
      java.util.Locale.setDefault(saved);
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, savedFormat);
    }
    assertThat(logged).as("Progress's log lines").isNotEmpty();
    assertThat(logged.get(logged.size() - 1))
        .matches("26 / 26 files done \\(100\\.0 %\\) in \\d+\\.\\d s, 24 featurized, \\d+\\.\\d images/s");
  }

  /**
   * A {@code --pipeline} folder with no saved pipeline in it (a typo, the output folder instead of its
   * pipeline-model) is refused with p9's one line only: Spark's {@code PipelineModel.load}, which it used to call
   * first, logged the failure at ERROR with its stack trace, twice, over 100 lines above that one.
   */
  @Test
  void aPipelineFolderWithNothingSavedIsRefusedWithoutSparksErrorLog() throws Exception {
    Path missing = tmp.resolve("no-pipeline-here");
    List<String> logged = logged("org.apache.spark.ml.util.Instrumentation", () ->
        assertThatThrownBy(() -> FruitsJob.loadPipeline(missing.toString()))
            .isInstanceOf(FruitsJob.InvalidOptionException.class)
            .hasMessage("--pipeline " + missing + ": no saved PipelineModel can be read there (Input path does not"
                + " exist: file:" + missing + "/metadata)"));
    assertThat(logged).as("Spark's Instrumentation log").isEmpty();
  }

  /** The messages the logger {@code name} logs at INFO and above while {@code body} runs. */
  private static List<String> logged(String name, java.util.concurrent.Callable<?> body) throws Exception {
    try (LogCapture log = new LogCapture(org.apache.logging.log4j.Level.INFO, name)) {
      body.call();
      return log.messages();
    }
  }

  /**
   * The job lists its input once: the rows it reads and the progress total come from one listing (on S3, a
   * second listing is a second paginated LIST of the whole prefix, and may see other objects).
   */
  @Test
  void theJobListsItsInputOnce() throws Exception {
    spark.sparkContext().hadoopConfiguration().set("fs." + ListingCountingFileSystem.SCHEME + ".impl",
        ListingCountingFileSystem.class.getName());
    ListingCountingFileSystem.reset();
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(
        ListingCountingFileSystem.SCHEME + ":" + input, tmp.resolve("out-listed").toString(),
        RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 0, "pca"));

    assertThat(r.files()).isEqualTo(26);
    java.util.Map<String, Integer> listed = ListingCountingFileSystem.listed();
    assertThat(listed).as("folders listed").hasSize(5)
        .containsKey(ListingCountingFileSystem.SCHEME + ":" + input);
    assertThat(listed.values()).as("times each folder was listed: " + listed).containsOnly(1);
  }

  /**
   * k = 1 draws no PC 1 / PC 2 plot; one an earlier run left in the same output folder (the quickstart's
   * target/p9-fruits, "replaced on each run") must not stay beside this run's report as if it were its own.
   */
  @Test
  void aRunWithKOneLeavesNoScatterPlotOfAnEarlierRun() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out-k1"));
    Files.writeString(out.resolve("pc1-pc2.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(input.toString(), out.toString(),
        RepoData.mobilenet().toString(), 1, 0.9, 8, "keep", 0, "pca"));
    assertThat(r.k()).isEqualTo(1);
    assertThat(r.scatterPlot()).isNull();
    assertThat(out.resolve("pc1-pc2.svg")).doesNotExist();
    assertThat(Path.of(r.variancePlot())).exists();
  }

  /**
   * report.json is written last, as the record of the files beside it; one an earlier run left must not stay
   * beside the files of a run that failed while it was replacing them, as if it described them.
   */
  @Test
  void aRunThatFailsWhileReplacingTheOutputLeavesNoReportOfAnEarlierRun() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out-fails"));
    Files.writeString(out.resolve("report.json"), "{ \"k\" : 5, \"parquet\" : \"features.parquet\" }");
    // a folder where the variance plot goes: the run fails after it replaced the model and the features
    Files.createDirectories(out.resolve("explained-variance.svg").resolve("in-the-way"));

    assertThatThrownBy(() -> FruitsJob.run(spark, new FruitsJob.Options(input.toString(), out.toString(),
        RepoData.mobilenet().toString(), 2, 0.9, 8, "keep", 0, "pca"))).isInstanceOf(IOException.class);

    assertThat(out.resolve("features.parquet").resolve("_SUCCESS")).as("replaced before the failure").exists();
    assertThat(out.resolve("report.json")).doesNotExist();
  }

  @Test
  void whenNoFileCanBeFeaturizedTheErrorSaysWhy() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("all-bad/x"));
    Files.write(bad.resolve("empty.jpg"), new byte[0]);
    Files.writeString(bad.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> FruitsJob.run(spark, new FruitsJob.Options(bad.getParent().toString(),
        tmp.resolve("out-bad").toString(), RepoData.mobilenet().toString(), 0, 0.9, 8, "keep", 0, "pca")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("only 0 of 2 files")
        .hasMessageContaining("EMPTY=1").hasMessageContaining("NOT_AN_IMAGE=1")
        .hasMessageNotContaining("NO_IMAGE");
  }

  /**
   * Under {@code skip} the failed files are dropped from the rows, not from the files read: the message counts
   * them, as report.json's {@code files} does, and as under {@code keep}.
   */
  @Test
  void underSkipTheErrorCountsTheDroppedFilesAmongTheFilesRead() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("all-bad-skip/x"));
    Files.write(bad.resolve("empty.jpg"), new byte[0]);
    Files.writeString(bad.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> FruitsJob.run(spark, new FruitsJob.Options(bad.getParent().toString(),
        tmp.resolve("out-bad-skip").toString(), RepoData.mobilenet().toString(), 0, 0.9, 8, "skip", 0, "pca")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("only 0 of 2 files")
        .hasMessageContaining("EMPTY=1").hasMessageContaining("NOT_AN_IMAGE=1");
  }

  /** A k the model cannot give is refused before the CNN pass (hours on a large input), not after it. */
  @Test
  void aKAboveTheModelsFeatureDimensionIsRefusedBeforeAnyImageIsFeaturized() {
    String group = "k-too-large";
    spark.sparkContext().setJobGroup(group, "k above the feature dimension", false);
    try {
      assertThatThrownBy(() -> FruitsJob.run(spark, new FruitsJob.Options(input.toString(),
          tmp.resolve("out-k-too-large").toString(), RepoData.mobilenet().toString(), 1281, 0.9, 8, "keep", 0,
          "pca")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("k = 1281 is larger than the model's feature dimension 1280");
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    assertThat(spark.sparkContext().statusTracker().getJobIdsForGroup(group)).as("Spark jobs run").isEmpty();
    assertThat(tmp.resolve("out-k-too-large")).doesNotExist();
  }

  @Test
  void fixedKAndSparksStandardScaler() throws Exception {
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(input.toString(),
        tmp.resolve("out-k").toString(), RepoData.mobilenet().toString(), 5, 0.95, 16, "skip", 0, "spark"));
    assertThat(r.k()).isEqualTo(5);
    assertThat(r.files()).isEqualTo(26);
    assertThat(r.featurized()).isEqualTo(24);
    assertThat(r.failed()).isEqualTo(2);
    assertThat(r.failuresByReason()).containsEntry("EMPTY", 1L);
    assertThat(spark.read().parquet(r.parquet()).count()).isEqualTo(24);
    // k given, not chosen: no target line on the variance plot
    assertThat(RunPlotsTest.texts(RunPlotsTest.parse(Files.readString(Path.of(r.variancePlot())))))
        .noneMatch(t -> t.startsWith("target")).contains(String.format(java.util.Locale.ROOT, "k = 5: %.2f %%",
            r.explainedVariance() * 100));
  }

  /**
   * The PCA projection of the featurized images is computed once per run, for features.parquet, features.csv and
   * the PC 1 / PC 2 plot together: it was computed once for each of them, three passes over the 1280-d rows.
   * Counted by a stage the saved pipeline runs just before its PcaReducerModel, as part of the projection.
   */
  @Test
  void theProjectionIsComputedOncePerRun() throws Exception {
    String saved = tmp.resolve("counting-pipeline").toString();
    new org.apache.spark.ml.Pipeline().setStages(new org.apache.spark.ml.PipelineStage[] {
        new io.p9.spark.ml.ImageLoader().setHandleInvalid("keep"),
        new io.p9.spark.ml.CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString()).setHandleInvalid("keep"),
        new CountingStage(), new io.p9.spark.ml.PcaReducer().setInputCol("counted").setK(3)})
        .fit(io.p9.spark.ml.ImageFiles.read(spark, input.toString())).write().save(saved);
    String out = tmp.resolve("out-counted").toString();
    CountingStage.ROWS.set(0);
    FruitsJob.Report r = FruitsJob.run(spark, FruitsJob.Options.applying(saved, input.toString(), out, 0, "keep", 0));

    assertThat(r.featurized()).isEqualTo(24);
    assertThat(CountingStage.ROWS.get()).as("rows projected").isEqualTo(24);
    assertThat(spark.read().parquet(r.parquet()).count()).isEqualTo(24);
    List<String[]> csv = rfc4180(r.csv());
    assertThat(csv.subList(1, csv.size())).extracting(row -> row[0]).hasSize(24).isSorted();
    assertThat(RunPlotsTest.parse(Files.readString(Path.of(r.scatterPlot()))).getElementsByTagName("circle")
        .getLength()).isEqualTo(24);
    assertThat(spark.sharedState().cacheManager().isEmpty()).as("nothing left cached").isTrue();
  }

  /**
   * A saved pipeline with a stage between the loader and the featurizer, applied under {@code skip}: that stage
   * gets the rows {@code skip} gives it, none without an image, though the job's counts take in the files the
   * loader drops (from its counters there, which count a partition computed again again).
   */
  @Test
  void aStageBetweenTheLoaderAndTheFeaturizerGetsNoRowWithoutAnImageUnderSkip() throws Exception {
    FruitsJob.Report fitted = FruitsJob.run(spark, new FruitsJob.Options(input.toString(),
        tmp.resolve("out-before-between").toString(), RepoData.mobilenet().toString(), 3, 0.9, 8, "skip", 3, "pca"));
    org.apache.spark.ml.Transformer[] stages = PipelineModel.load(fitted.pipelineModel()).stages();
    String between = tmp.resolve("between-pipeline").toString();
    new org.apache.spark.ml.Pipeline().setStages(new org.apache.spark.ml.PipelineStage[] {stages[0],
        new ImageRequiringStage(), stages[1], stages[2]}).fit(io.p9.spark.ml.ImageFiles.read(spark,
        input.toString())).write().save(between);

    FruitsJob.Report r = FruitsJob.run(spark, FruitsJob.Options.applying(between, input.toString(),
        tmp.resolve("out-between").toString(), 0, "skip", 3));

    assertThat(r.files()).isEqualTo(26);
    assertThat(r.featurized()).isEqualTo(24);
    assertThat(r.failed()).isEqualTo(2);
    assertThat(r.failuresByReason()).isEqualTo(fitted.failuresByReason());
  }

  /**
   * The counts are exact when the featurize pass's cached partitions are lost (the executor that held them gone
   * with its spot instance) and the actions after it compute them again: under {@code skip}, report.json's files,
   * failed and failures by reason, and the last progress line's featurized images, came from the stages' counters,
   * which count a partition again each time it is computed. The saved pipeline loses the cache in the pass's first
   * task; a fit under {@code skip} first, whose saved stages keep {@code skip}.
   */
  @Test
  void theCountsAreExactWhenTheCachedFeaturesAreLostAndComputedAgain() throws Exception {
    FruitsJob.Report fitted = FruitsJob.run(spark, new FruitsJob.Options(input.toString(),
        tmp.resolve("out-before-loss").toString(), RepoData.mobilenet().toString(), 3, 0.9, 8, "skip", 3, "pca"));
    PipelineModel model = PipelineModel.load(fitted.pipelineModel());
    assertThat(((io.p9.spark.ml.ImageLoader) model.stages()[0]).getHandleInvalid()).isEqualTo("skip");
    assertThat(((io.p9.spark.ml.CnnFeaturizer) model.stages()[1]).getHandleInvalid()).isEqualTo("skip");
    String losing = tmp.resolve("losing-pipeline").toString();
    new org.apache.spark.ml.Pipeline().setStages(new org.apache.spark.ml.PipelineStage[] {new CacheLossStage(),
        model}).fit(io.p9.spark.ml.ImageFiles.read(spark, input.toString())).write().save(losing);

    java.util.concurrent.atomic.AtomicReference<FruitsJob.Report> report =
        new java.util.concurrent.atomic.AtomicReference<>();
    CacheLossStage.ARMED.set(true);
    List<String> logged = logged(Progress.class.getName(), () -> {
      report.set(FruitsJob.run(spark, FruitsJob.Options.applying(losing, input.toString(),
          tmp.resolve("out-after-loss").toString(), 0, "skip", 3)));
      return null;
    });
    assertThat(CacheLossStage.ARMED).as("the cache was lost").isFalse();

    FruitsJob.Report r = report.get();
    assertThat(r.files()).isEqualTo(26);
    assertThat(r.featurized()).isEqualTo(24);
    assertThat(r.failed()).isEqualTo(2);
    assertThat(r.failuresByReason()).isEqualTo(fitted.failuresByReason()).containsEntry("EMPTY", 1L);
    assertThat(fitted.failuresByReason().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(r.csv()).getParent()
        .resolve("report.json").toFile()).get("files").asLong()).isEqualTo(26);
    Dataset<Row> parquet = spark.read().parquet(r.parquet());
    assertThat(parquet.count()).isEqualTo(24);
    assertThat(parquet.select("path").distinct().count()).isEqualTo(24);
    // skip counts the failed files but writes none of them
    assertThat(rfc4180(r.errors())).singleElement().isEqualTo(new String[] {"path", "error"});
    assertThat(logged.get(logged.size() - 1))
        .matches("26 / 26 files done \\(100\\.0 %\\) in \\d+\\.\\d s, 24 featurized, \\d+\\.\\d images/s");
  }

  /** A run that fails after the featurize pass (1 image: too few to fit) leaves nothing cached; it kept its rows. */
  @Test
  void aRunThatFailsLeavesNothingCached() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("one/Apple"));
    Files.copy(goodJpegs(1).get(0), in.resolve("0.jpg"));
    assertThatThrownBy(() -> FruitsJob.run(spark, new FruitsJob.Options(in.getParent().toString(),
        tmp.resolve("out-one").toString(), RepoData.mobilenet().toString(), 0, 0.9, 8, "keep", 0, "pca")))
        .isInstanceOf(FruitsJob.TooFewImagesException.class);
    assertThat(spark.sharedState().cacheManager().isEmpty()).as("nothing left cached").isTrue();
  }

  @Test
  void cliHelpAndBadArguments() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new P9Cli()).setOut(new java.io.PrintWriter(buf, true));
    assertThat(cli.execute("run", "--help")).isZero();
    String help = buf.toString(StandardCharsets.UTF_8);
    assertThat(help).contains("--input", "--output", "--model", "--variance", "--k", "--scaler");
    PrintStream err = System.err;
    try {
      System.setErr(new PrintStream(new ByteArrayOutputStream()));
      assertThat(new CommandLine(new P9Cli()).execute("run", "--k", "notanumber")).isNotZero();
    } finally {
      System.setErr(err);
    }
  }
}
