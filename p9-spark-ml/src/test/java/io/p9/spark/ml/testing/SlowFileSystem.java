package io.p9.spark.ml.testing;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.nio.file.AccessDeniedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.impl.OpenFileParameters;

/**
 * The local disk under the scheme {@value #SCHEME} ({@code slowfs:/tmp/x} is {@code /tmp/x}), which Hadoop and p9
 * take as a remote file system, with an object store's wait before the first byte: each open waits
 * {@link #latencyMs} ({@link #slowMs} for a file named {@code slow*}), a file named {@code fail*} fails to open, and
 * the opens waiting at once are counted, as are the streams opened and not yet closed. Set
 * {@link #openOnOwnThreads}, it opens files as S3A's {@code openFile} does: on a thread of its own
 * ({@code slowfs-open-N}), the caller waiting on the future. Register it with {@link #register}; its state is
 * static, for the JVM.
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
  /** The streams opened and not yet closed. */
  private static final AtomicInteger OPEN_STREAMS = new AtomicInteger();
  /** Notified whenever {@link #WAITING} or {@link #OPEN_STREAMS} changes ({@link #awaitWaiting}). */
  private static final Object CHANGED = new Object();
  /** The threads that open files where {@link #ownThreads} is set. */
  private static final ExecutorService OPENERS = Executors.newCachedThreadPool(new ThreadFactory() {
    private final AtomicInteger n = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "slowfs-open-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  });
  /** The keys in one page of a listing, S3's most. */
  public static final int PAGE = 1000;
  private static final AtomicInteger LISTING = new AtomicInteger();
  private static final AtomicInteger MOST_LISTING = new AtomicInteger();
  private static final AtomicInteger LIST_REQUESTS = new AtomicInteger();
  private static volatile long latencyMs;
  private static volatile long slowMs;
  private static volatile long listMs;
  private static volatile boolean ownThreads;

  /** Registers the scheme in {@code conf} (e.g. a SparkContext's Hadoop configuration). */
  public static void register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", SlowFileSystem.class.getName());
  }

  /** Sets the waits of the next opens, listings without a wait, and zeroes the counts. */
  public static void reset(long latencyMs, long slowMs) {
    reset(latencyMs, slowMs, 0);
  }

  /**
   * Sets the waits of the next opens and of each listing request, opens in the caller's thread, and zeroes the
   * counts.
   */
  public static void reset(long latencyMs, long slowMs, long listMs) {
    ownThreads = false;
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

  /**
   * Waits until the opens waiting now satisfy {@code until}, at most {@code timeout}.
   *
   * @return whether they did
   */
  public static boolean awaitWaiting(IntPredicate until, Duration timeout) throws InterruptedException {
    return await(WAITING, until, timeout);
  }

  /** {@return the streams opened and not yet closed} */
  public static int openStreams() {
    return OPEN_STREAMS.get();
  }

  /**
   * Waits until the streams opened and not yet closed satisfy {@code until}, at most {@code timeout}.
   *
   * @return whether they did
   */
  public static boolean awaitOpenStreams(IntPredicate until, Duration timeout) throws InterruptedException {
    return await(OPEN_STREAMS, until, timeout);
  }

  /**
   * Until {@link #reset}, opens files as S3A's {@code openFile} does: on a thread of its own, so that the caller,
   * interrupted, stops waiting while the open goes on and gives its stream to no one.
   */
  public static void openOnOwnThreads() {
    ownThreads = true;
  }

  private static boolean await(AtomicInteger count, IntPredicate until, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (CHANGED) {
      while (!until.test(count.get())) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(CHANGED, left);
      }
      return true;
    }
  }

  private static void waitingChanged(int delta) {
    synchronized (CHANGED) {
      MOST_WAITING.accumulateAndGet(WAITING.addAndGet(delta), Math::max);
      CHANGED.notifyAll();
    }
  }

  private static void openStreamsChanged(int delta) {
    synchronized (CHANGED) {
      OPEN_STREAMS.addAndGet(delta);
      CHANGED.notifyAll();
    }
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
      throw new AccessDeniedException(f + ": listing denied");
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

  /** A folder's child, with its name as it sorts among S3's keys: a folder's with the {@code /} after it. */
  private record Child(File file, Path path, boolean folder, String key) {}

  /** The children of {@code folder} (qualified {@code f}) in key order, a folder whose name holds gone left out. */
  private static List<Child> children(File folder, Path f) throws IOException {
    List<Child> children = new ArrayList<>();
    for (String name : names(folder, f)) {
      File c = new File(folder, name);
      boolean isFolder = c.isDirectory();
      if (!isFolder || !name.contains("gone")) {
        children.add(new Child(c, new Path(f, name), isFolder, isFolder ? name + "/" : name));
      }
    }
    children.sort(Comparator.comparing(Child::key));
    return children;
  }

  /**
   * Recursive: one flat listing of the files below {@code f}, in key order, a page of {@value #PAGE} at a time, the
   * first now, the next when the last file of a page is taken and more follow; as S3A, a request also where there is
   * nothing to list. It walks the folders as it goes (folder by folder in key order is S3's key order), fails where
   * it reaches a folder whose name holds {@code denied}, as Hadoop's listing of a folder at a time does, and leaves
   * out one whose name holds {@code gone}.
   */
  @Override
  public RemoteIterator<LocatedFileStatus> listFiles(Path f, boolean recursive) throws IOException {
    File top = pathToFile(f);
    if (!recursive || !top.isDirectory()) {
      return super.listFiles(f, recursive);
    }
    Deque<Iterator<Child>> walk = new ArrayDeque<>();
    walk.push(children(top, makeQualified(f)).iterator());
    request(f);
    return new RemoteIterator<>() {
      /** The next file, if found; the files handed on. */
      private LocatedFileStatus next;
      private int given;

      @Override
      public boolean hasNext() throws IOException {
        while (next == null && !walk.isEmpty()) {
          if (!walk.peek().hasNext()) {
            walk.pop();
            continue;
          }
          Child c = walk.peek().next();
          if (c.folder()) {
            walk.push(children(c.file(), c.path()).iterator());
          } else {
            if (given > 0 && given % PAGE == 0) {
              request(f);
            }
            next = new LocatedFileStatus(new FileStatus(c.file().length(), false, 1, 32L << 20,
                c.file().lastModified(), c.path()), null);
          }
        }
        return next != null;
      }

      @Override
      public LocatedFileStatus next() throws IOException {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        LocatedFileStatus n = next;
        next = null;
        given++;
        return n;
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
    waitingChanged(1);
    try {
      if (f.getName().startsWith("fail")) {
        throw new IOException("injected failure");
      }
      Thread.sleep(f.getName().startsWith("slow") ? slowMs : latencyMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted opening " + f);
    } finally {
      waitingChanged(-1);
    }
    FSDataInputStream in = super.open(f, bufferSize);
    openStreamsChanged(1);
    AtomicBoolean closed = new AtomicBoolean();
    return new FSDataInputStream(in) {
      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          if (!closed.getAndSet(true)) {
            openStreamsChanged(-1);
          }
        }
      }
    };
  }

  @Override
  protected CompletableFuture<FSDataInputStream> openFileWithOptions(Path path, OpenFileParameters parameters)
      throws IOException {
    if (!ownThreads) {
      return super.openFileWithOptions(path, parameters);
    }
    CompletableFuture<FSDataInputStream> opened = new CompletableFuture<>();
    OPENERS.execute(() -> {
      try {
        opened.complete(open(path, parameters.getBufferSize()));
      } catch (IOException | RuntimeException e) {
        opened.completeExceptionally(e);
      }
    });
    return opened;
  }
}
