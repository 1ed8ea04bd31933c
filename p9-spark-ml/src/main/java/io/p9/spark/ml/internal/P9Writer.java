package io.p9.spark.ml.internal;

import java.util.Map;
import java.util.function.BiFunction;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.SparkSession;

/**
 * Writer for p9 stages: Spark-layout metadata plus whatever {@code extra} writes under the stage path (model
 * bytes, a Parquet data row). {@code extra} gets the stage path and the writer's session (the one given to
 * {@link MLWriter#session}, else the active one, as Spark's own writers use it) and returns the fields recorded
 * under {@code p9} in the metadata.
 */
public final class P9Writer extends MLWriter {
  private final Params stage;
  private final BiFunction<String, SparkSession, Map<String, ?>> extra;

  /**
   * A writer of {@code stage}'s metadata and what {@code extra} writes.
   *
   * @param stage the stage to save
   * @param extra writes the stage's data under the stage path and returns the fields recorded under {@code p9}
   */
  public P9Writer(Params stage, BiFunction<String, SparkSession, Map<String, ?>> extra) {
    this.stage = stage;
    this.extra = extra;
  }

  /**
   * A writer of {@code stage}'s metadata alone (a stage whose params are all it has).
   *
   * @param stage the stage to save
   */
  public P9Writer(Params stage) {
    this(stage, (path, session) -> Map.of());
  }

  @Override
  public void saveImpl(String path) {
    Map<String, ?> fields = extra.apply(path, sparkSession());
    StageIO.saveMetadata(stage, path, sc(), fields);
  }
}
