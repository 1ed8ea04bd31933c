package io.p9.examples;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * A saved stage that copies {@code features} to {@code counted} and counts the non-null vectors it computes, in
 * this JVM (Spark local: the executors' tasks run here): placed before a PcaReducerModel reading
 * {@code counted}, it counts the rows the projection is computed for, each pass again.
 */
public final class CountingStage extends SavedTestStage {
  private static final long serialVersionUID = 1L;

  /** The non-null vectors computed, all instances together. */
  static final AtomicLong ROWS = new AtomicLong();

  public CountingStage(String uid) {
    super(uid);
  }

  public CountingStage() {
    this(Identifiable$.MODULE$.randomUID("counting"));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    // non-deterministic: Spark computes it where the plan says, never folds or duplicates it
    return dataset.toDF().withColumn("counted", functions.udf((UDF1<Vector, Vector>) v -> {
      if (v != null) {
        ROWS.incrementAndGet();
      }
      return v;
    }, SQLDataTypes.VectorType()).asNondeterministic().apply(functions.col("features")));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return schema.add("counted", SQLDataTypes.VectorType(), true);
  }
}
