package io.p9.spark.ml.internal;

import java.util.Map;
import java.util.function.Function;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLWriter;

/**
 * Writer for p9 stages: Spark-layout metadata plus whatever {@code extra} writes under the stage path (model
 * bytes, a Parquet data row). {@code extra} returns the fields recorded under {@code p9} in the metadata.
 */
public final class P9Writer extends MLWriter {
  private final Params stage;
  private final Function<String, Map<String, ?>> extra;

  public P9Writer(Params stage, Function<String, Map<String, ?>> extra) {
    this.stage = stage;
    this.extra = extra;
  }

  public P9Writer(Params stage) {
    this(stage, path -> Map.of());
  }

  @Override
  public void saveImpl(String path) {
    Map<String, ?> fields = extra.apply(path);
    StageIO.saveMetadata(stage, path, sc(), fields);
  }
}
