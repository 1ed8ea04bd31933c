package io.p9.spark.ml.internal;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FutureDataInputStreamBuilder;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.functional.FutureIO;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
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

  /**
   * The reader of one read's partitions.
   *
   * @param conf the Hadoop conf of the file systems, broadcast
   * @param ignoreMissingFiles whether a listed file that is gone gives no row
   *     ({@code spark.sql.files.ignoreMissingFiles})
   */
  public ReadFiles(Broadcast<SerializableConfiguration> conf, boolean ignoreMissingFiles) {
    this.conf = conf;
    this.ignoreMissingFiles = ignoreMissingFiles;
  }

  @Override
  public Iterator<Row> call(Iterator<Entry> entries) {
    return new Rows(entries);
  }

  /** One partition's rows, read lazily; the file system is looked up once per scheme and authority. */
  private final class Rows implements Iterator<Row> {
    private final Iterator<Entry> entries;
    private Row next;
    private URI lastRoot;
    private FileSystem lastFs;

    Rows(Iterator<Entry> entries) {
      this.entries = entries;
    }

    @Override
    public boolean hasNext() {
      while (next == null && entries.hasNext()) {
        next = read(entries.next());
      }
      return next != null;
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

    /** The file's row, or null if it vanished since the listing and missing files are ignored. */
    private Row read(Entry e) {
      Path path = new Path(e.path());
      try {
        byte[] content = read(path, e);
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

    private byte[] read(Path path, Entry e) throws IOException {
      if (e.length() > MAX_BYTES) {
        throw new IOException("the file is " + e.length() + " bytes; a row holds at most 2 GiB");
      }
      FileSystem fs = fileSystem(path);
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

    /** The whole stream: {@code length} bytes (the listed length) and any bytes past them. */
    private byte[] read(FutureDataInputStreamBuilder open, long length) throws IOException {
      try (FSDataInputStream in = FutureIO.awaitFuture(open.build())) {
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
  }
}
