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
}
