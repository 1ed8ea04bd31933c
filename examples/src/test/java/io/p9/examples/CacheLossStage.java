package io.p9.examples;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A saved stage that passes {@code path} through and, once {@link #ARMED}, unpersists every RDD the application
 * has persisted, in the first task that computes a row after that (Spark local: the tasks run in this JVM). To
 * the actions that come after, the cached partitions are gone, as the partitions a lost executor held are (a
 * spot instance reclaimed): they compute them again, upstream stages and their counters included.
 */
public final class CacheLossStage extends SavedTestStage {
  private static final long serialVersionUID = 1L;

  /** Set to lose the cache once: the first row computed after it clears it. */
  static final AtomicBoolean ARMED = new AtomicBoolean();

  public CacheLossStage(String uid) {
    super(uid);
  }

  public CacheLossStage() {
    this(Identifiable$.MODULE$.randomUID("cacheLoss"));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    // non-deterministic: Spark computes it where the plan says, never folds or duplicates it
    return dataset.toDF().withColumn("path", functions.udf((UDF1<String, String>) p -> {
      if (ARMED.compareAndSet(true, false)) {
        SparkContext sc = SparkContext.getOrCreate();
        for (RDD<?> rdd : scala.collection.JavaConverters.mapAsJavaMap(sc.getPersistentRDDs()).values()) {
          rdd.unpersist(false);
        }
      }
      return p;
    }, DataTypes.StringType).asNondeterministic().apply(functions.col("path")));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return schema;
  }
}
