package io.p9.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/** A benchmark that always throws: the smoke run must fail on it (BenchMainTest). Test class path only. */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ThrowingBenchmark {
  @Benchmark
  public long fails() {
    throw new IllegalStateException("this benchmark always fails");
  }
}
