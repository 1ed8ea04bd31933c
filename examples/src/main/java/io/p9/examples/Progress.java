package io.p9.examples;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs progress of a long featurize pass while it runs: images done / total, images/s, ETA; and, when the
 * pass ends ({@link #finish}), one last line with the rate over the whole pass. The done count comes from the
 * stages' counters ({@link FruitsJob#filesDone}), which Spark updates as tasks finish (so progress moves per
 * partition). Numbers are written the same in every default locale ({@link Locale#ROOT}: ASCII digits, a
 * decimal point), for people and log tools alike.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

  private final ScheduledExecutorService timer;
  private final long total;
  private final LongSupplier done;
  private final Consumer<String> log;
  private final long start = System.nanoTime();

  Progress(long total, LongSupplier done, long everyMillis) {
    this(total, done, everyMillis, LOG::info);
  }

  /** As above, the lines going to {@code log} instead of this class's logger. */
  Progress(long total, LongSupplier done, long everyMillis, Consumer<String> log) {
    this.total = total;
    this.done = done;
    this.log = log;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "p9-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> log.accept(line(done.getAsLong(), seconds())), everyMillis, everyMillis,
        TimeUnit.MILLISECONDS);
  }

  private double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * {@code done / total (pct), rate images/s, ETA}. A {@code doneCount} past the total (a partition whose
   * counters Spark added twice, e.g. a shuffle-map task run again) shows as the total, 100 % and ETA 0 s; the
   * rate is still of all the images the pass went through.
   */
  String line(long doneCount, double seconds) {
    double rate = doneCount / Math.max(seconds, 1e-9);
    long shown = Math.min(doneCount, total);
    String eta = doneCount == 0 ? "?" : String.format(Locale.ROOT, "%.0f s", (total - shown) / Math.max(rate, 1e-9));
    return String.format(Locale.ROOT, "featurized %d / %d images (%.1f %%), %.1f images/s, ETA %s", shown, total,
        100.0 * shown / Math.max(total, 1), rate, eta);
  }

  /** The last line, once the pass is over: {@code done / total (pct) in seconds, rate images/s}. */
  String lastLine(long doneCount, double seconds) {
    long shown = Math.min(doneCount, total);
    return String.format(Locale.ROOT, "featurized %d / %d images (%.1f %%) in %.1f s, %.1f images/s", shown, total,
        100.0 * shown / Math.max(total, 1), seconds, doneCount / Math.max(seconds, 1e-9));
  }

  /** The pass is over: stops the periodic lines and logs {@link #lastLine}, after any line in progress. */
  void finish() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.accept(lastLine(done.getAsLong(), seconds()));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
