package io.p9.spark.ml.testing;

import java.time.Duration;
import java.util.List;

/** The JVM's threads by name, for tests of pools that must end their threads. */
public final class Threads {
  private Threads() {}

  /**
   * Waits, at most {@code timeout} in all, for each live thread whose name starts with {@code prefix} to end (a pool
   * shut down ends its threads soon; one that starts after the call is not waited for).
   *
   * @return the names of those threads still alive
   */
  public static List<String> awaitEnded(String prefix, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    List<Thread> named = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix)).toList();
    for (Thread t : named) {
      long left = end - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, left / 1_000_000));
      }
    }
    return named.stream().filter(Thread::isAlive).map(Thread::getName).toList();
  }
}
