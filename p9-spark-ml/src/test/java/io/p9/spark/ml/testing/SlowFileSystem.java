package io.p9.spark.ml.testing;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under the scheme {@value #SCHEME} ({@code slowfs:/tmp/x} is {@code /tmp/x}), which Hadoop and p9
 * take as a remote file system, with an object store's wait before the first byte: each open waits
 * {@link #latencyMs} ({@link #slowMs} for a file named {@code slow*}), a file named {@code fail*} fails to open, and
 * the opens waiting at once are counted. Register it with {@link #register}; its state is static, for the JVM.
 */
public final class SlowFileSystem extends RawLocalFileSystem {
  /** The scheme. */
  public static final String SCHEME = "slowfs";
  private static final URI ROOT = URI.create(SCHEME + ":///");
  private static final AtomicInteger WAITING = new AtomicInteger();
  private static final AtomicInteger MOST_WAITING = new AtomicInteger();
  private static volatile long latencyMs;
  private static volatile long slowMs;

  /** Registers the scheme in {@code conf} (e.g. a SparkContext's Hadoop configuration). */
  public static void register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", SlowFileSystem.class.getName());
  }

  /** Sets the waits of the next opens and zeroes the counts. */
  public static void reset(long latencyMs, long slowMs) {
    SlowFileSystem.latencyMs = latencyMs;
    SlowFileSystem.slowMs = slowMs;
    MOST_WAITING.set(WAITING.get());
  }

  /** {@return the opens waiting now} */
  public static int waiting() {
    return WAITING.get();
  }

  /** {@return the most opens that waited at once since the last {@link #reset}} */
  public static int mostWaiting() {
    return MOST_WAITING.get();
  }

  /** {@return {@code dir} as a path of this file system} */
  public static String path(java.nio.file.Path dir) {
    return SCHEME + ":" + dir.toAbsolutePath();
  }

  @Override
  public URI getUri() {
    return ROOT;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  // RawLocalFileSystem's own statuses read their permissions through java.io.File of the path's URI, which
  // takes only file: URIs; these statuses leave them at their default

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    File file = pathToFile(f);
    if (!file.exists()) {
      throw new FileNotFoundException("File " + f + " does not exist");
    }
    return status(file, makeQualified(f));
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    File file = pathToFile(f);
    if (!file.isDirectory()) {
      return new FileStatus[] {getFileStatus(f)};
    }
    String[] names = file.list();
    if (names == null) {
      throw new IOException("cannot list " + f);
    }
    Path dir = makeQualified(f);
    FileStatus[] all = new FileStatus[names.length];
    for (int i = 0; i < names.length; i++) {
      all[i] = status(new File(file, names[i]), new Path(dir, names[i]));
    }
    return all;
  }

  private static FileStatus status(File file, Path qualified) {
    return new FileStatus(file.length(), file.isDirectory(), 1, 32L << 20, file.lastModified(), qualified);
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    MOST_WAITING.accumulateAndGet(WAITING.incrementAndGet(), Math::max);
    try {
      if (f.getName().startsWith("fail")) {
        throw new IOException("injected failure");
      }
      Thread.sleep(f.getName().startsWith("slow") ? slowMs : latencyMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted opening " + f);
    } finally {
      WAITING.decrementAndGet();
    }
    return super.open(f, bufferSize);
  }
}
