package io.p9.spark.ml;

import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.internal.S3aStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * The entries one listing of {@link ImageFiles} builds: each file's qualified path as its folder and name, each
 * folder's path one string, shared by its files' entries.
 */
final class ListedFiles {
  private final ArrayList<ReadFiles.Entry> entries = new ArrayList<>();
  /** Each folder's qualified path, with the trailing {@code /}, once. */
  private final Map<String, String> folders = new HashMap<>();

  /**
   * Adds the file's entry: its qualified path as its folder and name, and on S3A the ETag and version id that the
   * executor rebuilds S3A's status from, not the status itself (its {@code Path}, permission, owner, group and
   * block locations: most of a KB per file).
   */
  void add(FileSystem fs, FileStatus f) {
    String path = fs.makeQualified(f.getPath()).toString();
    int slash = path.lastIndexOf('/') + 1;
    boolean s3a = "s3a".equals(fs.getScheme());
    entries.add(new ReadFiles.Entry(folder(path.substring(0, slash)), path.substring(slash), f.getLen(),
        f.getModificationTime(), s3a ? S3aStatus.etag(f) : null, s3a ? S3aStatus.versionId(f) : null));
  }

  /**
   * Adds the entry of a file with no ETag (a local one).
   *
   * @param folder its folder's qualified path, with the trailing {@code /}, as {@link #folder(String)} gives it
   * @param name its name
   * @param length its length in bytes
   * @param modificationTime its modification time (ms)
   */
  void add(String folder, String name, long length, long modificationTime) {
    entries.add(new ReadFiles.Entry(folder, name, length, modificationTime, null, null));
  }

  /**
   * Adds the entries {@code other} built, of files in other folders than these, after these: the listing of some
   * folders on another thread.
   */
  void add(ListedFiles other) {
    entries.addAll(other.entries);
    other.folders.forEach(folders::putIfAbsent);
  }

  /** {@return the one string of a folder's qualified path with the trailing {@code /}, equal to {@code path}} */
  String folder(String path) {
    return folders.computeIfAbsent(path, k -> k);
  }

  /** {@return the entries added, in the order added} */
  ArrayList<ReadFiles.Entry> entries() {
    return entries;
  }
}
