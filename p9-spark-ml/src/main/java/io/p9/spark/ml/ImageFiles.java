package io.p9.spark.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * Reads image files for {@link ImageLoader}: Spark's {@code binaryFile} source, searched recursively, plus
 * one row per <b>zero-byte file</b>, which Spark's file sources skip silently (SPARK-26161). With it every
 * file under the input paths yields a row, so a zero-byte upload shows up as an {@code EMPTY} error instead
 * of disappearing. Hidden files (names starting with {@code _} or {@code .}) are skipped, as Spark does.
 *
 * <p>Columns: {@code path}, {@code modificationTime}, {@code length}, {@code content}. For streaming, use
 * {@code spark.readStream().format("binaryFile")} directly (zero-byte files are not reported there).
 */
public final class ImageFiles {
  private ImageFiles() {}

  /** Every file under {@code paths} (files, folders or globs; any Hadoop file system). */
  public static Dataset<Row> read(SparkSession spark, String... paths) {
    Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(paths);
    List<Row> empty = zeroByteFiles(spark.sparkContext().hadoopConfiguration(), paths);
    if (empty.isEmpty()) {
      return files;
    }
    return files.union(spark.createDataFrame(empty, files.schema()));
  }

  static List<Row> zeroByteFiles(Configuration conf, String... paths) {
    List<Row> rows = new ArrayList<>();
    try {
      for (String p : paths) {
        Path path = new Path(p);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] matches = fs.globStatus(path);
        if (matches == null) {
          continue;
        }
        for (FileStatus m : matches) {
          if (m.isDirectory() && !"file".equals(fs.getScheme())) {
            // object stores: one flat, paginated listing
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
            while (it.hasNext()) {
              LocatedFileStatus f = it.next();
              if (!hiddenBelow(m.getPath(), f.getPath())) {
                addIfEmpty(rows, fs, f);
              }
            }
          } else {
            collect(fs, m, rows);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + String.join(", ", paths), e);
    }
    return rows;
  }

  /** Whether a path element below {@code root} is hidden (starts with _ or .), as Spark skips those. */
  static boolean hiddenBelow(Path root, Path file) {
    for (Path p = file; p != null && !p.equals(root) && p.depth() > root.depth(); p = p.getParent()) {
      String name = p.getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Local file systems: walk with listStatus. listFiles builds LocatedFileStatus objects, which read each
   * file's permissions, and the local file system forks a shell per file to do that.
   */
  private static void collect(FileSystem fs, FileStatus f, List<Row> rows) throws IOException {
    if (!f.isDirectory()) {
      addIfEmpty(rows, fs, f);
      return;
    }
    for (FileStatus child : fs.listStatus(f.getPath())) {
      String name = child.getPath().getName();
      if (!name.startsWith("_") && !name.startsWith(".")) {
        collect(fs, child, rows);
      }
    }
  }

  private static void addIfEmpty(List<Row> rows, FileSystem fs, FileStatus f) {
    if (f.getLen() == 0) {
      rows.add(RowFactory.create(fs.makeQualified(f.getPath()).toString(),
          new Timestamp(f.getModificationTime()), 0L, new byte[0]));
    }
  }
}
