package io.p9.spark.ml.internal;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Whole-file reads and writes on any Hadoop file system (file:, hdfs:, s3a:), plus {@code classpath:}. */
public final class HadoopFiles {
  /** The prefix of a location that names a class path resource. */
  public static final String CLASSPATH = "classpath:";

  private HadoopFiles() {}

  /**
   * {@return the content of {@code location}: a {@code classpath:} resource or any Hadoop path/URI}
   *
   * @param location a local path, a Hadoop URI or {@code classpath:resource}
   * @param conf the Hadoop conf of the file system
   * @throws UncheckedIOException naming the location if it cannot be read (a {@link FileNotFoundException}
   *     cause for a missing class path resource)
   */
  public static byte[] read(String location, Configuration conf) {
    if (location.startsWith(CLASSPATH)) {
      String res = location.substring(CLASSPATH.length()).replaceFirst("^/+", "");
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      try (InputStream in = (cl != null ? cl : HadoopFiles.class.getClassLoader()).getResourceAsStream(res)) {
        if (in == null) {
          throw new UncheckedIOException("cannot read " + location + ": no class path resource " + res,
              new FileNotFoundException("no class path resource " + res));
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + location, e);
      }
    }
    Path p = new Path(location);
    try {
      FileSystem fs = p.getFileSystem(conf);
      long len = fs.getFileStatus(p).getLen();
      if (len > Integer.MAX_VALUE - 16) {
        throw new IOException(location + " is " + len + " bytes, over 2 GiB");
      }
      byte[] b = new byte[(int) len];
      try (FSDataInputStream in = fs.open(p)) {
        in.readFully(0, b);
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * The content of {@code location}, or null if there is nothing there. Only "not found" means null: a
   * directory, a file that cannot be read or any other I/O failure throws, naming the location and the
   * reason, so that a caller never takes a file it could not read for a missing one.
   *
   * @param location a local path, a Hadoop URI or {@code classpath:resource}
   * @param conf the Hadoop conf of the file system
   * @return the content, or null
   * @throws UncheckedIOException naming the location if it is there but cannot be read
   */
  public static byte[] readIfExists(String location, Configuration conf) {
    if (location.startsWith(CLASSPATH)) {
      try {
        return read(location, conf);
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof FileNotFoundException) {
          return null;
        }
        throw e;
      }
    }
    Path p = new Path(location);
    FileStatus st;
    try {
      st = p.getFileSystem(conf).getFileStatus(p);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + location + ": " + e.getMessage(), e);
    }
    if (st.isDirectory()) {
      throw new UncheckedIOException("cannot read " + location + ": it is a directory, not a file",
          new IOException(location + " is a directory"));
    }
    // it exists: a failure from here on (Hadoop's local file system reports a file it may not open as
    // FileNotFoundException) is an error, not an absent file
    return read(location, conf);
  }

  /**
   * Writes {@code content} to {@code location}, replacing a file there.
   *
   * @param location a local path or Hadoop URI
   * @param content the bytes
   * @param conf the Hadoop conf of the file system
   * @throws UncheckedIOException naming the location if it cannot be written
   */
  public static void write(String location, byte[] content, Configuration conf) {
    Path p = new Path(location);
    try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * A cheap identity of the file's current content: length and modification time (one metadata call, no
   * read); {@code absent} if it does not exist. Class path resources cannot change in a running JVM: theirs is
   * the location itself.
   *
   * @param location a local path, a Hadoop URI or {@code classpath:resource}
   * @param conf the Hadoop conf of the file system
   * @return {@code length@modificationTime}, {@code absent} or the location
   * @throws UncheckedIOException naming the location if its status cannot be read
   */
  public static String stamp(String location, Configuration conf) {
    if (location.startsWith(CLASSPATH)) {
      return location;
    }
    Path p = new Path(location);
    try {
      FileStatus st = p.getFileSystem(conf).getFileStatus(p);
      return st.getLen() + "@" + st.getModificationTime();
    } catch (FileNotFoundException e) {
      return "absent";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + location + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@return the fully qualified form of {@code location} (scheme and authority added), for messages and params}
   * A {@code classpath:} location is returned as it is.
   *
   * @param location a local path, a Hadoop URI or {@code classpath:resource}
   * @param conf the Hadoop conf of the file system
   */
  public static String qualify(String location, Configuration conf) {
    if (location.startsWith(CLASSPATH)) {
      return location;
    }
    Path p = new Path(location);
    try {
      return p.getFileSystem(conf).makeQualified(p).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + location, e);
    }
  }

  /**
   * {@return the last path element of {@code location} (after its last {@code /} or {@code :})}
   *
   * @param location a path, URI or {@code classpath:resource}
   */
  public static String fileName(String location) {
    String s = location.endsWith("/") ? location.substring(0, location.length() - 1) : location;
    int i = Math.max(s.lastIndexOf('/'), s.lastIndexOf(':'));
    return s.substring(i + 1);
  }
}
