package io.p9.core.linalg;

import java.util.Random;
import java.util.SplittableRandom;

/**
 * Seeded random trials for property tests: trial i gets a {@link Random} seeded with {@code base + i}
 * (fixed base, so CI runs are reproducible; {@code -Dp9.seedBase=random} draws a fresh base), and a failure
 * is rethrown with its seed. {@code -Dp9.seed=N} reruns exactly one trial with seed N.
 */
final class Seeded {
  static final String PROPERTY = "p9.seed";
  static final long DEFAULT_BASE = 20261204L;

  private Seeded() {}

  @FunctionalInterface
  interface Trial {
    void run(Random rnd) throws Exception;
  }

  /** Runs {@code trial} {@code trials} times with seeds base..base+trials-1 (or once with {@code -Dp9.seed}). */
  static void trials(int trials, Trial trial) {
    String fixed = System.getProperty(PROPERTY);
    String baseProp = System.getProperty("p9.seedBase", "");
    long base = baseProp.equals("random") ? new SplittableRandom().nextLong()
        : baseProp.isBlank() ? DEFAULT_BASE : Long.parseLong(baseProp.trim());
    long[] seeds = fixed != null && !fixed.isBlank()
        ? new long[] {Long.parseLong(fixed.trim())}
        : java.util.stream.LongStream.range(0, trials).map(i -> base + i * 7919).toArray();
    for (long seed : seeds) {
      try {
        trial.run(new Random(seed));
      } catch (Throwable e) {
        throw new AssertionError("failed with seed " + seed + " (rerun with -D" + PROPERTY + "=" + seed + "): "
            + e.getMessage(), e);
      }
    }
  }
}
