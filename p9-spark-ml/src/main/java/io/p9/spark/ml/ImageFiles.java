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
 * <p><b>Partitions are sized for CNN work.</b> Spark packs small files into a task by bytes, counting
 * each file as {@code spark.sql.files.openCostInBytes} (4 MB): about 30 images per task, whatever the job.
 * An image costs milliseconds of CPU in {@link CnnFeaturizer}, so such tasks last a fraction of a second
 * and Spark's per-task work (scheduling, task deserialization, result handling, shuffle files for an
 * aggregate) becomes a visible share of the run. {@code read} therefore coalesces (no shuffle) the scan to
 * about {@code filesPerPartition} files per task, rounded so the task count is a multiple of
 * {@code defaultParallelism} (tasks come in full rounds, so the last round does not leave cores idle), and
 * never below {@code defaultParallelism}. It never adds partitions; the file count comes from the listing that finds
 * the zero-byte files, so it costs no extra request. {@code filesPerPartition <= 0} keeps Spark's split.
 *
 * <p>Columns: {@code path}, {@code modificationTime}, {@code length}, {@code content}. For streaming, use
 * {@code spark.readStream().format("binaryFile")} directly (zero-byte files are not reported there).
 */
public final class ImageFiles {
  /** Files per task by default: about half a second of int8 MobileNetV2 work per core. */
  public static final int DEFAULT_FILES_PER_PARTITION = 128;

  private ImageFiles() {}

  /** Every file under {@code paths} (files, folders or globs; any Hadoop file system). */
  public static Dataset<Row> read(SparkSession spark, String... paths) {
    return read(spark, DEFAULT_FILES_PER_PARTITION, paths);
  }

  /** As {@link #read(SparkSession, String...)}, with about {@code filesPerPartition} files per task. */
  public static Dataset<Row> read(SparkSession spark, int filesPerPartition, String... paths) {
    Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(paths);
    Listing listing = list(spark.sparkContext().hadoopConfiguration(), paths);
    if (!listing.empty.isEmpty()) {
      files = files.union(spark.createDataFrame(listing.empty, files.schema()));
    }
    if (filesPerPartition <= 0) {
      return files;
    }
    return files.coalesce(partitions(listing.files, filesPerPartition,
        spark.sparkContext().defaultParallelism()));
  }

  /** The task count for {@code files} files: a multiple of {@code parallelism}, at least 1 x. */
  static int partitions(long files, int filesPerPartition, int parallelism) {
    int cores = Math.max(1, parallelism);
    long rounds = Math.max(1, (files + (long) cores * filesPerPartition - 1) / ((long) cores * filesPerPartition));
    return (int) Math.min(Integer.MAX_VALUE, rounds * cores);
  }

  /** What a listing found: how many visible files, and a row for each zero-byte one. */
  static final class Listing {
    long files;
    final List<Row> empty = new ArrayList<>();
  }

  static Listing list(Configuration conf, String... paths) {
    Listing rows = new Listing();
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
  private static void collect(FileSystem fs, FileStatus f, Listing rows) throws IOException {
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

  private static void addIfEmpty(Listing rows, FileSystem fs, FileStatus f) {
    rows.files++;
    if (f.getLen() == 0) {
      rows.empty.add(RowFactory.create(fs.makeQualified(f.getPath()).toString(),
          new Timestamp(f.getModificationTime()), 0L, new byte[0]));
    }
  }
}
