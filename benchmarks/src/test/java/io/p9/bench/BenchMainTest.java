package io.p9.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;

class BenchMainTest {

  @Test
  void smokeRunFailsWhenABenchmarkThrows() {
    var options = BenchMain.smokeOptions().include(ThrowingBenchmark.class.getName() + "\\.fails$").build();
    assertThatThrownBy(() -> new Runner(options).run()).isInstanceOf(RunnerException.class);
  }
}
