package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KryoPipelineTest}'s whole scenario with {@code spark.kryo.registrationRequired=true} and
 * {@link P9KryoRegistrator}: every class p9 sends through Kryo must be registered. Without the registrator
 * the first job fails ({@code Failed to serialize task 0 ... Class is not registered:
 * io.p9.spark.ml.internal.ReadFiles$Entry}). Spark's own classes that Spark leaves unregistered are added
 * with {@code spark.kryo.classesToRegister}, as a user would: the streaming Parquet sink's commit message,
 * and what inferring the schema of the streamed Parquet (a vector column) sends. Runs in the {@code kryo}
 * surefire execution after or before {@link KryoPipelineTest}; each stops its SparkContext, so the next
 * starts its own with its own serializer settings.
 */
class KryoRegistrationRequiredTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = KryoPipelineTest.kryoSession("p9-kryo-registration-tests")
        .config(P9KryoRegistrator.registerKryoClasses(new SparkConf(false)))
        .config("spark.kryo.registrationRequired", "true")
        .config("spark.kryo.classesToRegister", String.join(",",
            "org.apache.spark.sql.execution.streaming.SinkFileStatus",
            "org.apache.spark.ml.linalg.VectorUDT",
            "org.apache.spark.sql.types.ByteType$",
            "org.apache.spark.sql.types.ArrayType"))
        .getOrCreate();
    // fails rather than passing vacuously if a session with other settings got here first
    SparkConf conf = spark.sparkContext().getConf();
    assertThat(conf.get("spark.kryo.registrationRequired")).isEqualTo("true");
    assertThat(conf.get("spark.kryo.registrator")).isEqualTo(P9KryoRegistrator.class.getName());
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void runsThePipelineWithRegistrationRequired() throws Exception {
    KryoPipelineTest.runPipeline(spark, tmp);
  }
}
