package io.p9.aws;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.ObjIntConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polls until a condition holds, waiting {@code initial}, then {@code initial * factor}, ... up to
 * {@code max} between polls, and gives up after {@code timeout}. Used to wait for EMR clusters, steps and
 * EMR Serverless job runs (their APIs have no push notifications); throttling of each poll is retried by
 * the SDK itself, and a wait can ride out a poll that still fails ({@link #until(Supplier, Predicate, int,
 * ObjIntConsumer)}). The clock and the sleeper are injectable so tests do not wait.
 */
public final class Backoff {
  /** How the waits happen; {@link #SYSTEM} sleeps for real. */
  public interface Clock {
    /** {@return the current time in nanoseconds, from an arbitrary origin, as {@link System#nanoTime()}} */
    long nanoTime();

    /**
     * Waits {@code d}.
     *
     * @param d how long
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    void sleep(Duration d) throws InterruptedException;
  }

  /** The system's clock: {@link System#nanoTime()} and {@link Thread#sleep}. */
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

  /**
   * A back-off.
   *
   * @param initial the wait before the second poll (&gt; 0)
   * @param factor what each wait is multiplied by for the next (&ge; 1)
   * @param max the longest wait (&ge; {@code initial})
   * @param timeout how long to poll in all (&ge; 0)
   * @param clock the clock and sleeper
   * @throws IllegalArgumentException if a value is out of range
   */
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

  /**
   * {@return the back-off of p9's waits: 10 s, doubling, at most 60 s between polls, on the system clock}
   *
   * @param timeout how long to poll in all
   */
  public static Backoff standard(Duration timeout) {
    return new Backoff(Duration.ofSeconds(10), 2.0, Duration.ofSeconds(60), timeout, SYSTEM);
  }

  /** {@return how long it polls in all} */
  public Duration timeout() {
    return timeout;
  }

  /**
   * {@return the wait after poll {@code n}: {@code initial * factor^(n - 1)}, at most {@code max}}
   *
   * @param n the poll, from 1
   */
  public Duration delay(int n) {
    double ms = initial.toMillis() * Math.pow(factor, Math.max(0, n - 1));
    return ms >= max.toMillis() ? max : Duration.ofMillis((long) ms);
  }

  /**
   * Calls {@code poll} until it returns non-null, sleeping between calls; returns that value.
   *
   * @param <T> the answer's type
   * @param poll asks once; null for no answer yet
   * @return the first non-null answer
   * @throws InterruptedException if the thread is interrupted while it sleeps
   * @throws TimeoutException if {@code timeout} passes first (the last poll happens at most at the deadline)
   */
  public <T> T until(Supplier<T> poll) throws TimeoutException, InterruptedException {
    return until(poll, e -> false, 0, (e, n) -> { });
  }

  /**
   * Like {@link #until(Supplier)}, but a poll that throws an exception {@code transientFailure} accepts
   * (throttling that outlasted the SDK's retries, a 5xx, a dropped connection) counts as no answer yet: it is
   * passed to {@code onFailure} with the number of polls in a row that failed, and polling goes on with the
   * usual back-off. The exception of the {@code tolerated + 1}-th failed poll in a row is thrown, as is any
   * exception {@code transientFailure} does not accept. A wait of hours is not ended by a minute of
   * throttling, while what is being waited for goes on regardless.
   *
   * @param <T> the answer's type
   * @param poll asks once; null for no answer yet
   * @param transientFailure accepts the exceptions that count as no answer yet
   * @param tolerated how many polls in a row may fail so
   * @param onFailure takes each tolerated failure and the number of polls in a row that failed
   * @return the first non-null answer
   * @throws InterruptedException if the thread is interrupted while it sleeps
   * @throws TimeoutException if {@code timeout} passes first
   */
  public <T> T until(Supplier<T> poll, Predicate<RuntimeException> transientFailure, int tolerated,
      ObjIntConsumer<RuntimeException> onFailure) throws TimeoutException, InterruptedException {
    long start = clock.nanoTime();
    long deadline = start + timeout.toNanos();
    int failed = 0;
    for (int n = 1; ; n++) {
      T v;
      try {
        v = poll.get();
        failed = 0;
      } catch (RuntimeException e) {
        if (!transientFailure.test(e) || ++failed > tolerated) {
          throw e;
        }
        onFailure.accept(e, failed);
        v = null;
      }
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

  /**
   * {@return the time elapsed since {@code startNanos} on this back-off's clock}
   *
   * @param startNanos a time from {@link #now()}
   */
  public Duration since(long startNanos) {
    return Duration.ofNanos(clock.nanoTime() - startNanos);
  }

  /** {@return the current time on this back-off's clock, in nanoseconds} */
  public long now() {
    return clock.nanoTime();
  }
}
