package io.p9.core.linalg;

import java.util.Random;
import java.util.SplittableRandom;

/**
 * Seeded random trials for property tests: each trial gets a {@link Random} from a fresh seed, and a failure
 * is rethrown with that seed. {@code -Dp9.seed=N} reruns exactly one trial with seed N.
 */
final class Seeded {
  static final String PROPERTY = "p9.seed";

  private Seeded() {}

  @FunctionalInterface
  interface Trial {
    void run(Random rnd) throws Exception;
  }

  /** Runs {@code trial} {@code trials} times with fresh seeds (or once with the seed in {@code -Dp9.seed}). */
  static void trials(int trials, Trial trial) {
    String fixed = System.getProperty(PROPERTY);
    long[] seeds = fixed != null && !fixed.isBlank()
        ? new long[] {Long.parseLong(fixed.trim())}
        : new SplittableRandom().longs(trials).toArray();
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
