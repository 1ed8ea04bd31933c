package io.p9.spark.ml.internal;

import java.io.IOException;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.apache.hadoop.fs.Path;
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
  /** The folder of a pipeline's stages in Spark's layout. */
  private static final String STAGES = "stages";
  private final Params stage;
  private final BiFunction<String, SparkSession, Map<String, ?>> extra;
  private BiConsumer<String, SparkSession> beforeSave = (path, session) -> { };

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

  /**
   * Runs {@code read} with the stage path and the writer's session when {@link #save} starts, before Spark
   * deletes the folder of a save with {@code overwrite()}: for what the stage must read and the folder may hold (a
   * model file). A stage saved in a PipelineModel starts after the pipeline's own overwrite deleted the pipeline's
   * folder ({@link #savedFolder}): nothing is called on the stage before that.
   *
   * @param read reads what {@code extra} will write
   * @return this writer
   */
  public P9Writer beforeSave(BiConsumer<String, SparkSession> read) {
    this.beforeSave = read;
    return this;
  }

  /**
   * {@return the folder a save of the stage at {@code stagePath} replaces: that of the outermost pipeline holding
   * it in Spark's layout ({@code <pipeline>/stages/<i>_<uid>}, nested pipelines too), else the stage's own} Read
   * from the path alone: a stage saved alone in a folder named {@code stages} looks like a pipeline's.
   *
   * @param stagePath the path a stage's writer saves to
   */
  public static Path savedFolder(String stagePath) {
    Path folder = new Path(stagePath);
    while (folder.getParent() != null && STAGES.equals(folder.getParent().getName())
        && folder.getParent().getParent() != null) {
      folder = folder.getParent().getParent();
    }
    return folder;
  }

  @Override
  public void save(String path) throws IOException {
    beforeSave.accept(path, sparkSession());
    super.save(path);
  }

  @Override
  public void saveImpl(String path) {
    Map<String, ?> fields = extra.apply(path, sparkSession());
    StageIO.saveMetadata(stage, path, sc(), fields);
  }
}
