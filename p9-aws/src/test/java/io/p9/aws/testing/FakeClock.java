package io.p9.aws.testing;

import io.p9.aws.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A {@link Backoff.Clock} whose sleeps only advance its time, and are recorded. */
public final class FakeClock implements Backoff.Clock {
  private long now;
  public final List<Duration> sleeps = new ArrayList<>();

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void sleep(Duration d) {
    sleeps.add(d);
    now += d.toNanos();
  }

  /** 10 s doubling to 60 s, timeout {@code timeout}, on this clock. */
  public Backoff backoff(Duration timeout) {
    return new Backoff(Duration.ofSeconds(10), 2.0, Duration.ofSeconds(60), timeout, this);
  }
}
