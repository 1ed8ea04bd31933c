package io.p9.spark.ml.internal;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a model's data, one row built from an array of numbers, as a one-file Parquet folder, the numbers
 * reaching the task that writes them through a broadcast. A row made on the driver ({@code createDataFrame} of a
 * list) travels inside the task instead, and Spark warns of a task over 1000 KiB: 13 MB for 1,280 x 1,280
 * doubles. The folder is the same: one row of {@code schema} in one part file.
 */
public final class OneRowParquet {
  private OneRowParquet() {}

  /**
   * Writes the row {@code toRow} makes of {@code values} to {@code path}.
   *
   * @param session the session that writes it
   * @param schema the row's schema
   * @param values the numbers, broadcast (a {@code double[]}, which Spark registers with Kryo)
   * @param toRow makes the row in the task: it must not hold the numbers itself
   * @param path the Parquet folder, which must not exist
   */
  public static void write(SparkSession session, StructType schema, double[] values, Function<double[], Row> toRow,
      String path) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session.sparkContext());
    Broadcast<double[]> numbers = jsc.broadcast(values);
    try {
      JavaRDD<Row> row = jsc.parallelize(List.of(0), 1).map(i -> toRow.call(numbers.value()));
      session.createDataFrame(row, schema).write().parquet(path);
    } finally {
      numbers.destroy();
    }
  }
}
