package io.p9.aws;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Polls until a condition holds, waiting {@code initial}, then {@code initial * factor}, ... up to
 * {@code max} between polls, and gives up after {@code timeout}. Used to wait for EMR clusters, steps and
 * EMR Serverless job runs (their APIs have no push notifications); throttling of each poll is retried by
 * the SDK itself. The clock and the sleeper are injectable so tests do not wait.
 */
public final class Backoff {
  /** How the waits happen; {@link #SYSTEM} sleeps for real. */
  public interface Clock {
    long nanoTime();

    void sleep(Duration d) throws InterruptedException;
  }

  public static final Clock SYSTEM = new Clock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis());
    }
  };

  private final Duration initial;
  private final double factor;
  private final Duration max;
  private final Duration timeout;
  private final Clock clock;

  public Backoff(Duration initial, double factor, Duration max, Duration timeout, Clock clock) {
    if (initial.isNegative() || initial.isZero() || factor < 1 || max.compareTo(initial) < 0
        || timeout.isNegative()) {
      throw new IllegalArgumentException("bad back-off: initial " + initial + ", factor " + factor + ", max "
          + max + ", timeout " + timeout);
    }
    this.initial = initial;
    this.factor = factor;
    this.max = max;
    this.timeout = timeout;
    this.clock = Objects.requireNonNull(clock);
  }

  /** 10 s, doubling, at most 60 s between polls; {@code timeout} in all. */
  public static Backoff standard(Duration timeout) {
    return new Backoff(Duration.ofSeconds(10), 2.0, Duration.ofSeconds(60), timeout, SYSTEM);
  }

  public Duration timeout() {
    return timeout;
  }

  /** The wait before poll {@code n} (0-based, n ≥ 1). */
  public Duration delay(int n) {
    double ms = initial.toMillis() * Math.pow(factor, Math.max(0, n - 1));
    return ms >= max.toMillis() ? max : Duration.ofMillis((long) ms);
  }

  /**
   * Calls {@code poll} until it returns non-null, sleeping between calls; returns that value.
   *
   * @throws TimeoutException if {@code timeout} passes first (the last poll happens at most at the deadline)
   */
  public <T> T until(Supplier<T> poll) throws TimeoutException, InterruptedException {
    long start = clock.nanoTime();
    long deadline = start + timeout.toNanos();
    for (int n = 1; ; n++) {
      T v = poll.get();
      if (v != null) {
        return v;
      }
      long left = deadline - clock.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("gave up after " + Durations.human(timeout) + " (" + n + " polls)");
      }
      Duration d = delay(n);
      clock.sleep(d.toNanos() > left ? Duration.ofNanos(left) : d);
    }
  }

  /** Elapsed time since {@code startNanos} on this back-off's clock. */
  public Duration since(long startNanos) {
    return Duration.ofNanos(clock.nanoTime() - startNanos);
  }

  public long now() {
    return clock.nanoTime();
  }
}
