package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KryoPipelineTest}'s whole scenario with {@code spark.kryo.registrationRequired=true} and
 * {@link P9KryoRegistrator} alone (no {@code spark.kryo.classesToRegister}): every class a p9 job sends
 * through Kryo must be registered, Spark's own that Spark leaves out included. Without the registrator the
 * first job fails ({@code Failed to serialize task 0 ... Class is not registered:
 * io.p9.spark.ml.internal.ReadFiles$Entry}). The two ways a p9 job meets Spark's unregistered classes are
 * also tested on their own: streaming features to a Parquet file sink, and reading saved features back
 * with an inferred schema. Runs in the {@code kryo} surefire execution after or before
 * {@link KryoPipelineTest}; each stops its SparkContext, so the next starts its own with its own serializer
 * settings.
 */
class KryoRegistrationRequiredTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = KryoPipelineTest.kryoSession("p9-kryo-registration-tests")
        .config(P9KryoRegistrator.registerKryoClasses(new SparkConf(false)))
        .config("spark.kryo.registrationRequired", "true")
        .getOrCreate();
    // fails rather than passing vacuously if a session with other settings got here first
    SparkConf conf = spark.sparkContext().getConf();
    assertThat(conf.get("spark.kryo.registrationRequired")).isEqualTo("true");
    assertThat(conf.get("spark.kryo.registrator")).isEqualTo(P9KryoRegistrator.class.getName());
    assertThat(conf.contains("spark.kryo.classesToRegister")).isFalse();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void runsThePipelineWithRegistrationRequired() throws Exception {
    KryoPipelineTest.runPipeline(spark, tmp);
  }

  /** The file sink's tasks report the files they wrote ({@code SinkFileStatus}) in their commit messages. */
  @Test
  void streamsFeaturesToAParquetFileSink() throws Exception {
    Path in = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("stream-in"), 2, 2);
    Dataset<Row> stream = spark.readStream().format("binaryFile").schema(ImageFiles.SCHEMA)
        .option("recursiveFileLookup", "true").load(in.toUri().toString());
    Path out = tmp.resolve("stream-out");
    StreamingQuery q = features(stream).writeStream().format("parquet").option("path", out.toString())
        .option("checkpointLocation", tmp.resolve("stream-checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start();
    q.awaitTermination();

    Dataset<Row> expected = features(ImageFiles.read(spark, in.toString()));
    // with the schema given: what this test checks is the sink, not schema inference
    assertThat(byPath(spark.read().schema(expected.schema()).parquet(out.toString())))
        .hasSize(4).isEqualTo(byPath(expected));
  }

  /**
   * Spark infers a Parquet schema in a job whose task results are the footers' schemas: a vector column
   * brings {@code VectorUDT} and the types of its SQL form.
   */
  @Test
  void readsSavedFeaturesBackWithAnInferredSchema() {
    Path in = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("batch-in"), 2, 2);
    Dataset<Row> features = features(ImageFiles.read(spark, in.toString()));
    String saved = tmp.resolve("features.parquet").toString();
    features.write().parquet(saved);

    Dataset<Row> back = spark.read().parquet(saved);
    assertThat(types(back)).isEqualTo(types(features));
    assertThat(byPath(back)).hasSize(4).isEqualTo(byPath(features));
  }

  private static Dataset<Row> features(Dataset<Row> files) {
    return new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .transform(new ImageLoader().transform(files)).select("path", "label", "features");
  }

  private static List<DataType> types(Dataset<Row> df) {
    return Arrays.stream(df.schema().fields()).map(StructField::dataType).toList();
  }

  private static Map<String, List<Double>> byPath(Dataset<Row> df) {
    return df.select("path", "features").collectAsList().stream().collect(Collectors.toMap(r -> r.getString(0),
        r -> Arrays.stream(((Vector) r.get(1)).toArray()).boxed().toList()));
  }
}
