package io.p9.spark.ml.internal;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * S3A's own file status, which S3A's {@code openFile(...).withFileStatus} needs to skip its HEAD request (Hadoop
 * 3.3.4 takes no other class): what a listing keeps of it (the ETag and version id its change detection checks)
 * and the status rebuilt from those on the executor, so that the driver holds and the tasks carry a few strings
 * per file rather than the listed status (its {@code Path}, permission, owner, group and block locations).
 * p9-spark-ml does not depend on hadoop-aws: S3A's class is reached by name, through the file system's class
 * loader, with its constructor {@code (length, modificationTime, path, blockSize, owner, eTag, versionId)},
 * public in Hadoop 3.3.4 and 3.4.x.
 */
public final class S3aStatus {
  private static final String S3A_FILE_STATUS = "org.apache.hadoop.fs.s3a.S3AFileStatus";
  /** Each status class's {@code getVersionId()} (S3A's two have one), or null. */
  private static final ClassValue<Method> VERSION_ID = new ClassValue<>() {
    @Override
    protected Method computeValue(Class<?> type) {
      try {
        return type.getMethod("getVersionId");
      } catch (NoSuchMethodException e) {
        return null;
      }
    }
  };
  /** For each file system class, the constructor of the S3A status class its class loader sees, or null. */
  private static final ClassValue<Constructor<?>> CONSTRUCTOR = new ClassValue<>() {
    @Override
    protected Constructor<?> computeValue(Class<?> fsClass) {
      try {
        return Class.forName(S3A_FILE_STATUS, false, fsClass.getClassLoader()).getConstructor(long.class,
            long.class, Path.class, long.class, String.class, String.class, String.class);
      } catch (ReflectiveOperationException | LinkageError e) {
        return null;
      }
    }
  };

  private S3aStatus() {}

  /**
   * {@return the listed status's ETag, or null where it has none}
   *
   * @param listed a status from a listing
   */
  public static String etag(FileStatus listed) {
    return listed instanceof EtagSource source ? source.getEtag() : null;
  }

  /**
   * {@return the listed status's S3 version id (only versioned buckets have them), or null}
   *
   * @param listed a status from a listing
   */
  public static String versionId(FileStatus listed) {
    Method m = VERSION_ID.get(listed.getClass());
    if (m == null || m.getReturnType() != String.class) {
      return null;
    }
    try {
      return (String) m.invoke(listed);
    } catch (IllegalAccessException | InvocationTargetException e) {
      return null;
    }
  }

  /**
   * S3A's status of the file {@code path} as listed, for {@code fs.openFile(path).withFileStatus}; null where
   * {@code fs}'s class loader has no S3A (the file is then opened without it, with a HEAD).
   *
   * @param fs the file system that opens the file
   * @param path the file
   * @param length its listed length in bytes
   * @param modificationTime its listed modification time (ms)
   * @param etag its listed ETag, or null
   * @param versionId its listed version id, or null
   * @return the status, or null
   */
  public static FileStatus of(FileSystem fs, Path path, long length, long modificationTime, String etag,
      String versionId) {
    Constructor<?> c = CONSTRUCTOR.get(fs.getClass());
    if (c == null) {
      return null;
    }
    try {
      return (FileStatus) c.newInstance(length, modificationTime, path, fs.getDefaultBlockSize(path), null, etag,
          versionId);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}
