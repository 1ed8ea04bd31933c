package io.p9.spark.ml.internal;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FutureDataInputStreamBuilder;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.functional.FutureIO;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.executor.InputMetrics;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of {@code ImageFiles.read}: reads each listed file whole, into a row of
 * {@code binaryFile}'s schema. S3A gets the listed status (rebuilt from the entry's length, time, ETag and
 * version id) through {@code openFile}, so it skips its per-file HEAD request and reads at most the listed length;
 * a file overwritten since the listing (S3A's change detection, on by default, sees another ETag) is opened again
 * without it, and read as it is now, as is one listed with 0 bytes (HEAD and GET). Local files are read with
 * {@code java.nio}, as they are when read (Hadoop's local file system would stat each file and probe for a {@code .crc}
 * file on every open). The row's {@code length} is the bytes read.
 */
public final class ReadFiles implements FlatMapFunction<Iterator<ReadFiles.Entry>, Row> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ReadFiles.class);
  /** The largest array the JVM allocates. */
  private static final long MAX_BYTES = Integer.MAX_VALUE - 16;
  /**
   * What S3A throws when the object's ETag differs from the listed one (p9-spark-ml does not depend on
   * hadoop-aws, so it is matched by name).
   */
  private static final String REMOTE_FILE_CHANGED = "org.apache.hadoop.fs.s3a.RemoteFileChangedException";

  /**
   * One listed file, as compact as the driver can hold millions of them: its qualified path as its folder
   * (with the trailing {@code /}; one string that a listing shares among the folder's files) and its name, its
   * length and modification time (ms), and on S3A the listed ETag and version id (null elsewhere, and where the
   * store gives none), from which the executor rebuilds S3A's own status ({@link S3aStatus}): Hadoop 3.3.4's
   * S3A skips its HEAD only for a status of its own class, and its change detection checks that ETag on read.
   * Entries order by their path. They travel in the tasks' partitions, which Spark writes with
   * {@code spark.serializer}: Java serialization writes each of a partition's folders once (a shared string),
   * Kryo writes them with {@link EntrySerializer}, which writes a folder once for a run of files in it.
   *
   * @param folder the qualified path of the file's folder, with the trailing {@code /}
   * @param name the file's name
   * @param length its listed length in bytes
   * @param modificationTime its listed modification time (ms)
   * @param etag its listed ETag on S3A, else null
   * @param versionId its listed S3 version id on S3A, else null
   * @serial exclude
   */
  @DefaultSerializer(EntrySerializer.class)
  public record Entry(String folder, String name, long length, long modificationTime, String etag,
      String versionId) implements Serializable, Comparable<Entry> {
    /** {@return the file's qualified path} */
    public String path() {
      return folder + name;
    }

    /** In the order of {@link #path()}'s strings, without building them. */
    @Override
    public int compareTo(Entry o) {
      if (folder.equals(o.folder)) {
        return name.compareTo(o.name);
      }
      int n = folder.length() + name.length();
      int m = o.folder.length() + o.name.length();
      for (int i = 0; i < Math.min(n, m); i++) {
        char a = charAt(i);
        char b = o.charAt(i);
        if (a != b) {
          return a - b;
        }
      }
      return n - m;
    }

    private char charAt(int i) {
      return i < folder.length() ? folder.charAt(i) : name.charAt(i - folder.length());
    }
  }

  /**
   * Kryo's form of an {@link Entry}: its strings and numbers, the folder written only where it differs from the
   * previous entry's in the same object graph (a partition's entries come in path order, so a folder's files
   * share one copy on the executor too). Kryo's own serializers cannot build a record.
   */
  public static final class EntrySerializer extends Serializer<Entry> {
    /** The key of the last folder written or read in Kryo's per-graph context. */
    private static final Object LAST_FOLDER = EntrySerializer.class;

    /** A serializer of immutable entries (Kryo does not copy them). */
    public EntrySerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Entry e) {
      boolean same = e.folder().equals(kryo.getGraphContext().get(LAST_FOLDER));
      out.writeString(same ? null : e.folder());
      if (!same) {
        kryo.getGraphContext().put(LAST_FOLDER, e.folder());
      }
      out.writeString(e.name());
      out.writeVarLong(e.length(), true);
      out.writeVarLong(e.modificationTime(), true);
      out.writeString(e.etag());
      out.writeString(e.versionId());
    }

    @Override
    public Entry read(Kryo kryo, Input in, Class<Entry> type) {
      String folder = in.readString();
      if (folder == null) {
        folder = (String) kryo.getGraphContext().get(LAST_FOLDER);
      } else {
        kryo.getGraphContext().put(LAST_FOLDER, folder);
      }
      return new Entry(folder, in.readString(), in.readVarLong(true), in.readVarLong(true), in.readString(),
          in.readString());
    }
  }

  /** The Hadoop conf of the file systems, broadcast once per read. */
  private final Broadcast<SerializableConfiguration> conf;
  /** Whether a listed file that is gone gives no row rather than failing the task. */
  private final boolean ignoreMissingFiles;
  /** The files a task reads at once from a file system other than the local one; 1 reads in the task's thread. */
  private final int concurrency;
  /** The most listed bytes of files a task has started reading ahead and not yet handed on (at least one file). */
  private final long aheadBytes;

  /**
   * The reader of one read's partitions.
   *
   * @param conf the Hadoop conf of the file systems, broadcast
   * @param ignoreMissingFiles whether a listed file that is gone gives no row
   *     ({@code spark.sql.files.ignoreMissingFiles})
   * @param concurrency the files a task reads at once from a file system other than the local one, at least 1
   *     (1: one after another, in the task's own thread)
   * @param aheadBytes the most listed bytes of files a task has started reading and not yet handed on, at least 1
   *     (a file larger than that is still read, alone)
   */
  public ReadFiles(Broadcast<SerializableConfiguration> conf, boolean ignoreMissingFiles, int concurrency,
      long aheadBytes) {
    if (concurrency < 1 || aheadBytes < 1) {
      throw new IllegalArgumentException("concurrency and aheadBytes must be at least 1: " + concurrency + ", "
          + aheadBytes);
    }
    this.conf = conf;
    this.ignoreMissingFiles = ignoreMissingFiles;
    this.concurrency = concurrency;
    this.aheadBytes = aheadBytes;
  }

  @Override
  public Iterator<Row> call(Iterator<Entry> entries) {
    TaskContext tc = TaskContext.get();
    Rows rows = new Rows(entries, tc != null ? tc.taskMetrics().inputMetrics() : null);
    if (tc != null) {
      // a task that ends before its last row (a failure, a kill, a limit) stops the reads it started
      tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> rows.cancel());
    }
    return rows;
  }

  /** The threads that read ahead, shared by the JVM's tasks; each task keeps at most its concurrency busy. */
  private static final class Readers {
    private static final AtomicInteger THREADS = new AtomicInteger();
    static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "p9-read-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });

    private Readers() {}
  }

  /** A file of a task's partition, started (read on the pool) or read in the task's thread when its row is due. */
  private record Ahead(Entry entry, Path path, Future<byte[]> read) {}

  /**
   * One partition's rows, in the entries' order. Files on a file system other than the local one are read up to
   * {@link #concurrency} at once, ahead of the row asked for, within {@link #aheadBytes}; local files, and all
   * files at a concurrency of 1, are read in the calling thread when their row is due. A file's failure is
   * thrown when its row is due, as if it had been read then. The file system is looked up once per scheme and
   * authority.
   */
  private final class Rows implements Iterator<Row> {
    private final Iterator<Entry> entries;
    /** The files taken from the entries and not yet handed on as rows, in order. */
    private final ArrayDeque<Ahead> ahead = new ArrayDeque<>();
    /** The listed bytes of the started reads in {@link #ahead}. */
    private long started;
    /** Set once the task has ended: no read starts after it. */
    private boolean cancelled;
    /** The next entry, taken from the entries but not yet into {@link #ahead}; null if none. */
    private Entry peeked;
    /** The task's input metrics (Spark's UI shows them as the stage's input), null outside a task. */
    private final InputMetrics metrics;
    private Row next;
    private URI lastRoot;
    private FileSystem lastFs;

    Rows(Iterator<Entry> entries, InputMetrics metrics) {
      this.entries = entries;
      this.metrics = metrics;
    }

    @Override
    public boolean hasNext() {
      while (next == null) {
        Ahead a;
        synchronized (this) {
          start();
          a = ahead.poll();
        }
        if (a == null) {
          return false;
        }
        try {
          next = row(a);
        } finally {
          if (a.read() != null) {
            synchronized (this) {
              // its bytes count until its read is done
              started -= a.entry().length();
            }
          }
        }
        if (a.read() != null) {
          synchronized (this) {
            // the next read starts while this row is used
            start();
          }
        }
        if (next != null && metrics != null) {
          metrics.incBytesRead(next.getLong(2));
          metrics.incRecordsRead(1);
        }
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Row r = next;
      next = null;
      return r;
    }

    /**
     * Stops the reads started ahead (their threads are interrupted) and starts no more. A read waiting for one of
     * S3A's pooled connections stops, as does one waiting for its file to open on the file system's own thread (S3A
     * opens on its own pool, with a HEAD where it has no listed status; the stream that open gives later is closed
     * then, and a HEAD runs on to its socket timeout). A read
     * blocked in a socket read does not see the interrupt: it ends, with its thread and connection, when its socket
     * times out (S3A's {@code fs.s3a.connection.timeout}). Nothing here can end it sooner with hadoop-aws 3.3.4:
     * S3A sends the GET from inside the stream's first read, and its {@code S3AInputStream.read} and {@code close}
     * (and {@code unbuffer}) are all synchronized on the stream, so a close from this thread would wait for the
     * read; only closing the file system shuts its connections in use, and the file system is the JVM's shared one
     * ({@code S3aStalledReadIT} in p9-examples shows each).
     */
    synchronized void cancel() {
      cancelled = true;
      for (Ahead a : ahead) {
        if (a.read() != null) {
          a.read().cancel(true);
        }
      }
      ahead.clear();
    }

    /** Takes entries into {@link #ahead} up to the concurrency, starting the reads of non-local files. */
    private void start() {
      while (!cancelled && ahead.size() < concurrency && (peeked != null || entries.hasNext())) {
        Entry e = peek();
        Path path = new Path(e.path());
        FileSystem fs = concurrency > 1 ? lookAhead(path) : null;
        if (fs == null) {
          ahead.add(new Ahead(taken(), path, null));
          continue;
        }
        if (started > 0 && started + e.length() > aheadBytes) {
          return;
        }
        started += e.length();
        ahead.add(new Ahead(taken(), path, Readers.POOL.submit(() -> read(fs, path, e))));
      }
    }

    private Entry peek() {
      if (peeked == null) {
        peeked = entries.next();
      }
      return peeked;
    }

    private Entry taken() {
      Entry e = peeked;
      peeked = null;
      return e;
    }

    /**
     * The file system to read {@code path} ahead on, or null to read it when its row is due: the local file system,
     * and a file system that cannot be looked up (the failure is then thrown for the file's row).
     */
    private FileSystem lookAhead(Path path) {
      try {
        FileSystem fs = fileSystem(path);
        return fs instanceof LocalFileSystem ? null : fs;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /** The file's row, or null if it vanished since the listing and missing files are ignored. */
    private Row row(Ahead a) {
      Entry e = a.entry();
      try {
        byte[] content = a.read() != null ? await(a.read()) : read(fileSystem(a.path()), a.path(), e);
        return RowFactory.create(e.path(), new Timestamp(e.modificationTime()), (long) content.length, content);
      } catch (FileNotFoundException missing) {
        if (ignoreMissingFiles) {
          LOG.warn("Skipped {}: it was deleted after the listing (spark.sql.files.ignoreMissingFiles)", e.path());
          return null;
        }
        throw new UncheckedIOException("cannot read " + e.path() + ": it was deleted after the listing", missing);
      } catch (IOException io) {
        throw new UncheckedIOException("cannot read " + e.path() + ": " + io.getMessage(), io);
      }
    }

    /** What the read started ahead gave, or threw. */
    private byte[] await(Future<byte[]> read) throws IOException {
      try {
        return read.get();
      } catch (InterruptedException interrupted) {
        // the task is being killed: this read and the others stop
        Thread.currentThread().interrupt();
        read.cancel(true);
        cancel();
        throw (IOException) new InterruptedIOException("interrupted while reading").initCause(interrupted);
      } catch (ExecutionException failed) {
        Throwable t = failed.getCause();
        if (t instanceof IOException io) {
          throw io;
        }
        if (t instanceof RuntimeException re) {
          throw re;
        }
        if (t instanceof Error err) {
          throw err;
        }
        throw new IOException(t);
      }
    }

    /** Hadoop's per-call lookup asks for the current user and hashes a cache key: once per file system. */
    private FileSystem fileSystem(Path path) throws IOException {
      URI u = path.toUri();
      if (lastFs == null || !Objects.equals(u.getScheme(), lastRoot.getScheme())
          || !Objects.equals(u.getAuthority(), lastRoot.getAuthority())) {
        lastFs = path.getFileSystem(conf.value().value());
        lastRoot = u;
      }
      return lastFs;
    }
  }

  /** The file's bytes; called in a task's thread or, reading ahead, on the pool. */
  private static byte[] read(FileSystem fs, Path path, Entry e) throws IOException {
    if (e.length() > MAX_BYTES) {
      throw new IOException("the file is " + e.length() + " bytes; a row holds at most 2 GiB");
    }
    if (fs instanceof LocalFileSystem) {
      // Hadoop's local file system stats the file (and probes for a .crc file) on every open
      try {
        return Files.readAllBytes(java.nio.file.Path.of(path.toUri()));
      } catch (NoSuchFileException gone) {
        throw new FileNotFoundException(gone.getMessage());
      }
    }
    // S3A sends no GET (so checks no ETag) for a listed length of 0: such a file, an image that failed to
    // upload or a placeholder uploaded again since, is opened without the listed status
    FileStatus listed = e.length() > 0 && "s3a".equals(fs.getScheme())
        ? S3aStatus.of(fs, path, e.length(), e.modificationTime(), e.etag(), e.versionId()) : null;
    if (listed != null) {
      try {
        return read(fs.openFile(path).withFileStatus(listed), e.length());
      } catch (IOException changed) {
        if (!REMOTE_FILE_CHANGED.equals(changed.getClass().getName())) {
          throw changed;
        }
        // overwritten since the listing (its ETag no longer matches): read it as it is now, as local
        // files are and as Spark's binaryFile source does (a HEAD for its new length, then a GET)
        LOG.info("Reading {} as it is now: it was overwritten after the listing", e.path());
      }
    }
    return read(fs.openFile(path), e.length());
  }

  /**
   * The whole stream: {@code length} bytes (the listed length) and any bytes past them. A read interrupted while its
   * file opens stops waiting; where the file system opens on a thread of its own (S3A's {@code openFile} does, its
   * HEAD request on its own pool), the stream that open gives later is closed then.
   */
  private static byte[] read(FutureDataInputStreamBuilder open, long length) throws IOException {
    CompletableFuture<FSDataInputStream> opening = open.build();
    FSDataInputStream opened;
    try {
      opened = FutureIO.awaitFuture(opening);
    } catch (InterruptedIOException stopped) {
      opening.thenAccept(ReadFiles::closeUnread);
      throw stopped;
    }
    try (FSDataInputStream in = opened) {
      byte[] head = in.readNBytes((int) length);
      int more = head.length < length ? -1 : in.read();
      if (more < 0) {
        return head;
      }
      byte[] rest = in.readAllBytes();
      if (head.length + 1L + rest.length > MAX_BYTES) {
        throw new IOException("the file grew past 2 GiB after the listing");
      }
      byte[] all = Arrays.copyOf(head, head.length + 1 + rest.length);
      all[head.length] = (byte) more;
      System.arraycopy(rest, 0, all, head.length + 1, rest.length);
      return all;
    }
  }

  /** Closes a stream opened for a read that had stopped. */
  private static void closeUnread(FSDataInputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("Closing a stream opened after its read stopped", e);
    }
  }
}
