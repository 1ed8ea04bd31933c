package io.p9.spark.ml.internal;

import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
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
 * {@code binaryFile}'s schema. S3A gets the listed status through {@code openFile}, so it skips its
 * per-file HEAD request and reads at most the listed length; a file overwritten since the listing (S3A's
 * change detection, on by default, sees another ETag) is opened again without it, and read as it is now,
 * as is one listed with 0 bytes (HEAD and GET). Local files are read with {@code java.nio},
 * as they are when read (Hadoop's local file system would stat each file and probe for a {@code .crc}
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
   * One listed file: its qualified path, length and modification time (ms), and for S3A the listed status
   * itself (Hadoop 3.3.4's S3A skips its HEAD only for a status of its own class, which carries the ETag
   * that its change detection checks on read). Entries travel in the tasks' partitions, which Spark writes
   * with {@code spark.serializer}; Kryo's default serializer cannot build a record (nor a {@code Path}, whose
   * URI keeps its state in transient fields), so Kryo is told to use Java serialization for them.
   */
  @DefaultSerializer(JavaSerializer.class)
  public record Entry(String path, long length, long modificationTime, FileStatus status)
      implements Serializable {}

  private final Broadcast<SerializableConfiguration> conf;
  private final boolean ignoreMissingFiles;

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
      if (e.status() != null && e.length() > 0) {
        try {
          return read(fs.openFile(e.status().getPath()).withFileStatus(e.status()), e.length());
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
