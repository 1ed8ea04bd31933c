package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline with {@code spark.serializer=KryoSerializer} (EMR's usual setting), which writes
 * broadcasts, task partitions, shuffles and task results: ImageFiles' listed entries, the model broadcast and
 * PcaReducer's tree aggregate all go through Kryo. Here without registration (Kryo's default serializers);
 * {@link KryoRegistrationRequiredTest} runs the same scenario with {@code registrationRequired=true} and
 * {@link P9KryoRegistrator}. Both run in a JVM of their own (the surefire execution {@code kryo}): the
 * serializer is fixed when the SparkContext starts, and the other tests share one with Java's.
 */
class KryoPipelineTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = kryoSession("p9-kryo-tests").config("spark.kryo.registrationRequired", "false").getOrCreate();
    // fails rather than passing vacuously if another test's session (Java serialization) got here first
    assertThat(spark.sparkContext().getConf().get("spark.serializer")).endsWith("KryoSerializer");
  }

  /** A local[2] session builder with Kryo and ANSI on; the caller sets the Kryo registration options. */
  static SparkSession.Builder kryoSession(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.sql.ansi.enabled", "true");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void fitsTransformsSavesAndStreamsUnderKryo() throws Exception {
    runPipeline(spark, tmp);
  }

  /**
   * The scenario both Kryo tests run under {@code tmp}: ImageFiles.read (two partitionings), ImageLoader,
   * CnnFeaturizer and PcaReducer fitted in a Pipeline, transformed, saved and loaded, and the loaded model
   * run on an AvailableNow stream to Parquet, read back with an inferred schema. The fit sees 8 partitions
   * (13 files, 2 per task, local[2]), so PcaReducer's depth-2 treeAggregate shuffles its partial fits as
   * well as returning them as task results.
   */
  static void runPipeline(SparkSession spark, Path tmp) throws Exception {
    Path train = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("train"), 3, 4);
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    Files2.write(train.resolve("bad/truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
    for (int filesPerPartition : new int[] {ImageFiles.DEFAULT_FILES_PER_PARTITION, 2}) {
      Dataset<Row> files = ImageFiles.read(spark, filesPerPartition, train.toString());
      assertThat(files.count()).isEqualTo(13);
    }
    Dataset<Row> files = ImageFiles.read(spark, 2, train.toString());
    ImageLoader loader = new ImageLoader().setHandleInvalid("keep");
    CnnFeaturizer featurizer = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setHandleInvalid("keep");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {loader, featurizer,
        new PcaReducer().setScale(true).setK(5)}).fit(files);
    Map<String, double[]> features = pcaByPath(model.transform(files));
    assertThat(features).hasSize(12);
    features.values().forEach(v -> assertThat(v).hasSize(5));

    model.write().save(tmp.resolve("model").toString());
    PipelineModel back = PipelineModel.load(tmp.resolve("model").toString());
    assertThat(pcaByPath(back.transform(files))).containsOnlyKeys(features.keySet())
        .allSatisfy((path, v) -> assertThat(v).isEqualTo(features.get(path)));

    Dataset<Row> stream = spark.readStream().format("binaryFile").schema(ImageFiles.SCHEMA)
        .option("recursiveFileLookup", "true").load(train.toUri().toString());
    StreamingQuery q = back.transform(stream).select("path", "error", "pcaFeatures").writeStream()
        .format("parquet").option("path", tmp.resolve("streamed").toString())
        .option("checkpointLocation", tmp.resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start();
    q.awaitTermination();
    assertThat(pcaByPath(spark.read().parquet(tmp.resolve("streamed").toString())))
        .containsOnlyKeys(features.keySet())
        .allSatisfy((path, v) -> assertThat(v).isEqualTo(features.get(path)));
  }

  private static Map<String, double[]> pcaByPath(Dataset<Row> out) {
    List<Row> rows = out.select("path", "pcaFeatures").collectAsList();
    return rows.stream().filter(r -> !r.isNullAt(1))
        .collect(Collectors.toMap(r -> r.getString(0), r -> ((Vector) r.get(1)).toArray()));
  }
}
