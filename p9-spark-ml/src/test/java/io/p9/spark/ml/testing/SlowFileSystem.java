package io.p9.spark.ml.testing;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The local disk under the scheme {@value #SCHEME} ({@code slowfs:/tmp/x} is {@code /tmp/x}), which Hadoop and p9
 * take as a remote file system, with an object store's wait before the first byte: each open waits
 * {@link #latencyMs} ({@link #slowMs} for a file named {@code slow*}), a file named {@code fail*} fails to open, and
 * the opens waiting at once are counted. Register it with {@link #register}; its state is static, for the JVM.
 *
 * <p>It lists as S3A lists S3, one request per page of {@value #PAGE} keys, each waiting {@link #listMs}: a
 * recursive {@code listFiles} is one flat listing of every file below the folder in key order (the path's string
 * order, as S3 gives it: {@code a-b/x} before {@code a/x}), a page at a time; {@code listStatus} (S3A's listing
 * with a delimiter) gives a folder's files and folders, in the same order. The listing requests waiting at once,
 * and all of them, are counted. A folder whose name holds {@code denied} fails to list (S3's {@code AccessDenied}),
 * also where a listing above it reaches it; one whose name holds {@code gone} is there for its parent's
 * {@code listStatus} only, as a folder deleted between that listing and its own (which fails: not found), and a
 * recursive listing above it leaves it out.
 */
public final class SlowFileSystem extends RawLocalFileSystem {
  /** The scheme. */
  public static final String SCHEME = "slowfs";
  private static final URI ROOT = URI.create(SCHEME + ":///");
  private static final AtomicInteger WAITING = new AtomicInteger();
  private static final AtomicInteger MOST_WAITING = new AtomicInteger();
  /** The keys in one page of a listing, S3's most. */
  public static final int PAGE = 1000;
  private static final AtomicInteger LISTING = new AtomicInteger();
  private static final AtomicInteger MOST_LISTING = new AtomicInteger();
  private static final AtomicInteger LIST_REQUESTS = new AtomicInteger();
  private static volatile long latencyMs;
  private static volatile long slowMs;
  private static volatile long listMs;

  /** Registers the scheme in {@code conf} (e.g. a SparkContext's Hadoop configuration). */
  public static void register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", SlowFileSystem.class.getName());
  }

  /** Sets the waits of the next opens, listings without a wait, and zeroes the counts. */
  public static void reset(long latencyMs, long slowMs) {
    reset(latencyMs, slowMs, 0);
  }

  /** Sets the waits of the next opens and of each listing request, and zeroes the counts. */
  public static void reset(long latencyMs, long slowMs, long listMs) {
    SlowFileSystem.latencyMs = latencyMs;
    SlowFileSystem.slowMs = slowMs;
    SlowFileSystem.listMs = listMs;
    MOST_WAITING.set(WAITING.get());
    MOST_LISTING.set(LISTING.get());
    LIST_REQUESTS.set(0);
  }

  /** {@return the opens waiting now} */
  public static int waiting() {
    return WAITING.get();
  }

  /** {@return the most opens that waited at once since the last {@link #reset}} */
  public static int mostWaiting() {
    return MOST_WAITING.get();
  }

  /** {@return the most listing requests that waited at once since the last {@link #reset}} */
  public static int mostListing() {
    return MOST_LISTING.get();
  }

  /** {@return the listing requests (pages) made since the last {@link #reset}} */
  public static int listRequests() {
    return LIST_REQUESTS.get();
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
    Path dir = makeQualified(f);
    String[] names = names(file, dir);
    FileStatus[] all = new FileStatus[names.length];
    for (int i = 0; i < names.length; i++) {
      all[i] = status(new File(file, names[i]), new Path(dir, names[i]));
    }
    Arrays.sort(all, Comparator.comparing(s -> s.getPath().toString()));
    for (int page = 0; page == 0 || page * PAGE < all.length; page++) {
      request(f);
    }
    return all;
  }

  /** The names in the folder {@code f}, qualified; it fails as S3 would where its name holds denied or gone. */
  private static String[] names(File folder, Path f) throws IOException {
    if (folder.getName().contains("denied")) {
      throw denied(f);
    }
    if (folder.getName().contains("gone")) {
      throw new FileNotFoundException("File " + f + " does not exist");
    }
    String[] names = folder.list();
    if (names == null) {
      throw new IOException("cannot list " + f);
    }
    return names;
  }

  private static AccessDeniedException denied(Path folder) {
    return new AccessDeniedException(folder + ": listing denied");
  }

  /** A file a flat listing gives, at its key; or with no file, a folder it fails to list there. */
  private record Listed(String key, LocatedFileStatus file) {}

  /**
   * Recursive: one flat listing of the files below {@code f}, in key order, a page of {@value #PAGE} at a time, the
   * first now; as S3A, a request also where there is nothing to list. It fails where it reaches a {@code *denied*}
   * folder, as Hadoop's listing of a folder at a time does, and leaves out a {@code *gone*} one.
   */
  @Override
  public RemoteIterator<LocatedFileStatus> listFiles(Path f, boolean recursive) throws IOException {
    File top = pathToFile(f);
    if (!recursive || !top.isDirectory()) {
      return super.listFiles(f, recursive);
    }
    Path dir = makeQualified(f);
    names(top, dir);
    List<Listed> files = new ArrayList<>();
    java.nio.file.Path root = top.toPath();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(java.nio.file.Path d, BasicFileAttributes a) {
        String name = d.getFileName().toString();
        if (!d.equals(root) && name.contains("denied")) {
          files.add(new Listed(path(d) + "/", null));
          return FileVisitResult.SKIP_SUBTREE;
        }
        return d.equals(root) || !name.contains("gone") ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(java.nio.file.Path file, BasicFileAttributes a) {
        Path p = path(file);
        files.add(new Listed(p.toString(), new LocatedFileStatus(new FileStatus(a.size(), false, 1, 32L << 20,
            a.lastModifiedTime().toMillis(), p), null)));
        return FileVisitResult.CONTINUE;
      }

      private Path path(java.nio.file.Path local) {
        return new Path(dir, root.relativize(local).toString());
      }
    });
    files.sort(Comparator.comparing(Listed::key));
    request(f);
    return new RemoteIterator<>() {
      /** The index of the next file, and how many files the pages fetched so far hold. */
      private int next;
      private int fetched = Math.min(files.size(), PAGE);

      @Override
      public boolean hasNext() throws IOException {
        if (next == fetched && fetched < files.size()) {
          request(f);
          fetched = Math.min(files.size(), fetched + PAGE);
        }
        if (next < files.size() && files.get(next).file() == null) {
          String key = files.get(next).key();
          throw denied(new Path(key.substring(0, key.length() - 1)));
        }
        return next < files.size();
      }

      @Override
      public LocatedFileStatus next() throws IOException {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return files.get(next++).file();
      }
    };
  }

  /** One listing request: its wait, counted. */
  private static void request(Path f) throws IOException {
    LIST_REQUESTS.incrementAndGet();
    MOST_LISTING.accumulateAndGet(LISTING.incrementAndGet(), Math::max);
    try {
      Thread.sleep(listMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted listing " + f);
    } finally {
      LISTING.decrementAndGet();
    }
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
