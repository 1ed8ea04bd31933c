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
 * Logs progress of a long featurize pass while it runs: files done / total, images featurized, images/s, ETA;
 * and, when the pass ends ({@link #finish}), one last line with the rate over the whole pass. The rate counts
 * only the images that got features (a file that could not be decoded is done but not featurized), as the
 * report's {@code imagesPerSecond} does; the ETA is of the files still to go, at the rate files are done. While
 * the pass runs, the counts come from the stages' counters ({@link FruitsJob#filesDone}, the featurizer's
 * successes), which Spark updates as tasks finish (so progress moves per partition) and which count a partition
 * computed again (a lost executor's) again; the last line's come from the pass's rows, as the report's do.
 * Numbers are written the same in every default locale ({@link Locale#ROOT}: ASCII digits, a decimal point),
 * for people and log tools alike.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

  private final ScheduledExecutorService timer;
  private final long total;
  private final LongSupplier done;
  private final LongSupplier featurized;
  private final Consumer<String> log;
  private final long start = System.nanoTime();

  /** Of {@code total} files, {@code done} are done so far and {@code featurized} of them got features. */
  Progress(long total, LongSupplier done, LongSupplier featurized, long everyMillis) {
    this(total, done, featurized, everyMillis, LOG::info);
  }

  /** As above, the lines going to {@code log} instead of this class's logger. */
  Progress(long total, LongSupplier done, LongSupplier featurized, long everyMillis, Consumer<String> log) {
    this.total = total;
    this.done = done;
    this.featurized = featurized;
    this.log = log;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "p9-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> log.accept(line(done.getAsLong(), featurized.getAsLong(), seconds())),
        everyMillis, everyMillis, TimeUnit.MILLISECONDS);
  }

  private double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * {@code done / total files (pct), featurized, rate images/s, ETA}. A count past the total (a partition whose
   * counters Spark added twice, e.g. a shuffle-map task run again) shows as the total, 100 % and ETA 0 s; the
   * rate is still of all the images the pass featurized.
   */
  String line(long doneCount, long featurizedCount, double seconds) {
    long shown = Math.min(doneCount, total);
    String eta = doneCount == 0 ? "?"
        : String.format(Locale.ROOT, "%.0f s", (total - shown) / Math.max(perSecond(doneCount, seconds), 1e-9));
    return String.format(Locale.ROOT, "%s, %d featurized, %.1f images/s, ETA %s", filesDone(doneCount),
        Math.min(featurizedCount, total), perSecond(featurizedCount, seconds), eta);
  }

  /** The last line, once the pass is over: {@code done / total files (pct) in seconds, featurized, rate}. */
  String lastLine(long doneCount, long featurizedCount, double seconds) {
    return String.format(Locale.ROOT, "%s in %.1f s, %d featurized, %.1f images/s", filesDone(doneCount), seconds,
        Math.min(featurizedCount, total), perSecond(featurizedCount, seconds));
  }

  /**
   * {@code count} over {@code seconds} (at least 1 ns): with the featurized images, the rate of the progress lines
   * and of the report's {@code imagesPerSecond}.
   */
  static double perSecond(long count, double seconds) {
    return count / Math.max(seconds, 1e-9);
  }

  /** {@code done / total files done (pct)}, a count past the total shown as the total. */
  private String filesDone(long doneCount) {
    long shown = Math.min(doneCount, total);
    return String.format(Locale.ROOT, "%d / %d files done (%.1f %%)", shown, total, 100.0 * shown / Math.max(total, 1));
  }

  /**
   * The pass is over: stops the periodic lines and logs {@link #lastLine} of {@code doneCount} files done,
   * {@code featurizedCount} of them featurized (counted from the rows, not the counters), after any line in
   * progress.
   */
  void finish(long doneCount, long featurizedCount) {
    timer.shutdownNow();
    try {
      timer.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.accept(lastLine(doneCount, featurizedCount, seconds()));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
