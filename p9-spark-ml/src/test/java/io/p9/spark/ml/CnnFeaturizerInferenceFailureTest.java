package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.testing.FailingOnnx;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CnnFeaturizer when ONNX Runtime itself fails on a batch: a real ONNX model ({@link FailingOnnx}) that fails
 * on any batch holding a white pixel, run on dark images and two white ones. A failing batch is either the
 * job's end (handleInvalid=error, naming the batch's images) or is run again image by image, the white ones
 * becoming INFERENCE_FAILED rows; a model that fails on a blank image too fails the job whatever
 * handleInvalid says.
 */
class CnnFeaturizerInferenceFailureTest {
  static final int SIZE = 8;
  static SparkSession spark;
  @TempDir static Path tmp;
  /** Fails on a batch with any value >= 0.9: under unit scaling, a pixel of 230 or more. */
  static String brightFails;
  /** Fails on any batch with a value other than 0; opens because ONNX Runtime is probed with zeros. */
  static String nonZeroFails;
  /** Ten rows in two partitions of five, in this order. */
  static Dataset<Row> in;
  static List<String> paths;

  static final String WHITE_1 = "file:/img/02-white.png";
  static final String WHITE_2 = "file:/img/07-white.png";
  static final String NO_IMAGE = "file:/img/06-null.png";

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    brightFails = Files2.write(tmp.resolve("bright-fails.onnx"), FailingOnnx.failsAtOrAbove(SIZE, 0.9f))
        .toString();
    nonZeroFails = Files2.write(tmp.resolve("non-zero-fails.onnx"), FailingOnnx.failsOnNonZero(SIZE))
        .toString();
    Random rnd = new Random(20260101L);
    List<Row> rows = new ArrayList<>();
    paths = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String path = i == 2 ? WHITE_1 : i == 7 ? WHITE_2 : i == 6 ? NO_IMAGE : "file:/img/0" + i + "-dark.png";
      byte[] bgr = new byte[SIZE * SIZE * 3];
      for (int p = 0; p < bgr.length; p++) {
        // dark pixels stay below 151 (0.59 after unit scaling); white ones are 255 (1.0)
        bgr[p] = (byte) (path.contains("white") ? 255 : rnd.nextInt(151));
      }
      Row image = path.equals(NO_IMAGE) ? null : RowFactory.create(path, SIZE, SIZE, 3, 16, bgr);
      rows.add(RowFactory.create(path, image));
      paths.add(path);
    }
    StructType schema = new StructType().add("path", DataTypes.StringType)
        .add("image", ImageSchema.columnSchema(), true);
    in = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 2), schema).cache();
    assertThat(in.rdd().getNumPartitions()).isEqualTo(2);
    assertThat(in.select("path").as(org.apache.spark.sql.Encoders.STRING()).collectAsList()).isEqualTo(paths);
  }

  /** batchSize 3: partition 0 runs [00, 01, 02-white] then [03, 04]; partition 1 [05, 07-white, 08], [09]. */
  static CnnFeaturizer featurizer(String model) {
    return new CnnFeaturizer().setModelLocation(model).setPreprocessing("unit").setBatchSize(3);
  }

  /** The features of the dark images, from batches that hold no white image. */
  static Map<String, double[]> darkFeatures() {
    Map<String, double[]> m = new HashMap<>();
    Dataset<Row> dark = in.filter(functions.col("path").contains("dark"));
    for (Row r : featurizer(brightFails).transform(dark).select("path", "features").collectAsList()) {
      m.put(r.getString(0), ((Vector) r.get(1)).toArray());
    }
    assertThat(m).hasSize(7);
    return m;
  }

  static void assertFeatures(Row r, Map<String, double[]> expected) {
    double[] got = ((Vector) r.get(1)).toArray();
    double[] want = expected.get(r.getString(0));
    assertThat(got).as("features of %s", r.getString(0)).hasSize(3);
    for (int j = 0; j < 3; j++) {
      assertThat(got[j]).as("%s feature %d", r.getString(0), j).isCloseTo(want[j], within(1e-6));
    }
  }

  @Test
  void underErrorTheFailureNamesTheStageAndTheImagesOfTheBatch() {
    CnnFeaturizer f = featurizer(brightFails);
    Dataset<Row> one = in.filter(functions.col("path").notEqual(WHITE_2)
        .and(functions.col("image").isNotNull()));
    assertThatThrownBy(() -> f.transform(one).collect())
        .hasStackTraceContaining("CnnFeaturizer[" + f.uid() + "]")
        .hasStackTraceContaining("file:/img/00-dark.png, file:/img/01-dark.png, " + WHITE_1)
        .hasStackTraceContaining("indices element out of data bounds")
        .hasCauseInstanceOf(CnnFeaturizer.FeaturizeException.class);
  }

  @Test
  void underSkipTheImagesTheModelFailsOnAloneAreDroppedAndTheOthersKeepTheirFeatures() {
    Map<String, double[]> expected = darkFeatures();
    CnnFeaturizer f = featurizer(brightFails).setHandleInvalid("skip").setErrorCol("featurizerError");
    List<Row> rows = f.transform(in).select("path", "features", "featurizerError").collectAsList();
    assertThat(rows).extracting(r -> r.getString(0))
        .as("input order, without the white and the null image")
        .containsExactlyElementsOf(paths.stream().filter(p -> p.contains("dark")).toList());
    for (Row r : rows) {
      assertFeatures(r, expected);
      assertThat(r.isNullAt(2)).isTrue();
    }
    assertThat(f.metrics().succeeded()).isEqualTo(7);
    assertThat(f.metrics().skipped()).isEqualTo(3);
    assertThat(f.metrics().kept()).isZero();
    assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("INFERENCE_FAILED", 2L, "NO_IMAGE", 1L));
  }

  @Test
  void underKeepTheImagesTheModelFailsOnAloneGetTheirReasonInTheErrorColumn() {
    Map<String, double[]> expected = darkFeatures();
    CnnFeaturizer f = featurizer(brightFails).setHandleInvalid("keep").setErrorCol("featurizerError");
    List<Row> rows = f.transform(in).select("path", "features", "featurizerError").collectAsList();
    assertThat(rows).extracting(r -> r.getString(0)).as("input order").containsExactlyElementsOf(paths);
    for (Row r : rows) {
      String path = r.getString(0);
      if (path.contains("dark")) {
        assertFeatures(r, expected);
        assertThat(r.isNullAt(2)).isTrue();
      } else if (path.equals(NO_IMAGE)) {
        assertThat(r.isNullAt(1)).isTrue();
        assertThat(r.getString(2)).startsWith("NO_IMAGE: ");
      } else {
        assertThat(r.isNullAt(1)).as("features of %s", path).isTrue();
        assertThat(r.getString(2)).as("error of %s", path).startsWith("INFERENCE_FAILED: ")
            .contains("ONNX Runtime failed on model").contains("[1, 3, 8, 8]")
            .contains("indices element out of data bounds");
      }
    }
    assertThat(f.metrics().succeeded()).isEqualTo(7);
    assertThat(f.metrics().kept()).isEqualTo(3);
    assertThat(f.metrics().skipped()).isZero();
    assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("INFERENCE_FAILED", 2L, "NO_IMAGE", 1L));
  }

  @Test
  void theResultDoesNotDependOnTheBatchSize() {
    List<Row> one = featurizer(brightFails).setBatchSize(1).setHandleInvalid("keep").setErrorCol("e")
        .transform(in).select("path", "features", "e").collectAsList();
    List<Row> five = featurizer(brightFails).setBatchSize(5).setHandleInvalid("keep").setErrorCol("e")
        .transform(in).select("path", "features", "e").collectAsList();
    assertThat(five).extracting(r -> r.getString(0)).containsExactlyElementsOf(paths);
    Map<String, double[]> expected = new HashMap<>();
    one.stream().filter(r -> !r.isNullAt(1))
        .forEach(r -> expected.put(r.getString(0), ((Vector) r.get(1)).toArray()));
    assertThat(expected).hasSize(7);
    for (int i = 0; i < paths.size(); i++) {
      assertThat(five.get(i).isNullAt(1)).isEqualTo(one.get(i).isNullAt(1));
      assertThat(five.get(i).getString(2)).isEqualTo(one.get(i).getString(2));
      if (!five.get(i).isNullAt(1)) {
        assertFeatures(five.get(i), expected);
      }
    }
  }

  /**
   * A model that fails on every image is broken, and keep or skip must not turn the data set into nulls. Such
   * a model cannot be loaded at all (opening runs it once on a tensor of zeros), so this one fails on every
   * non-zero input: under imagenet scaling every pixel, black included, is non-zero (black is -0.485/0.229 in
   * red), so it fails on each image and on the blank (black) image the stage tries when an image fails alone.
   */
  @Test
  void aModelThatFailsOnABlankImageTooFailsTheJobWhateverHandleInvalidSays() {
    Dataset<Row> images = in.filter(functions.col("image").isNotNull());
    for (String handleInvalid : List.of("keep", "skip")) {
      CnnFeaturizer f = featurizer(nonZeroFails).setPreprocessing("imagenet").setHandleInvalid(handleInvalid);
      assertThatThrownBy(() -> f.transform(images).collect()).as(handleInvalid)
          .hasStackTraceContaining("CnnFeaturizer[" + f.uid() + "]: model non-zero-fails.onnx fails on a blank")
          .hasStackTraceContaining("indices element out of data bounds");
    }
  }

  /**
   * The verdict rests on the blank image alone: under unit scaling a black image is all zeros, which this
   * model runs, so it is not taken for broken though it fails on every other image. Each of those is an
   * INFERENCE_FAILED row, counted in the metrics, not dropped silently.
   */
  @Test
  void theBlankImageAloneDecidesWhetherTheModelIsBroken() {
    CnnFeaturizer f = featurizer(nonZeroFails).setHandleInvalid("keep").setErrorCol("e");
    List<Row> rows = f.transform(in.filter(functions.col("image").isNotNull())).select("e").collectAsList();
    assertThat(rows).hasSize(9).allSatisfy(r -> assertThat(r.getString(0)).startsWith("INFERENCE_FAILED: "));
    assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("INFERENCE_FAILED", 9L));
  }

  /** The same on a streaming DataFrame: PNG files arriving in a folder, loaded and featurized under keep. */
  @Test
  void aStreamKeepsTheImagesTheModelFailsOnAsRows() throws Exception {
    Path inbox = Files.createDirectories(tmp.resolve("inbox"));
    Path staging = Files.createDirectories(tmp.resolve("staging"));
    Random rnd = new Random(3);
    for (String name : List.of("a-dark.png", "b-white.png", "c-dark.png", "d-dark.png")) {
      BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_3BYTE_BGR);
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int v = name.contains("white") ? 255 : rnd.nextInt(151);
          img.setRGB(x, y, (v << 16) | (v << 8) | v);
        }
      }
      Path f = staging.resolve(name);
      javax.imageio.ImageIO.write(img, "png", f.toFile());
      Files.move(f, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
    Dataset<Row> stream = spark.readStream().format("binaryFile").schema(ImageFiles.SCHEMA)
        .load(inbox.toUri().toString());
    CnnFeaturizer f = featurizer(brightFails).setBatchSize(4).setHandleInvalid("keep")
        .setErrorCol("featurizerError");
    StreamingQuery q = f.transform(new ImageLoader().transform(stream))
        .select("path", "features", "featurizerError").writeStream().format("memory")
        .queryName("p9_inference_failed").outputMode("append")
        .option("checkpointLocation", tmp.resolve("checkpoint").toString()).start();
    try {
      q.processAllAvailable();
      List<Row> out = spark.table("p9_inference_failed").collectAsList();
      assertThat(out).hasSize(4);
      for (Row r : out) {
        boolean white = r.getString(0).endsWith("b-white.png");
        assertThat(r.isNullAt(1)).as("features of %s", r.getString(0)).isEqualTo(white);
        if (white) {
          assertThat(r.getString(2)).startsWith("INFERENCE_FAILED: ");
        } else {
          assertThat(r.isNullAt(2)).isTrue();
        }
      }
    } finally {
      q.stop();
    }
  }
}
