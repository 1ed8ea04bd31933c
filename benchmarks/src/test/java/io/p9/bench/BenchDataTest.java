package io.p9.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchDataTest {

  @Test
  void fruitJpegsGivesExactlyTheCountAskedFor() {
    assertThat(BenchData.fruitJpegs(16)).hasSize(16).allMatch(p -> p.toString().endsWith(".jpg"));
  }

  /** SparkPipelineBenchmark divides images x replicate by the pass time: fewer files would inflate it. */
  @Test
  void fruitJpegsRefusesMoreThanTheSampleHolds() {
    assertThat(BenchData.fruitJpegs(2940)).hasSize(2940);
    assertThatThrownBy(() -> BenchData.fruitJpegs(2941))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2940");
  }
}
