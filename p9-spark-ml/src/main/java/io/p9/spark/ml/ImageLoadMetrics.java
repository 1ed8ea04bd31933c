package io.p9.spark.ml;

import io.p9.spark.ml.internal.CountsAccumulator;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counters of one {@link ImageLoader} or {@link CnnFeaturizer} transform, filled as Spark runs the job: rows that
 * succeeded, rows dropped ({@code handleInvalid=skip}), rows kept with an error ({@code keep}), and failures by reason.
 * Backed by a Spark accumulator that the stage's tasks update inside a transformation, so the counts are at least
 * once, as those of any Spark accumulator updated in a transformation: complete once an action that reads the
 * stage's output has finished, but a partition computed again to completion counts again (an uncached DataFrame
 * used by two actions counts twice; a persisted partition evicted or lost with its executor, a spot instance
 * reclaimed, and computed again; a shuffle-map task run again because its executor's output was lost, or a
 * speculative copy of such a task that finishes too); the counts of a task attempt that fails are dropped, so a
 * retried task counts once. For exact counts, count the output's rows (with {@code handleInvalid=keep}, the rows
 * with a reason), as the example job's report does. Spark prunes {@link ImageLoader}'s decoding from an action that
 * reads none of its output columns ({@code count()}, {@code select("path")}; with {@code handleInvalid=skip} the
 * filter reads the error, so those decode): such an action decodes and counts nothing, and does not fail on
 * undecodable files under {@code handleInvalid=error}.
 */
public final class ImageLoadMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The Spark accumulator the stage's tasks count into. */
  private final CountsAccumulator acc;

  ImageLoadMetrics(CountsAccumulator acc) {
    this.acc = acc;
  }

  /** {@return the rows that produced a value (an image, a feature vector)} */
  public long succeeded() {
    return acc.value().getOrDefault(CountsAccumulator.OK, 0L);
  }

  /** {@return the rows dropped under {@code handleInvalid=skip}} */
  public long skipped() {
    return acc.value().getOrDefault(CountsAccumulator.SKIPPED, 0L);
  }

  /** {@return the rows kept with a null value and a reason under {@code handleInvalid=keep}} */
  public long kept() {
    return acc.value().getOrDefault(CountsAccumulator.KEPT, 0L);
  }

  /** {@return the failures (skipped or kept) by reason, e.g. {@code TRUNCATED -> 3}, sorted by reason} */
  public Map<String, Long> failuresByReason() {
    Map<String, Long> m = new TreeMap<>();
    acc.value().forEach((k, v) -> {
      if (k.startsWith(CountsAccumulator.REASON)) {
        m.put(k.substring(CountsAccumulator.REASON.length()), v);
      }
    });
    return m;
  }

  @Override
  public String toString() {
    return "succeeded=" + succeeded() + " skipped=" + skipped() + " kept=" + kept() + " failures="
        + failuresByReason();
  }
}
