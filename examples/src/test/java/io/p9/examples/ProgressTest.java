package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void reportsDoneTotalRateAndEta() {
    try (Progress p = new Progress(1000, () -> 0, 60_000)) {
      assertThat(p.line(250, 10)).isEqualTo("featurized 250 / 1000 images (25.0 %), 25.0 images/s, ETA 30 s");
      assertThat(p.line(0, 1)).endsWith("ETA ?");
    }
  }

  /**
   * A partition counted twice (a shuffle-map task run again after a lost executor or a fetch failure, whose
   * counters Spark adds again) can take the done count past the listed total: the line must not then say more
   * than 100 % or a negative ETA.
   */
  @Test
  void aDoneCountPastTheTotalIsNeitherPast100PercentNorANegativeEta() {
    try (Progress p = new Progress(1000, () -> 0, 60_000)) {
      assertThat(p.line(1200, 10)).isEqualTo("featurized 1000 / 1000 images (100.0 %), 120.0 images/s, ETA 0 s");
    }
  }
}
