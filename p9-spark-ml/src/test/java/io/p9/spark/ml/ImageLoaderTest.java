package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.internal.CountsAccumulator;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.StageContract;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

class ImageLoaderTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static Path mixed;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    mixed = tmp.resolve("mixed");
    Files2.copySample(RepoData.quickSample().resolve("Training"), mixed, 3, 2);
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    Files2.write(mixed.resolve("bad/empty.jpg"), new byte[0]);
    Files2.write(mixed.resolve("bad/notes.jpg"), "not an image at all".getBytes(StandardCharsets.UTF_8));
    Files2.write(mixed.resolve("bad/truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
  }

  static Dataset<Row> files(Path dir) {
    return ImageFiles.read(spark, dir.toString()).repartition(3);
  }

  @Test
  void contract() {
    StageContract.check(new ImageLoader().setHandleInvalid("keep").setLabelPattern("(\\w+) \\d+/"));
  }

  @Test
  void gettersAndSettersUseTheirOwnParam() {
    StageContract.checkAccessors(new ImageLoader(), Map.of("inputCol", "bytes", "pathCol", "file",
        "outputCol", "img", "labelCol", "", "labelPattern", "(\\w+)/", "errorCol", "", "handleInvalid", "skip",
        "maxPixels", 1234L, "background", "#102030", "exifOrientation", false));
  }

  @Test
  void decodesIntoTheSparkImageStructWithTheFolderAsLabel() {
    Dataset<Row> out = new ImageLoader().transform(files(RepoData.quickSample().resolve("Training")));
    assertThat(out.schema().apply("image").dataType()).isEqualTo(ImageSchema.columnSchema());
    List<Row> rows = out.select("path", "image", "label", "error").collectAsList();
    assertThat(rows).hasSize(240);
    for (Row r : rows) {
      Row img = r.getStruct(1);
      assertThat(img.getString(0)).isEqualTo(r.getString(0));
      assertThat(img.getInt(1)).isEqualTo(100);
      assertThat(img.getInt(2)).isEqualTo(100);
      assertThat(img.getInt(3)).isEqualTo(3);
      assertThat(img.getInt(4)).isEqualTo(16);
      assertThat(((byte[]) img.get(5))).hasSize(100 * 100 * 3);
      String path = r.getString(0);
      String folder = Path.of(java.net.URI.create(path.replace(" ", "%20")).getPath()).getParent()
          .getFileName().toString();
      assertThat(r.getString(2)).isEqualTo(folder);
      assertThat(r.isNullAt(3)).isTrue();
    }
    assertThat(rows.stream().map(r -> r.getString(2)).distinct()).hasSize(16);
  }

  @Test
  void sameBytesAsSparksOwnImageSource() {
    Path one = RepoData.quickSample().resolve("Training/Apple Braeburn 1");
    Row ours = new ImageLoader().transform(files(one)).orderBy("path").select("image").head().getStruct(0);
    Row sparks = spark.read().format("image").load(one.toString()).orderBy("image.origin")
        .head().getStruct(0);
    assertThat(ours.getInt(1)).isEqualTo(sparks.getInt(1));
    assertThat(ours.getInt(3)).isEqualTo(sparks.getInt(3));
    assertThat(ours.getInt(4)).isEqualTo(sparks.getInt(4));
    byte[] a = (byte[]) ours.get(5);
    byte[] b = (byte[]) sparks.get(5);
    // Both decode the same baseline JPEG with libjpeg-compatible IDCTs; allow off-by-a-few rounding.
    int maxDiff = 0;
    for (int i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
    }
    assertThat(maxDiff).isLessThanOrEqualTo(4);
  }

  @Test
  void sparksOwnBinaryFileSourceDropsZeroByteFilesButImageFilesDoesNot() {
    long spark9 = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(mixed.toString()).count();
    assertThat(spark9).as("SPARK-26161: empty files are skipped by file sources").isEqualTo(8);
    assertThat(files(mixed).count()).isEqualTo(9);
  }

  @Test
  void keepAccountsForEveryFileWithAReason() {
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep");
    List<Row> rows = loader.transform(files(mixed)).select("path", "image", "error").collectAsList();
    assertThat(rows).hasSize(9);
    Map<String, String> errors = rows.stream().filter(r -> !r.isNullAt(2))
        .collect(Collectors.toMap(r -> r.getString(0).replaceAll(".*/", ""), r -> r.getString(2)));
    assertThat(errors).containsOnlyKeys("empty.jpg", "notes.jpg", "truncated.jpg");
    assertThat(errors.get("empty.jpg")).startsWith("EMPTY");
    assertThat(errors.get("notes.jpg")).startsWith("NOT_AN_IMAGE");
    assertThat(errors.get("truncated.jpg")).matches("(TRUNCATED|CORRUPT).*");
    rows.stream().filter(r -> !r.isNullAt(2)).forEach(r -> assertThat(r.isNullAt(1)).isTrue());
    assertThat(loader.metrics().succeeded()).isEqualTo(6);
    assertThat(loader.metrics().kept()).isEqualTo(3);
    assertThat(loader.metrics().skipped()).isZero();
    assertThat(loader.metrics().failuresByReason()).containsEntry("EMPTY", 1L)
        .containsEntry("NOT_AN_IMAGE", 1L);
  }

  @Test
  void anEmptyErrorColumnAddsNoColumnAndStillCounts() {
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep").setErrorCol("").setLabelCol("");
    Dataset<Row> out = loader.transform(files(mixed));
    assertThat(out.columns()).containsExactly("path", "modificationTime", "length", "content", "image");
    assertThat(out.filter(functions.col("image").isNull()).count()).isEqualTo(3);
    assertThat(loader.metrics().kept()).isEqualTo(3);
    assertThat(loader.metrics().failuresByReason()).containsEntry("EMPTY", 1L);
  }

  @Test
  void skipDropsAndCounts() {
    ImageLoader loader = new ImageLoader().setHandleInvalid("skip");
    long n = loader.transform(files(mixed)).filter(functions.col("image").isNotNull()).count();
    assertThat(n).isEqualTo(6);
    assertThat(loader.metrics().skipped()).isEqualTo(3);
    assertThat(loader.metrics().succeeded()).isEqualTo(6);
  }

  @Test
  void errorFailsNamingTheFileAndTheReason() {
    Path onlyBad = mixed.resolve("bad");
    assertThatThrownBy(() -> new ImageLoader().transform(files(onlyBad)).collectAsList())
        .hasStackTraceContaining("cannot decode")
        .hasStackTraceContaining("bad/");
  }

  @Test
  void labelPatternTakesTheFirstGroup() {
    Dataset<Row> out = new ImageLoader().setLabelPattern("Training/(\\w+)")
        .transform(files(RepoData.quickSample().resolve("Training")));
    List<String> labels = out.select("label").distinct().as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    assertThat(labels).containsExactlyInAnyOrder("Apple", "Cherry", "Tomato");
  }

  @Test
  void pathsAreLabelledAsTheyAreWithPercentPlusAndSpaces() {
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    Path odd = tmp.resolve("odd names");
    Files2.write(odd.resolve("Apple/100%.jpg"), jpeg);
    Files2.write(odd.resolve("Apple%41/a.jpg"), jpeg);
    Files2.write(odd.resolve("Apple Red/a b.jpg"), jpeg);
    Files2.write(odd.resolve("C++/1+1 %2B.jpg"), jpeg);
    Dataset<Row> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(odd.toString());
    for (Dataset<Row> in : List.of(files(odd), sparks)) {
      Map<String, String> labels = new ImageLoader().transform(in).select("path", "label").collectAsList()
          .stream().collect(Collectors.toMap(r -> r.getString(0).replaceAll(".*/odd names/", ""),
              r -> r.getString(1)));
      assertThat(labels).containsOnly(Map.entry("Apple/100%.jpg", "Apple"), Map.entry("Apple%41/a.jpg", "Apple%41"),
          Map.entry("Apple Red/a b.jpg", "Apple Red"), Map.entry("C++/1+1 %2B.jpg", "C++"));
      List<String> byPattern = new ImageLoader().setLabelPattern("/([^/]*%[^/]*)$").transform(in)
          .select("label").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
      assertThat(byPattern).containsExactlyInAnyOrder("100%.jpg", null, null, "1+1 %2B.jpg");
    }
  }

  /**
   * One folder name in two Unicode forms: {@code café} as Linux and Windows tools write it (NFC, é one code
   * point) and as macOS writes it (NFD, e plus a combining accent), as a collection merged from both has them. They
   * print the same, but were two labels, two classes in every plot and downstream classifier. The label is NFC
   * now, by folder and by pattern; the path keeps the name's own bytes, so that the file can be opened again.
   */
  @Test
  void aFolderNameInNfdAndInNfcIsOneLabelButThePathsKeepTheirForms() {
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    String nfc = "caf\u00e9";
    String nfd = "cafe\u0301";
    Path forms = tmp.resolve("forms");
    Files2.write(forms.resolve(nfc + "/a.jpg"), jpeg);
    Files2.write(forms.resolve(nfd + "/b.jpg"), jpeg);
    Dataset<Row> in = files(forms);
    Map<String, String> labels = new ImageLoader().transform(in).select("path", "label").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1)));
    assertThat(labels).containsOnly(Map.entry("file:" + forms + "/" + nfc + "/a.jpg", nfc),
        Map.entry("file:" + forms + "/" + nfd + "/b.jpg", nfc));
    assertThat(new ImageLoader().setLabelPattern("/(ca[^/]*)/").transform(in).select("label")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList()).containsExactly(nfc, nfc);
  }

  /**
   * A file right under a bucket (or an HDFS root) has no parent folder: its label is null, as for
   * {@code file:/x.jpg}, not the bucket's name (or {@code namenode:8020}), which would give every such file
   * one made-up class. A folder whose name ends in ':' below the root is a label like any other.
   */
  @Test
  void aFileAtTheRootOfABucketHasNoLabelNotTheBucketName() {
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    List<String> paths = List.of("s3a://fruits/0_100.jpg", "s3a://fruits/Cherry 1/0_100.jpg",
        "hdfs://namenode:8020/0_100.jpg", "hdfs://namenode:8020/in/Apple/0_100.jpg", "file:/0_100.jpg",
        "file:/C:/data/Kiwi/0_100.jpg", "file:/C:/0_100.jpg", "file:/in/Note:/0_100.jpg",
        "s3a://fruits/12:30:/0_100.jpg");
    Dataset<Row> in = spark.createDataFrame(
        paths.stream().map(p -> RowFactory.create(p, jpeg)).collect(Collectors.toList()),
        new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType));
    Map<String, String> labels = new ImageLoader().transform(in).select("path", "label").collectAsList()
        .stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.isNullAt(1) ? "<null>" : r.getString(1)));
    assertThat(labels).containsExactlyInAnyOrderEntriesOf(Map.of(
        "s3a://fruits/0_100.jpg", "<null>",
        "s3a://fruits/Cherry 1/0_100.jpg", "Cherry 1",
        "hdfs://namenode:8020/0_100.jpg", "<null>",
        "hdfs://namenode:8020/in/Apple/0_100.jpg", "Apple",
        "file:/0_100.jpg", "<null>",
        "file:/C:/data/Kiwi/0_100.jpg", "Kiwi",
        "file:/C:/0_100.jpg", "<null>",
        "file:/in/Note:/0_100.jpg", "Note:",
        "s3a://fruits/12:30:/0_100.jpg", "12:30:"));
  }

  /**
   * Each task deserializes its own copy of the decode function; they share the executor thread's decoder
   * (and its ImageIO readers) instead of making one per task. Another thread, or other options, get their own.
   */
  @Test
  void tasksOnOneThreadShareItsDecoder() throws Exception {
    CountsAccumulator acc = new CountsAccumulator();
    spark.sparkContext().register(acc, "decoders");
    ImageLoader.DecodeFunction f = new ImageLoader.DecodeFunction(DecodeOptions.defaults(), "keep", acc);
    SerializerInstance closures = new JavaSerializer(spark.sparkContext().getConf()).newInstance();
    ClassTag<ImageLoader.DecodeFunction> tag = ClassTag$.MODULE$.apply(ImageLoader.DecodeFunction.class);
    ImageLoader.DecodeFunction task1 = closures.deserialize(closures.serialize(f, tag), tag);
    ImageLoader.DecodeFunction task2 = closures.deserialize(closures.serialize(f, tag), tag);
    assertThat(task1).isNotSameAs(task2);
    assertThat(task1.decoder()).isSameAs(task2.decoder());
    ImageDecoder[] other = new ImageDecoder[1];
    Thread t = new Thread(() -> other[0] = task1.decoder());
    t.start();
    t.join();
    assertThat(other[0]).isNotNull().isNotSameAs(task1.decoder());
    ImageLoader.DecodeFunction noExif = new ImageLoader.DecodeFunction(
        DecodeOptions.defaults().withExifOrientation(false), "keep", acc);
    assertThat(noExif.decoder()).isNotSameAs(task1.decoder());
    assertThat(noExif.decoder().options().applyExifOrientation()).isFalse();
  }

  /** A dot in a column name is part of the name (as the schema checks take it), not a path into a struct. */
  @Test
  void columnNamesWithADotAreTakenAsTheyAre() {
    Dataset<Row> dotted = files(mixed).withColumnRenamed("path", "file.path")
        .withColumnRenamed("content", "file.content");
    ImageLoader loader = new ImageLoader().setPathCol("file.path").setInputCol("file.content")
        .setHandleInvalid("keep").setErrorCol("img.error").setLabelCol("img.label");
    List<Row> ours = loader.setOutputCol("img.image").transform(dotted)
        .select("`file.path`", "`img.image`", "`img.label`", "`img.error`").orderBy("`file.path`").collectAsList();
    List<Row> plain = new ImageLoader().setHandleInvalid("keep").transform(files(mixed))
        .select("path", "image", "label", "error").orderBy("path").collectAsList();
    assertThat(ours).hasSize(9).isEqualTo(plain);
  }

  /** A uid is any string ({@code new ImageLoader(uid)}, or one read back from a saved stage), dots included. */
  @Test
  void aUidWithADotWorksAsAnyOther() {
    List<Row> plain = new ImageLoader().setHandleInvalid("skip").transform(files(mixed))
        .select("path", "image", "label", "error").orderBy("path").collectAsList();
    for (String handleInvalid : List.of("skip", "keep")) {
      List<Row> dotted = new ImageLoader("loader.v2").setHandleInvalid(handleInvalid).transform(files(mixed))
          .select("path", "image", "label", "error").orderBy("path").collectAsList();
      assertThat(dotted).as(handleInvalid).hasSize("skip".equals(handleInvalid) ? 6 : 9).containsAll(plain);
    }
  }

  @Test
  void schemaErrorsNameStageColumnAndTypes() {
    Dataset<Row> wrong = files(mixed).withColumn("content", functions.lit("x"));
    ImageLoader loader = new ImageLoader();
    assertThatThrownBy(() -> loader.transform(wrong))
        .hasMessageContaining("ImageLoader[" + loader.uid() + "]")
        .hasMessageContaining("column 'content' must be binary but was string");
    assertThatThrownBy(() -> loader.setInputCol("nope").transform(files(mixed)))
        .hasMessageContaining("column 'nope' does not exist")
        .hasMessageContaining("content");
    assertThatThrownBy(() -> new ImageLoader().setOutputCol("path").transform(files(mixed)))
        .hasMessageContaining("output column 'path' already exists");
  }

  @Test
  void outputColumnsDifferingOnlyInCaseFromInputColumnsAreRefused() {
    // spark.sql.caseSensitive is false by default: withColumn("label") would replace the input's Label
    Dataset<Row> labelled = files(mixed).withColumn("Label", functions.lit("from the manifest"));
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep");
    assertThatThrownBy(() -> loader.transform(labelled))
        .hasMessageContaining("ImageLoader[" + loader.uid() + "]")
        .hasMessageContaining("output column 'label' already exists as 'Label'");
    assertThatThrownBy(() -> new ImageLoader().setLabelCol("Error").transform(files(mixed)))
        .hasMessageContaining("output columns must differ");

    spark.conf().set("spark.sql.caseSensitive", "true");
    try {
      Dataset<Row> out = loader.transform(labelled);
      assertThat(out.columns()).contains("Label", "label");
      assertThat(out.select("Label").distinct().as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
          .containsExactly("from the manifest");
    } finally {
      spark.conf().unset("spark.sql.caseSensitive");
    }
  }

  @Test
  void metricsCountWhatActionsDecodeAndCountRecomputationsAgain() {
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep");
    Dataset<Row> out = loader.transform(files(mixed));
    // reads none of the output columns: Spark prunes the decoding
    assertThat(out.select("path").count()).isEqualTo(9);
    assertThat(loader.metrics().succeeded() + loader.metrics().kept()).isZero();

    assertThat(out.select("image").collectAsList()).hasSize(9);
    assertThat(loader.metrics().succeeded()).isEqualTo(6);
    assertThat(loader.metrics().kept()).isEqualTo(3);
    // not cached: a second action decodes, and counts, again
    assertThat(out.select("error").collectAsList()).hasSize(9);
    assertThat(loader.metrics().succeeded()).isEqualTo(12);
    assertThat(loader.metrics().kept()).isEqualTo(6);
  }

  @Test
  void roundTripAloneAndInAPipeline() throws Exception {
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep").setMaxPixels(1_000_000);
    ImageLoader back = RoundTrip.saveAndLoad(loader, tmp.resolve("rt"), ImageLoader::load);
    Dataset<Row> in = files(mixed);
    assertThat(back.transform(in).drop("content").orderBy("path").collectAsList())
        .isEqualTo(loader.transform(in).drop("content").orderBy("path").collectAsList());

    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {loader}).fit(in);
    String p = tmp.resolve("pm").toUri().toString();
    pm.write().save(p);
    PipelineModel pmBack = PipelineModel.load(p);
    assertThat(pmBack.stages()[0]).isInstanceOf(ImageLoader.class);
    assertThat(pmBack.transform(in).select("path", "error").orderBy("path").collectAsList())
        .isEqualTo(pm.transform(in).select("path", "error").orderBy("path").collectAsList());

    ImageLoader inPipeline = RoundTrip.saveAndLoadInPipeline(loader, tmp.resolve("pipeline"));
    assertThat(inPipeline.transform(in).drop("content").orderBy("path").collectAsList())
        .isEqualTo(loader.transform(in).drop("content").orderBy("path").collectAsList());
  }
}
