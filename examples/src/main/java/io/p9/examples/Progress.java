package io.p9.examples;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs progress of a long featurize pass while it runs: images done / total, images/s, ETA. The done count
 * comes from the stages' counters ({@link FruitsJob#filesDone}), which Spark updates as tasks finish (so
 * progress moves per partition).
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

  private final ScheduledExecutorService timer;
  private final long total;
  private final long start = System.nanoTime();

  Progress(long total, LongSupplier done, long everyMillis) {
    this.total = total;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "p9-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> LOG.info(line(done.getAsLong(), (System.nanoTime() - start) / 1e9)),
        everyMillis, everyMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * {@code done / total (pct), rate images/s, ETA}. A {@code doneCount} past the total (a partition whose
   * counters Spark added twice, e.g. a shuffle-map task run again) shows as the total, 100 % and ETA 0 s; the
   * rate is still of all the images the pass went through.
   */
  String line(long doneCount, double seconds) {
    double rate = doneCount / Math.max(seconds, 1e-9);
    long shown = Math.min(doneCount, total);
    String eta = doneCount == 0 ? "?" : String.format("%.0f s", (total - shown) / Math.max(rate, 1e-9));
    return String.format("featurized %d / %d images (%.1f %%), %.1f images/s, ETA %s", shown, total,
        100.0 * shown / Math.max(total, 1), rate, eta);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
