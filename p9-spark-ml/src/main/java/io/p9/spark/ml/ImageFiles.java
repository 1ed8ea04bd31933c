package io.p9.spark.ml;

import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.internal.S3aStatus;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads image files for {@link ImageLoader}: every file under the input paths, searched recursively, as
 * rows of Spark's {@code binaryFile} schema ({@code path}, {@code modificationTime}, {@code length},
 * {@code content}). Hidden files are skipped as Spark skips them (names starting with {@code .}, or with
 * {@code _} unless they hold {@code =}, and {@code hadoop fs -put}'s in-flight {@code ._COPYING_} files):
 * those in the folders read, at any depth, and those a glob matches; a hidden folder that a path or glob
 * names is read.
 *
 * <p><b>Every file yields a row, zero-byte ones too.</b> Spark's file sources skip those silently
 * (SPARK-26161); here a zero-byte upload shows up as an {@code EMPTY} error in {@link ImageLoader}.
 *
 * <p><b>One listing, one request per file.</b> The driver lists the paths once (object stores: one flat,
 * paginated listing per path; {@link #listing} keeps it, to count the files and read them from the same
 * listing) and the tasks open each file with the listed length and time, so S3A makes
 * one GET per image and no HEAD. The driver keeps per file its name, length, time and on S3A its ETag and
 * version id (what S3A's change detection checks), each folder's path once: about 180 bytes of heap per S3A
 * file (1.8 GB at 10 million), under 10 KB in each task of 128 files. Spark's {@code binaryFile} source lists
 * twice here (its own index, plus the listing that finds zero-byte files), starts a listing job for more than
 * 32 folders, and asks each file's status again before opening it. Rows come in path order, one per file,
 * also where paths or globs overlap (as with Spark's sources). {@code spark.sql.files.ignoreMissingFiles} is
 * honoured for files deleted between the listing and the read; any other read error fails the task,
 * naming the file. Tasks carry no locality preference: object stores have none; on HDFS,
 * {@code read(spark, 0, paths)} gives Spark's locality-aware {@code binaryFile} scan.
 *
 * <p><b>Partitions are sized for CNN work.</b> An image costs milliseconds of CPU in {@link CnnFeaturizer},
 * so tasks of about {@code filesPerPartition} files (128: about half a second of int8 MobileNetV2 work)
 * keep Spark's per-task work (scheduling, task deserialization, result handling, shuffle files for an
 * aggregate) out of the way; Spark packs small files by bytes, counting each as
 * {@code spark.sql.files.openCostInBytes} (4 MB), which gives about 30 images per task whatever the job.
 * The task count is a multiple of {@code defaultParallelism}, so tasks come in full rounds and the last
 * round does not leave cores idle (with fewer files than cores: one task per file).
 * {@code filesPerPartition <= 0} reads with Spark's {@code binaryFile} source, with its split (plus the
 * zero-byte rows).
 *
 * <p>For streaming, use {@code spark.readStream().format("binaryFile")} directly (zero-byte files are not
 * reported there).
 */
public final class ImageFiles {
  /** Files per task by default: about half a second of int8 MobileNetV2 work per core. */
  public static final int DEFAULT_FILES_PER_PARTITION = 128;

  /** The columns, as Spark's {@code binaryFile} source has them (file sources make every column nullable). */
  public static final StructType SCHEMA = new StructType()
      .add("path", DataTypes.StringType, true)
      .add("modificationTime", DataTypes.TimestampType, true)
      .add("length", DataTypes.LongType, true)
      .add("content", DataTypes.BinaryType, true);

  private static final Logger LOG = LoggerFactory.getLogger(ImageFiles.class);

  /** The characters that make a Hadoop path a glob. */
  private static final Pattern GLOB_CHARACTERS = Pattern.compile("[*?\\[\\]{}\\\\]");

  private ImageFiles() {}

  /**
   * Every file under {@code paths} (files, folders or globs; any Hadoop file system). A path that does not
   * exist, or a glob that matches nothing, fails here on the driver with an {@link UncheckedIOException}
   * whose cause is a {@link FileNotFoundException} naming it ({@code Path does not exist: ...}), as Spark's
   * {@code binaryFile} source does; an existing empty folder gives no rows; {@code s3a://bucket} is the
   * bucket's root. A path that exists as written is read as it is, also where its name holds glob characters
   * (a folder {@code Trip [2024]}; Spark's sources take it as a glob, which matches {@code Trip 2}); only a path
   * that does not exist is a glob. Lists now, reads when the rows are computed;
   * {@code listing(spark, paths).read()}.
   */
  public static Dataset<Row> read(SparkSession spark, String... paths) {
    return listing(spark, paths).read();
  }

  /**
   * As {@link #read(SparkSession, String...)}, with about {@code filesPerPartition} files per task; missing
   * paths fail the same way. {@code listing(spark, paths).read(filesPerPartition)}.
   */
  public static Dataset<Row> read(SparkSession spark, int filesPerPartition, String... paths) {
    return listing(spark, paths).read(filesPerPartition);
  }

  /**
   * How many rows {@link #read(SparkSession, String...)} gives for {@code paths}, without reading any file
   * ({@code read(...).count()} would read every file, a GET per file on S3). This lists the paths again: to
   * read the files and know their number, as for a progress total, list once with
   * {@link #listing(SparkSession, String...)} and take its {@link Listing#size()} and {@link Listing#read()}.
   * Missing paths fail as in {@code read}.
   */
  public static long count(SparkSession spark, String... paths) {
    return listing(spark, paths).size();
  }

  /**
   * Lists {@code paths} now, on the driver, once: the files that {@link Listing#read()} then reads and
   * {@link Listing#size()} counts, so that a job which needs both (a progress total) does not list twice (on
   * S3, a second paginated LIST of the whole prefix, which may also see other objects). Missing paths fail
   * here, as in {@link #read(SparkSession, String...)}.
   */
  public static Listing listing(SparkSession spark, String... paths) {
    String[] roots = new String[paths.length];
    for (int i = 0; i < paths.length; i++) {
      try {
        roots[i] = rooted(paths[i]);
      } catch (IllegalArgumentException e) {
        throw notAPath(paths[i], e);
      }
    }
    ArrayList<ReadFiles.Entry> files = list(spark.sparkContext().hadoopConfiguration(), roots);
    files.sort(null);
    // paths or globs that overlap list a file more than once; Spark's file sources give it one row too. In
    // place: at millions of files, a copy of the list is tens of MB more of the driver's heap
    int kept = 0;
    for (ReadFiles.Entry e : files) {
      if (kept == 0 || files.get(kept - 1).compareTo(e) != 0) {
        files.set(kept++, e);
      }
    }
    files.subList(kept, files.size()).clear();
    files.trimToSize();
    return new Listing(spark, roots, Collections.unmodifiableList(files));
  }

  /**
   * {@code s3a://bucket} (a URI with an authority and no path) as {@code s3a://bucket/}, its root: Hadoop
   * takes the empty path for the working directory ({@code /user/NAME}), so the bucket, though it exists,
   * gave {@code Path does not exist: s3a://bucket} (and Spark's sources {@code path must be absolute}).
   */
  static String rooted(String path) {
    URI u = new Path(path).toUri();
    return u.getScheme() != null && u.getAuthority() != null && u.getPath().isEmpty() ? path + "/" : path;
  }

  /**
   * The files under some paths as listed once by {@link ImageFiles#listing(SparkSession, String...)}: their
   * number, and Datasets that read them. Reading does not list again: files added after the listing are not
   * read, files overwritten after it are read as they are when read (on S3A too, where its change
   * detection, on by default, finds them), files deleted after it fail the read unless
   * {@code spark.sql.files.ignoreMissingFiles} is set (then they give no row). Exception: {@code read(filesPerPartition <= 0)} reads with Spark's
   * {@code binaryFile} source, which lists the paths again itself; only its zero-byte files come from this
   * listing. A driver-side value: it holds the session it was listed with and is not serializable.
   */
  public static final class Listing {
    private final SparkSession spark;
    private final String[] paths;
    private final List<ReadFiles.Entry> files;

    private Listing(SparkSession spark, String[] paths, List<ReadFiles.Entry> files) {
      this.spark = spark;
      this.paths = paths;
      this.files = files;
    }

    /** The number of files listed: the rows {@link #read()} gives, unless files vanish before the read. */
    public int size() {
      return files.size();
    }

    /** The listed files, about {@value ImageFiles#DEFAULT_FILES_PER_PARTITION} per task, in path order. */
    public Dataset<Row> read() {
      return read(DEFAULT_FILES_PER_PARTITION);
    }

    /**
     * The listed files, about {@code filesPerPartition} per task, in path order; each call gives a new
     * Dataset of the same files. {@code filesPerPartition <= 0}: Spark's {@code binaryFile} source over the
     * listed paths (its own listing and split, each path a glob), plus the zero-byte files of this listing.
     */
    public Dataset<Row> read(int filesPerPartition) {
      SparkContext sc = spark.sparkContext();
      if (filesPerPartition <= 0) {
        Dataset<Row> read = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(paths);
        List<Row> empty = files.stream().filter(f -> f.length() == 0)
            .map(f -> RowFactory.create(f.path(), new Timestamp(f.modificationTime()), 0L, new byte[0])).toList();
        return empty.isEmpty() ? read : read.union(spark.createDataFrame(empty, read.schema()));
      }
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
      Broadcast<SerializableConfiguration> conf =
          jsc.broadcast(new SerializableConfiguration(sc.hadoopConfiguration()));
      boolean ignoreMissing = Boolean.parseBoolean(spark.conf().get("spark.sql.files.ignoreMissingFiles", "false"));
      int n = files.size();
      int slices = Math.max(1, Math.min(n, partitions(n, filesPerPartition, sc.defaultParallelism())));
      return spark.createDataFrame(jsc.parallelize(files, slices)
          .mapPartitions(new ReadFiles(conf, ignoreMissing)), SCHEMA);
    }

    @Override
    public String toString() {
      return "ImageFiles.Listing[" + files.size() + " files under " + String.join(", ", paths) + "]";
    }
  }

  /** The task count for {@code files} files: a multiple of {@code parallelism}, at least 1 x. */
  static int partitions(long files, int filesPerPartition, int parallelism) {
    int cores = Math.max(1, parallelism);
    long rounds = Math.max(1, (files + (long) cores * filesPerPartition - 1) / ((long) cores * filesPerPartition));
    return (int) Math.min(Integer.MAX_VALUE, rounds * cores);
  }

  /** Every visible file under {@code paths}; a path or glob that matches nothing fails. */
  static ArrayList<ReadFiles.Entry> list(Configuration conf, String... paths) {
    ArrayList<ReadFiles.Entry> rows = new ArrayList<>();
    // each folder's path string once, shared by its files' entries
    Map<String, String> folders = new HashMap<>();
    try {
      for (String p : paths) {
        Path path = new Path(p);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] matches = matches(fs, path);
        if (matches == null || matches.length == 0) {
          // as Spark's file sources (PATH_NOT_FOUND): a typo fails here rather than giving no rows
          throw new FileNotFoundException("Path does not exist: " + fs.makeQualified(path));
        }
        for (FileStatus m : matches) {
          if (!m.isDirectory() && hidden(m.getPath().getName())) {
            // a hidden file a glob (or the path itself) names: Spark's file sources skip it too; a hidden
            // folder named so is read, as there
            continue;
          }
          if (m.isDirectory() && !"file".equals(fs.getScheme())) {
            // object stores: one flat, paginated listing
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
            while (it.hasNext()) {
              LocatedFileStatus f = it.next();
              if (!hiddenBelow(m.getPath(), f.getPath())) {
                add(rows, folders, fs, f);
              }
            }
          } else {
            collect(fs, m, rows, folders, new HashSet<>());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + String.join(", ", paths) + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw notAPath(String.join(", ", paths), e);
    }
    return rows;
  }

  /**
   * Hadoop's failure to make a {@code Path} of a name, as a listing failure naming {@code paths}: a name with a
   * ':' is read as a URI scheme where it stands alone (a relative path's first name, a name a glob looks at).
   */
  private static UncheckedIOException notAPath(String paths, IllegalArgumentException e) {
    String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
    String msg = "cannot list " + paths + ": Hadoop cannot take a name in it as a path (" + why + "): a name"
        + " holding ':' is read as a URI scheme; give the folder as an absolute path, not a glob, or rename it";
    return new UncheckedIOException(msg, new IOException(msg, e));
  }

  /**
   * What {@code path} names: the file or folder itself where it exists as written, also when its name holds glob
   * characters (a folder {@code Trip [2024]}, which as a glob would match {@code Trip 2} instead); else the
   * matches of it as a glob, none (null or empty) where nothing matches. A path that exists is not globbed:
   * Hadoop's glob makes a {@code Path} of each name on the way, which fails for a name with a ':'
   * ({@code /in/col:on}).
   */
  public static FileStatus[] matches(FileSystem fs, Path path) throws IOException {
    try {
      return new FileStatus[] {fs.getFileStatus(path)};
    } catch (FileNotFoundException e) {
      // not there as written: a glob, if it is one
    }
    return GLOB_CHARACTERS.matcher(path.toUri().getPath()).find() ? fs.globStatus(path) : null;
  }

  /** Whether a path element below {@code root} is {@link #hidden}, as Spark skips those. */
  static boolean hiddenBelow(Path root, Path file) {
    for (Path p = file; p != null && !p.equals(root) && p.depth() > root.depth(); p = p.getParent()) {
      if (hidden(p.getName())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Spark's file sources' rule: names starting with {@code .}, or with {@code _} unless they hold {@code =}
   * (partition folders such as {@code _k=v}), and files still being copied by {@code hadoop fs -put}
   * ({@code x.jpg._COPYING_}).
   */
  static boolean hidden(String name) {
    return name.startsWith("_") && !name.contains("=") || name.startsWith(".") || name.endsWith("._COPYING_");
  }

  /**
   * Local file systems: walk with listStatus. listFiles builds LocatedFileStatus objects, which read each
   * file's permissions, and the local file system forks a shell per file to do that. The walk follows
   * symbolic links, as Spark's does, but not into a folder it is already in (a link to a folder above it):
   * {@code above} holds the real paths of the folders on the way down.
   */
  private static void collect(FileSystem fs, FileStatus f, List<ReadFiles.Entry> rows, Map<String, String> folders,
      Set<java.nio.file.Path> above) throws IOException {
    if (!f.isDirectory()) {
      add(rows, folders, fs, f);
      return;
    }
    // the decoded path: Path.of(URI) refuses the raw non-ASCII characters that Hadoop's URIs keep ("Bad escape")
    java.nio.file.Path real = java.nio.file.Path.of(fs.makeQualified(f.getPath()).toUri().getPath()).toRealPath();
    if (!above.add(real)) {
      LOG.warn("Skipped {}: it is a link to {}, a folder it is in, whose files are read once", f.getPath(), real);
      return;
    }
    for (FileStatus child : fs.listStatus(f.getPath())) {
      if (!hidden(child.getPath().getName())) {
        collect(fs, child, rows, folders, above);
      }
    }
    above.remove(real);
  }

  /**
   * The file's entry: its qualified path as its folder (shared through {@code folders}) and name, and on S3A
   * the ETag and version id that the executor rebuilds S3A's status from, not the status itself (its
   * {@code Path}, permission, owner, group and block locations: most of a KB per file).
   */
  private static void add(List<ReadFiles.Entry> rows, Map<String, String> folders, FileSystem fs, FileStatus f) {
    String path = fs.makeQualified(f.getPath()).toString();
    int slash = path.lastIndexOf('/') + 1;
    String folder = folders.computeIfAbsent(path.substring(0, slash), k -> k);
    boolean s3a = "s3a".equals(fs.getScheme());
    rows.add(new ReadFiles.Entry(folder, path.substring(slash), f.getLen(), f.getModificationTime(),
        s3a ? S3aStatus.etag(f) : null, s3a ? S3aStatus.versionId(f) : null));
  }
}
