package io.p9.spark.ml.internal;

import java.util.function.Function;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;

/**
 * Reader for p9 stages: creates the stage (from its uid, or from its saved data), restores the saved params,
 * then lets an optional finisher complete it (e.g. point it at files saved beside it).
 */
public final class P9Reader<T extends Params> extends MLReader<T> {

  /** Creates a stage from what was saved under {@code path}. */
  @FunctionalInterface
  public interface Factory<T> {
    T create(String path, StageIO.Metadata metadata, MLReader<T> reader);
  }

  /** Completes a stage after its params are restored. */
  @FunctionalInterface
  public interface Finisher<T> {
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

  /** A stage that is its params. */
  public P9Reader(Class<T> type, Function<String, T> constructor) {
    this(type, (path, meta, reader) -> constructor.apply(meta.uid()), (s, path, meta, reader) -> s);
  }

  /** A stage that is its params plus something the finisher restores. */
  public P9Reader(Class<T> type, Function<String, T> constructor, Finisher<T> finisher) {
    this(type, (path, meta, reader) -> constructor.apply(meta.uid()), finisher);
  }

  /** A stage built from saved data (a model), params restored on top. */
  public static <T extends Params> P9Reader<T> withData(Class<T> type, Factory<T> factory) {
    return new P9Reader<>(type, factory, (s, path, meta, reader) -> s);
  }

  /** A stage built from saved data, params restored on top, then completed by {@code finisher}. */
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
