package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fitted PipelineModel transforms a Structured Streaming DataFrame of files arriving in a folder. */
class StreamingPipelineTest {
  @TempDir Path tmp;

  @Test
  void featuresFilesAddedBetweenMicroBatches() throws Exception {
    SparkSession spark = TestSpark.get();
    Path train = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("train"), 3, 8);
    Dataset<Row> trainFiles = ImageFiles.read(spark, train.toString());
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
        new ImageLoader().setHandleInvalid("keep"),
        new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString()).setHandleInvalid("keep")
            .setErrorCol("featurizerError"),
        new PcaReducer().setScale(true).setK(5)}).fit(trainFiles);

    Path inbox = Files.createDirectories(tmp.resolve("inbox"));
    Dataset<Row> stream = spark.readStream().format("binaryFile").schema(trainFiles.schema())
        .load(inbox.toUri().toString());
    StreamingQuery q = model.transform(stream).select("path", "error", "pcaFeatures", "featurizerError")
        .writeStream()
        .format("memory").queryName("p9_stream_out").outputMode("append")
        .option("checkpointLocation", tmp.resolve("checkpoint").toString()).start();
    try {
      List<Path> images;
      try (Stream<Path> s = Files.walk(RepoData.quickSample().resolve("Training/Tomato Heart 1"))) {
        images = s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(7).toList();
      }
      drop(images.subList(0, 3), inbox);
      q.processAllAvailable();
      assertThat(spark.table("p9_stream_out").count()).isEqualTo(3);

      drop(images.subList(3, 7), inbox);
      byte[] jpeg = Files.readAllBytes(images.get(0));
      Path bad = Files2.write(tmp.resolve("staging/broken.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
      Files.move(bad, inbox.resolve("broken.jpg"), StandardCopyOption.ATOMIC_MOVE);
      q.processAllAvailable();

      List<Row> out = spark.table("p9_stream_out").collectAsList();
      assertThat(out).hasSize(8);
      Row broken = out.stream().filter(r -> r.getString(0).endsWith("broken.jpg")).findFirst().orElseThrow();
      assertThat(broken.getString(1)).matches("(TRUNCATED|CORRUPT).*");
      assertThat(broken.isNullAt(2)).isTrue();
      // the loader kept it without an image: the featurizer's own reason
      assertThat(broken.getString(3)).isEqualTo("NO_IMAGE: the image is null (the file was not decoded)");
      assertThat(out.stream().filter(r -> !r.isNullAt(3))).hasSize(1);

      // the streamed features equal a batch transform of the same files
      Dataset<Row> batch = model.transform(spark.read().format("binaryFile").load(inbox.toUri().toString()));
      Map<String, double[]> expected = batch.select("path", "pcaFeatures").collectAsList().stream()
          .filter(r -> !r.isNullAt(1))
          .collect(Collectors.toMap(r -> r.getString(0), r -> ((Vector) r.get(1)).toArray()));
      List<String> checked = new ArrayList<>();
      for (Row r : out) {
        if (!r.isNullAt(2)) {
          assertThat(((Vector) r.get(2)).toArray()).isEqualTo(expected.get(r.getString(0)));
          checked.add(r.getString(0));
        }
      }
      assertThat(checked).hasSize(7);
    } finally {
      q.stop();
    }
  }

  /**
   * An event-time watermark (column metadata) survives the featurizer, so a windowed aggregate of the features
   * runs in append mode, which Spark allows only with a watermark.
   */
  @Test
  void aWatermarkSurvivesTheFeaturizer() throws Exception {
    SparkSession spark = TestSpark.get();
    Path inbox = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("inbox"), 1, 2);
    Dataset<Row> stream = spark.readStream().format("binaryFile").schema(ImageFiles.SCHEMA)
        .load(inbox.toUri().toString()).withWatermark("modificationTime", "1 hour");
    Dataset<Row> features = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .transform(new ImageLoader().transform(stream));
    assertThat(features.schema().apply("modificationTime").metadata())
        .isEqualTo(stream.schema().apply("modificationTime").metadata());
    StreamingQuery q = features.groupBy(functions.window(functions.col("modificationTime"), "1 day"))
        .agg(Summarizer.mean(functions.col("features")).as("meanFeatures")).writeStream()
        .format("memory").queryName("p9_stream_windows").outputMode("append")
        .option("checkpointLocation", tmp.resolve("checkpoint-windows").toString()).start();
    try {
      q.processAllAvailable();
      assertThat(q.exception().isEmpty()).isTrue();
    } finally {
      q.stop();
    }
  }

  /**
   * Spark's own image source, streamed: the featurizer transforms it with no batch action, its invalid-image row
   * (a file it cannot decode) kept with its reason, the others with the features a batch read of the same folder
   * gives.
   */
  @Test
  void sparksImageSourceStreamsThroughTheFeaturizer() throws Exception {
    SparkSession spark = TestSpark.get();
    Path inbox = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("images"), 1, 2);
    Files2.write(inbox.resolve("Apple 11/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2});
    String glob = inbox.resolve("*").toUri().toString();
    CnnFeaturizer cnn = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setHandleInvalid("keep").setErrorCol("why");
    Dataset<Row> stream = spark.readStream().format("image").schema(ImageSchema.imageSchema()).load(glob);
    StreamingQuery q = cnn.transform(stream).select("image.origin", "features", "why").writeStream()
        .format("memory").queryName("p9_image_stream").outputMode("append")
        .option("checkpointLocation", tmp.resolve("checkpoint-images").toString()).start();
    try {
      q.processAllAvailable();
    } finally {
      q.stop();
    }
    Map<String, Row> batch = cnn.transform(spark.read().format("image").load(glob))
        .select("image.origin", "features", "why").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r));
    List<Row> out = spark.table("p9_image_stream").collectAsList();
    assertThat(out).hasSize(3).hasSameSizeAs(batch.values());
    for (Row r : out) {
      if (r.getString(0).endsWith("broken.jpg")) {
        assertThat(r.isNullAt(1)).isTrue();
        assertThat(r.getString(2)).startsWith("NO_IMAGE: the image source could not decode the file");
      } else {
        assertThat(r.isNullAt(2)).isTrue();
        assertThat(((Vector) r.get(1)).toArray()).isEqualTo(((Vector) batch.get(r.getString(0)).get(1)).toArray());
      }
    }
  }

  private static void drop(List<Path> images, Path inbox) throws Exception {
    Path staging = Files.createDirectories(inbox.getParent().resolve("staging"));
    for (Path img : images) {
      Path tmp = Files.copy(img, staging.resolve(img.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, inbox.resolve(img.getFileName()), StandardCopyOption.ATOMIC_MOVE);
    }
    assertThat(Arrays.asList(inbox.toFile().list())).isNotEmpty();
  }
}
