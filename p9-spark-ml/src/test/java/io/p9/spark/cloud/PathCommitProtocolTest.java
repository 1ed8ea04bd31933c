package io.p9.spark.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PathCommitProtocol} as Spark SQL's commit protocol, on the local file system (classic committer). */
class PathCommitProtocolTest {
  @TempDir
  Path tmp;

  private static SparkSession session() {
    SparkSession s = TestSpark.get().newSession();
    s.conf().set("spark.sql.sources.commitProtocolClass", PathCommitProtocol.class.getName());
    return s;
  }

  private static Dataset<Row> rows(SparkSession s, long from, long to) {
    return s.range(from, to, 1, 2).withColumn("p", functions.col("id").mod(2));
  }

  /**
   * Dynamic partition overwrite is refused before anything is deleted, and the error does not send the user
   * to static mode, which would delete the partitions the data has no rows for.
   */
  @Test
  void aDynamicPartitionOverwriteIsRefusedWithoutSteeringToStaticMode() {
    SparkSession s = session();
    String out = tmp.resolve("table").toUri().toString();
    rows(s, 0, 10).write().partitionBy("p").parquet(out);

    assertThatThrownBy(() -> rows(s, 100, 110).filter("p = 0").write().mode(SaveMode.Overwrite)
        .option("partitionOverwriteMode", "dynamic").partitionBy("p").parquet(out))
        .rootCause()
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("dynamic partition overwrite")
        .hasMessageContaining("static mode would delete every partition of the output");

    assertThat(s.read().parquet(out).count()).as("nothing deleted").isEqualTo(10);
  }
}
