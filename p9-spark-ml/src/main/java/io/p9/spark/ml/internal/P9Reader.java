package io.p9.spark.ml.internal;

import java.util.function.Function;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;

/**
 * Reader for p9 stages: creates the stage (from its uid, or from its saved data), restores the saved params,
 * then lets an optional finisher complete it (e.g. point it at files saved beside it).
 */
public final class P9Reader<T extends Params> extends MLReader<T> {

  /**
   * Creates a stage from what was saved under {@code path}.
   *
   * @param <T> the stage type
   */
  @FunctionalInterface
  public interface Factory<T> {
    /**
     * {@return the stage, its params not restored yet}
     *
     * @param path the stage folder
     * @param metadata its saved metadata
     * @param reader the reader, for its session
     */
    T create(String path, StageIO.Metadata metadata, MLReader<T> reader);
  }

  /**
   * Completes a stage after its params are restored.
   *
   * @param <T> the stage type
   */
  @FunctionalInterface
  public interface Finisher<T> {
    /**
     * {@return the completed stage}
     *
     * @param stage the stage, its params restored
     * @param path the stage folder
     * @param metadata its saved metadata
     * @param reader the reader, for its session
     */
    T finish(T stage, String path, StageIO.Metadata metadata, MLReader<T> reader);
  }

  private final Class<T> type;
  private final Factory<T> factory;
  private final Finisher<T> finisher;

  private P9Reader(Class<T> type, Factory<T> factory, Finisher<T> finisher) {
    this.type = type;
    this.factory = factory;
    this.finisher = finisher;
  }

  /**
   * A reader of a stage that is its params.
   *
   * @param type the stage class, which the saved metadata must name
   * @param constructor makes the stage from its uid
   */
  public P9Reader(Class<T> type, Function<String, T> constructor) {
    this(type, (path, meta, reader) -> constructor.apply(meta.uid()), (s, path, meta, reader) -> s);
  }

  /**
   * A reader of a stage that is its params plus something the finisher restores.
   *
   * @param type the stage class, which the saved metadata must name
   * @param constructor makes the stage from its uid
   * @param finisher completes it after its params are restored
   */
  public P9Reader(Class<T> type, Function<String, T> constructor, Finisher<T> finisher) {
    this(type, (path, meta, reader) -> constructor.apply(meta.uid()), finisher);
  }

  /**
   * {@return a reader of a stage built from saved data (a model), params restored on top}
   *
   * @param <T> the stage type
   * @param type the stage class, which the saved metadata must name
   * @param factory makes the stage from its saved data
   */
  public static <T extends Params> P9Reader<T> withData(Class<T> type, Factory<T> factory) {
    return new P9Reader<>(type, factory, (s, path, meta, reader) -> s);
  }

  /**
   * {@return a reader of a stage built from saved data, params restored on top, then completed by
   * {@code finisher}}
   *
   * @param <T> the stage type
   * @param type the stage class, which the saved metadata must name
   * @param factory makes the stage from its saved data
   * @param finisher completes it after its params are restored
   */
  public static <T extends Params> P9Reader<T> withData(Class<T> type, Factory<T> factory, Finisher<T> finisher) {
    return new P9Reader<>(type, factory, finisher);
  }

  @Override
  public T load(String path) {
    StageIO.Metadata m = StageIO.loadMetadata(path, sc(), type);
    T stage = factory.create(path, m, this);
    m.applyTo(stage);
    return finisher.finish(stage, path, m, this);
  }
}
