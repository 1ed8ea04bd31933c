package io.p9.spark.ml.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.util.AccumulatorV2;

/** Named counters in one accumulator: {@code add("decoded")}, {@code add("error:TRUNCATED")}. */
public final class CountsAccumulator extends AccumulatorV2<String, Map<String, Long>> {
  private static final long serialVersionUID = 1L;
  /** Rows that produced a value. */
  public static final String OK = "ok";
  /** Rows dropped under handleInvalid=skip. */
  public static final String SKIPPED = "skipped";
  /** Rows kept with a null value under handleInvalid=keep. */
  public static final String KEPT = "kept";
  /** Prefix of the per-reason failure counters: {@code reason:TRUNCATED}. */
  public static final String REASON = "reason:";

  /** The counters by name; a name not counted yet is absent. */
  private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public boolean isZero() {
    return counts.isEmpty();
  }

  @Override
  public CountsAccumulator copy() {
    CountsAccumulator c = new CountsAccumulator();
    c.merge(this);
    return c;
  }

  @Override
  public void reset() {
    counts.clear();
  }

  @Override
  public void add(String key) {
    add(key, 1);
  }

  /**
   * Adds {@code n} to the counter {@code key}.
   *
   * @param key the counter's name
   * @param n the amount
   */
  public void add(String key, long n) {
    counts.computeIfAbsent(key, k -> new LongAdder()).add(n);
  }

  @Override
  public void merge(AccumulatorV2<String, Map<String, Long>> other) {
    other.value().forEach(this::add);
  }

  /** A sorted snapshot. */
  @Override
  public Map<String, Long> value() {
    Map<String, Long> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
