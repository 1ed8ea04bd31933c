package io.p9.spark.ml;

import io.p9.spark.ml.internal.Glob;
import io.p9.spark.ml.internal.ReadFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Reads image files for {@link ImageLoader}: every file under the input paths, searched recursively, as
 * rows of Spark's {@code binaryFile} schema ({@code path}, {@code modificationTime}, {@code length},
 * {@code content}). Hidden files are skipped as Spark skips them (names starting with {@code .}, or with
 * {@code _} unless they hold {@code =}, and {@code hadoop fs -put}'s in-flight {@code ._COPYING_} files):
 * those in the folders read, at any depth, and those a glob matches; a hidden folder that a path or glob
 * names is read. So are dangling symbolic links. Symbolic links are followed, but each real file is read once:
 * a folder or file reached again through a link ({@code in/b -> in/a}, a {@code latest -> ..}) is skipped, and
 * what is reached without a link is read where it is. A {@link Listing} counts what it skipped, each once, with
 * the first paths ({@link Listing#skippedHidden()}, {@link Listing#skippedBookkeeping()},
 * {@link Listing#skippedDangling()}, {@link Listing#skippedDuplicates()}).
 *
 * <p><b>Every file yields a row, zero-byte ones too.</b> Spark's file sources skip those silently
 * (SPARK-26161); here a zero-byte upload shows up as an {@code EMPTY} error in {@link ImageLoader}.
 *
 * <p><b>One listing, one request per file.</b> The driver lists the paths once (object stores: one flat,
 * paginated listing per path, or where that goes past its first 1,000 files, which lie in few folders, a listing
 * per folder, {@value #DEFAULT_LIST_CONCURRENCY} at once ({@link #LIST_CONCURRENCY}), with the same files and
 * skips; {@link #listing} keeps it, to count the files and read them from the same
 * listing) and the tasks open each file with the listed length and time, so S3A makes
 * one GET per image and no HEAD. A task reads up to {@value #DEFAULT_READ_CONCURRENCY} files at once, ahead of its
 * rows ({@link #READ_CONCURRENCY}, {@link #READ_AHEAD_BYTES}), from any file system but the local one, so that
 * the wait of each GET before its first byte does not stall it. The driver keeps per file its name, length, time and on S3A its ETag and
 * version id (what S3A's change detection checks), each folder's path once: about 180 bytes of heap per S3A
 * file (1.8 GB at 10 million), under 10 KB in each task of 128 files. Spark's {@code binaryFile} source lists
 * twice here (its own index, plus the listing that finds zero-byte files), starts a listing job for more than
 * 32 folders, and asks each file's status again before opening it. Rows come in path order, one per file,
 * also where paths or globs overlap (as with Spark's sources; a folder below another input folder is not listed
 * again). {@code spark.sql.files.ignoreMissingFiles} is
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

  /**
   * The Spark conf key of how many files one task reads at once from a file system other than the local one
   * (S3A, HDFS, ...), ahead of the row asked for, on threads shared by the executor's tasks: an integer of at
   * least 1, default {@value #DEFAULT_READ_CONCURRENCY}; 1 reads them one after another in the task's thread.
   * Rows keep their order, and a file that fails fails the task when its row is due. Local files are read one
   * after another in the task's thread whatever it says. Read on the driver when the Dataset is made.
   */
  public static final String READ_CONCURRENCY = "spark.p9.read.concurrency";
  /**
   * {@value #READ_CONCURRENCY}'s default: on S3, where a small GET takes tens of milliseconds, 16 at once keep a task
   * above 300 small images a second, faster than a core runs MobileNetV2.
   */
  public static final int DEFAULT_READ_CONCURRENCY = 16;
  /**
   * The Spark conf key of the most bytes (as listed) of the files that one task has started reading ahead and
   * not yet handed on, in Spark's size format ({@code 64m}, {@code 1g}; a plain number is bytes), default
   * {@value #DEFAULT_READ_AHEAD_BYTES}. A file larger than that is still read, alone.
   */
  public static final String READ_AHEAD_BYTES = "spark.p9.read.aheadBytes";
  /** {@value #READ_AHEAD_BYTES}'s default. */
  public static final String DEFAULT_READ_AHEAD_BYTES = "64m";

  /**
   * The Spark conf key of how many folder listings the driver runs at once when it lists a large folder on a file
   * system other than the local one (S3A, HDFS, ...): an integer of at least 1, default
   * {@value #DEFAULT_LIST_CONCURRENCY}; 1 lists each input folder with one flat listing. The files listed, and what
   * the listing skips, are the same whatever it says. Read when {@link #listing} lists.
   */
  public static final String LIST_CONCURRENCY = "spark.p9.list.concurrency";
  /**
   * {@value #LIST_CONCURRENCY}'s default: on S3, where a LIST page of 1,000 keys takes about 100 ms, 16 at once list
   * a collection of millions of images in seconds rather than minutes.
   */
  public static final int DEFAULT_LIST_CONCURRENCY = 16;

  /** The columns, as Spark's {@code binaryFile} source has them (file sources make every column nullable). */
  public static final StructType SCHEMA = new StructType()
      .add("path", DataTypes.StringType, true)
      .add("modificationTime", DataTypes.TimestampType, true)
      .add("length", DataTypes.LongType, true)
      .add("content", DataTypes.BinaryType, true);

  /** The characters that make a Hadoop path a glob. */
  private static final Pattern GLOB_CHARACTERS = Pattern.compile("[*?\\[\\]{}\\\\]");

  /** The names of {@link #bookkeeping(String)}. */
  private static final Pattern BOOKKEEPING = Pattern.compile(
      "_SUCCESS|_temporary|_spark_metadata|_metadata|_common_metadata|_started_.*|_committed_.*|__magic.*"
      + "|\\..*\\.crc|.*\\._COPYING_");

  private ImageFiles() {}

  /**
   * Checks the settings in {@code spark}'s conf that {@link #listing} and {@link #read} read,
   * {@value #LIST_CONCURRENCY}, {@value #READ_CONCURRENCY} and {@value #READ_AHEAD_BYTES}, as they check them: an
   * application can refuse a bad value before it starts any work.
   *
   * @param spark the session whose conf holds them
   * @throws IllegalArgumentException naming the first key whose value {@link #listing} or {@link #read} refuses,
   *     and the value
   */
  public static void checkSettings(SparkSession spark) {
    listConcurrency(spark);
    readConcurrency(spark);
    readAheadBytes(spark);
  }

  /** {@value #READ_CONCURRENCY} in {@code spark}'s conf, checked. */
  static int readConcurrency(SparkSession spark) {
    return atLeastOne(spark, READ_CONCURRENCY, DEFAULT_READ_CONCURRENCY);
  }

  /** {@value #LIST_CONCURRENCY} in {@code spark}'s conf, checked. */
  static int listConcurrency(SparkSession spark) {
    return atLeastOne(spark, LIST_CONCURRENCY, DEFAULT_LIST_CONCURRENCY);
  }

  /** The integer of at least 1 that {@code key} holds in {@code spark}'s conf, {@code otherwise} if none. */
  private static int atLeastOne(SparkSession spark, String key, int otherwise) {
    String value = spark.conf().get(key, String.valueOf(otherwise)).trim();
    try {
      int n = Integer.parseInt(value);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(key + " must be an integer of at least 1: " + value);
  }

  /** {@value #READ_AHEAD_BYTES} in {@code spark}'s conf, checked. */
  static long readAheadBytes(SparkSession spark) {
    String value = spark.conf().get(READ_AHEAD_BYTES, DEFAULT_READ_AHEAD_BYTES).trim();
    try {
      long n = JavaUtils.byteStringAsBytes(value);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(READ_AHEAD_BYTES + " must be a size of at least 1 byte (e.g. 64m): " + value);
  }

  /**
   * Every file under {@code paths} (files, folders or globs; any Hadoop file system). A path that does not
   * exist, or a glob that matches nothing, fails here on the driver with an {@link UncheckedIOException}
   * whose cause is a {@link FileNotFoundException} naming it ({@code Path does not exist: ...}), as Spark's
   * {@code binaryFile} source does; an existing empty folder gives no rows; {@code s3a://bucket} is the
   * bucket's root. A path that exists as written is read as it is, also where its name holds glob characters
   * (a folder {@code Trip [2024]}; Spark's sources take it as a glob, which matches {@code Trip 2}); only a path
   * that does not exist is a glob, matched as Hadoop's glob matches it ({@code {a,b}}, {@code [abc]}, {@code ?},
   * {@code *}, hidden names too), also through names holding a ':' ({@code col:on}), which Hadoop's own glob, and
   * so Spark's sources, cannot take. A relative path whose first name holds a ':' fails here, as Hadoop reads it
   * as a URI scheme. Lists now, reads when the rows are computed; {@code listing(spark, paths).read()}.
   *
   * @param spark the session whose Hadoop configuration reaches the file systems
   * @param paths files, folders or globs
   * @return one row per file, in {@link #SCHEMA}, about {@value #DEFAULT_FILES_PER_PARTITION} files per task
   * @throws UncheckedIOException if a path does not exist or Hadoop cannot take it as a path, a glob matches
   *     nothing, or the listing fails
   */
  public static Dataset<Row> read(SparkSession spark, String... paths) {
    return listing(spark, paths).read();
  }

  /**
   * As {@link #read(SparkSession, String...)}, with about {@code filesPerPartition} files per task; missing
   * paths fail the same way. {@code listing(spark, paths).read(filesPerPartition)}.
   *
   * @param spark the session whose Hadoop configuration reaches the file systems
   * @param filesPerPartition files per task; {@code <= 0} for Spark's {@code binaryFile} source and its split
   * @param paths files, folders or globs
   * @return one row per file, in {@link #SCHEMA}
   * @throws UncheckedIOException if a path does not exist or Hadoop cannot take it as a path, a glob matches
   *     nothing, or the listing fails
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
   *
   * @param spark the session whose Hadoop configuration reaches the file systems
   * @param paths files, folders or globs
   * @return the number of files listed
   * @throws UncheckedIOException if a path does not exist or Hadoop cannot take it as a path, a glob matches
   *     nothing, or the listing fails
   */
  public static long count(SparkSession spark, String... paths) {
    return listing(spark, paths).size();
  }

  /**
   * Lists {@code paths} now, on the driver, once: the files that {@link Listing#read()} then reads and
   * {@link Listing#size()} counts, so that a job which needs both (a progress total) does not list twice (on
   * S3, a second paginated LIST of the whole prefix, which may also see other objects). Missing paths fail
   * here, as in {@link #read(SparkSession, String...)}.
   *
   * @param spark the session whose Hadoop configuration reaches the file systems, and that reads the files
   * @param paths files, folders or globs
   * @return the listed files, in path order
   * @throws UncheckedIOException if a path does not exist or Hadoop cannot take it as a path, a glob matches
   *     nothing, or the listing fails
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
    Skips skips = new Skips();
    ArrayList<ReadFiles.Entry> files = list(spark.sparkContext().hadoopConfiguration(), skips,
        listConcurrency(spark), RemoteListing.SAMPLE, roots);
    files.sort(null);
    return new Listing(spark, roots, Collections.unmodifiableList(files), skips);
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
   * {@code spark.sql.files.ignoreMissingFiles} is set (then they give no row). Exception:
   * {@code read(filesPerPartition <= 0)} reads with Spark's {@code binaryFile} source, which lists the paths again
   * itself; only its zero-byte files come from this listing. A driver-side value: it holds the session it was
   * listed with and is not serializable.
   */
  public static final class Listing {
    private final SparkSession spark;
    private final String[] paths;
    private final List<ReadFiles.Entry> files;
    private final Skipped hidden;
    private final Skipped bookkeeping;
    private final Skipped dangling;
    private final Skipped duplicates;
    private final Skipped unreadableNames;

    private Listing(SparkSession spark, String[] paths, List<ReadFiles.Entry> files, Skips skips) {
      this.spark = spark;
      this.paths = paths;
      this.files = files;
      this.hidden = skips.hidden.skipped();
      this.bookkeeping = skips.bookkeeping.skipped();
      this.dangling = skips.dangling.skipped();
      this.duplicates = skips.duplicates.skipped();
      this.unreadableNames = skips.unreadableNames.skipped();
    }

    /** {@return the number of files listed: the rows {@link #read()} gives, unless files vanish before the read} */
    public int size() {
      return files.size();
    }

    /** {@return the listed files, about {@value ImageFiles#DEFAULT_FILES_PER_PARTITION} per task, in path order} */
    public Dataset<Row> read() {
      return read(DEFAULT_FILES_PER_PARTITION);
    }

    /**
     * The listed files, about {@code filesPerPartition} per task, in path order; each call gives a new
     * Dataset of the same files. {@code filesPerPartition <= 0}: Spark's {@code binaryFile} source over the
     * listed paths (its own listing and split, each path a glob), plus the zero-byte files of this listing; a glob
     * that has to look at a name with a ':' fails here, on the driver, as Hadoop's glob, which Spark's source uses,
     * cannot take such a name (such names under a listed folder are read).
     *
     * @param filesPerPartition files per task; {@code <= 0} for Spark's {@code binaryFile} source and its split
     * @return one row per file, in {@link #SCHEMA}
     * @throws UncheckedIOException if {@code filesPerPartition <= 0} and Hadoop's glob cannot take a name
     */
    public Dataset<Row> read(int filesPerPartition) {
      SparkContext sc = spark.sparkContext();
      if (filesPerPartition <= 0) {
        Dataset<Row> read = binaryFile();
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
          .mapPartitions(new ReadFiles(conf, ignoreMissing, readConcurrency(spark), readAheadBytes(spark))), SCHEMA);
    }

    /**
     * Spark's {@code binaryFile} source over the paths. It globs them with Hadoop's glob, which fails, on the
     * driver, on a name with a ':' that it looks at: that failure names the paths and what to do.
     */
    private Dataset<Row> binaryFile() {
      try {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(paths);
      } catch (IllegalArgumentException e) {
        if (!(e.getCause() instanceof URISyntaxException)) {
          throw e;
        }
        throw notAPath("cannot read " + String.join(", ", paths) + " with Spark's binaryFile source"
            + " (filesPerPartition <= 0)", e, "by Hadoop's glob, which that source uses: read with"
            + " filesPerPartition > 0, whose listing takes such names, or rename it");
      }
    }

    /**
     * {@return the hidden files and folders the listing skipped, as Spark's file sources skip them, but for Spark's
     * and Hadoop's bookkeeping ({@link #skippedBookkeeping()})} Hidden names start with {@code .}, or with
     * {@code _} without {@code =}, such as a camera's {@code _DSC0001.JPG} or a {@code .DS_Store}. A hidden folder
     * below a listed path counts as one (its files are not looked at), and so does a hidden file or folder a glob
     * names. Rename them to read them.
     */
    public Skipped skippedHidden() {
      return hidden;
    }

    /**
     * {@return the hidden names that are Spark's and Hadoop's bookkeeping ({@link #bookkeeping(String)}), skipped as
     * the others and counted apart} For example {@code _SUCCESS}, {@code _temporary}, a checksum file {@code .x.crc}.
     */
    public Skipped skippedBookkeeping() {
      return bookkeeping;
    }

    /**
     * {@return the entries a folder lists that are neither file nor folder when looked at} These are dangling
     * symbolic links (and files deleted while their folder was listed, which look the same). Spark's file sources
     * skip them too. Only the local file system's walk sees them.
     */
    public Skipped skippedDangling() {
      return dangling;
    }

    /**
     * {@return the folders and files the listing reached again through a symbolic link} They are skipped so as to
     * read each real file once: a link to a folder it reads anyway ({@code in/b -> in/a}, a {@code latest -> ..}),
     * a second link to a folder or file elsewhere, a link to a file it reads anyway. A folder counts once. Spark's
     * file sources read such files once per path. Only the local file system's walk sees links;
     * {@link #read(int) read(0)} is Spark's listing, which reads them again.
     */
    public Skipped skippedDuplicates() {
      return duplicates;
    }

    /**
     * {@return the files and folders whose names the JVM cannot read: bytes not valid in its file-name encoding}
     * That encoding ({@code sun.jnu.encoding}) comes from the locale the JVM started in: under a UTF-8 locale, a
     * name written in another encoding (an ISO-8859-1 {@code caf\u00e9.jpg} from an old archive); under the C or
     * POSIX locale (ASCII; a container's default where {@code LANG} is not set), every name outside ASCII. The JVM
     * decodes such a name to a string that leads to no file, and Hadoop's paths are strings, so neither p9 nor
     * Spark's file sources can open it: Spark's skip it without a word. A folder counts as one. The paths given
     * hold the decoded names ({@code U+FFFD} for each byte it could not decode). Start the JVM in a UTF-8 locale
     * ({@code LANG=C.UTF-8}), or rename them to UTF-8 (e.g. with {@code convmv}). Only the local file system's walk
     * sees them.
     */
    public Skipped skippedUnreadableNames() {
      return unreadableNames;
    }

    @Override
    public String toString() {
      return "ImageFiles.Listing[" + files.size() + " files under " + String.join(", ", paths) + "]";
    }
  }

  /**
   * What a {@link Listing} skipped, of one kind: how many files or folders, and the qualified paths of the first
   * {@value #MAX_EXAMPLES} in path order (a listing of millions keeps no more). What several paths or globs lead to
   * is counted once.
   *
   * @param count how many files or folders were skipped
   * @param examples the qualified paths of the first of them, in path order
   */
  public record Skipped(long count, List<String> examples) {
    /** The most paths a {@code Skipped} keeps. */
    public static final int MAX_EXAMPLES = 5;

    /** None. */
    public static final Skipped NONE = new Skipped(0, List.of());
  }

  /** A {@link Skipped} being counted: the count and the first {@link Skipped#MAX_EXAMPLES} paths. */
  private static final class Counter {
    private final TreeSet<String> first = new TreeSet<>();
    private long count;

    void add(String path) {
      count++;
      first.add(path);
      if (first.size() > Skipped.MAX_EXAMPLES) {
        first.pollLast();
      }
    }

    /** Adds what {@code other} counted, of other paths: the counts add up, the first paths are of both. */
    void add(Counter other) {
      count += other.count;
      first.addAll(other.first);
      while (first.size() > Skipped.MAX_EXAMPLES) {
        first.pollLast();
      }
    }

    Skipped skipped() {
      return count == 0 ? Skipped.NONE : new Skipped(count, List.copyOf(first));
    }
  }

  /** What one listing skips, by kind. */
  static final class Skips {
    private final Counter hidden = new Counter();
    private final Counter bookkeeping = new Counter();
    private final Counter dangling = new Counter();
    private final Counter duplicates = new Counter();
    private final Counter unreadableNames = new Counter();

    /** A {@link #hidden} file or folder, qualified, skipped. */
    void hidden(String path, String name) {
      (bookkeeping(name) ? bookkeeping : hidden).add(path);
    }

    /** A dangling symbolic link, qualified, skipped. */
    void dangling(String path) {
      dangling.add(path);
    }

    /** A folder or file, qualified, skipped as reached again through a symbolic link. */
    void duplicate(String path) {
      duplicates.add(path);
    }

    /** A file or folder, qualified, skipped as its name is not valid in the JVM's file-name encoding. */
    void unreadableName(String path) {
      unreadableNames.add(path);
    }

    /** {@return what was skipped, by kind: hidden, bookkeeping, dangling, duplicates, unreadable names} */
    List<Skipped> kinds() {
      return List.of(hidden.skipped(), bookkeeping.skipped(), dangling.skipped(), duplicates.skipped(),
          unreadableNames.skipped());
    }

    /** Adds what {@code other}, the skips of a listing of other folders, counted. */
    void add(Skips other) {
      hidden.add(other.hidden);
      bookkeeping.add(other.bookkeeping);
      dangling.add(other.dangling);
      duplicates.add(other.duplicates);
      unreadableNames.add(other.unreadableNames);
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
    return list(conf, new Skips(), DEFAULT_LIST_CONCURRENCY, RemoteListing.SAMPLE, paths);
  }

  /**
   * As {@link #list(Configuration, String...)}, counting in {@code skips} what it skips, listing a folder of a file
   * system other than the local one with up to {@code concurrency} listings at once where the first {@code sample}
   * files of its flat listing do not end it ({@link RemoteListing}).
   */
  static ArrayList<ReadFiles.Entry> list(Configuration conf, Skips skips, int concurrency, int sample,
      String... paths) {
    ListedFiles listed = new ListedFiles();
    try (RemoteListing remote = new RemoteListing(concurrency, sample)) {
      LocalWalk local = null;
      TreeMap<Path, Root> roots = roots(conf, paths);
      for (Map.Entry<Path, Root> root : roots.entrySet()) {
        FileSystem fs = root.getValue().fs();
        FileStatus m = root.getValue().status();
        if (covered(roots, root.getKey(), m.isDirectory())) {
          continue;
        }
        if (!m.isDirectory() && hidden(m.getPath().getName())) {
          // a hidden file a glob (or the path itself) names: Spark's file sources skip it too; a hidden
          // folder named so is read, as there
          skips.hidden(fs.makeQualified(m.getPath()).toString(), m.getPath().getName());
        } else if ("file".equals(fs.getScheme())) {
          if (local == null) {
            local = new LocalWalk(fs, skips, listed);
          }
          local.root(m);
        } else if (m.isDirectory()) {
          remote.folder(fs, m.getPath(), listed, skips);
        } else {
          listed.add(fs, m);
        }
      }
      if (local != null) {
        local.finish();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + String.join(", ", paths) + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw notAPath(String.join(", ", paths), e);
    }
    return listed.entries();
  }

  /** A file or folder an input path names, and its file system. */
  private record Root(FileSystem fs, FileStatus status) {}

  /**
   * What {@code paths} name, by qualified path, each once. A path or glob that matches nothing fails, as in
   * Spark's file sources (PATH_NOT_FOUND): a typo fails here rather than giving no rows.
   */
  private static TreeMap<Path, Root> roots(Configuration conf, String... paths) throws IOException {
    TreeMap<Path, Root> roots = new TreeMap<>();
    for (String p : paths) {
      Path path = new Path(p);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus[] matches = matches(fs, path);
      if (matches == null || matches.length == 0) {
        throw new FileNotFoundException("Path does not exist: " + fs.makeQualified(path)
            + ("file".equals(fs.getScheme()) ? LocalWalk.encodingHint(p) : ""));
      }
      for (FileStatus m : matches) {
        roots.putIfAbsent(fs.makeQualified(m.getPath()), new Root(fs, m));
      }
    }
    return roots;
  }

  /**
   * Whether the listing of a folder among {@code roots} above {@code path} reads it, or counts it as hidden, as
   * listing it alone would: then it is not listed again, nor counted twice. A hidden folder below that folder,
   * which its listing skips, is listed itself.
   */
  private static boolean covered(TreeMap<Path, Root> roots, Path path, boolean folder) {
    for (Path above = path.getParent(); above != null; above = above.getParent()) {
      Root root = roots.get(above);
      if (root != null && root.status().isDirectory()) {
        Path hidden = hiddenPart(above, path);
        return hidden == null || hidden.equals(path) && !folder;
      }
    }
    return false;
  }

  /**
   * Hadoop's failure to make a {@code Path} of a name, as a failure of {@code what}: a name with a ':' is read as
   * a URI scheme where it stands alone (a relative path's first name, a name Hadoop's glob looks at).
   */
  private static UncheckedIOException notAPath(String what, IllegalArgumentException e, String advice) {
    String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
    String msg = what + ": Hadoop cannot take a name in it as a path (" + why + "): a name holding ':' is read as"
        + " a URI scheme " + advice;
    return new UncheckedIOException(msg, new IOException(msg, e));
  }

  /** {@link #notAPath(String, IllegalArgumentException, String)} for a listing of {@code paths}. */
  private static UncheckedIOException notAPath(String paths, IllegalArgumentException e) {
    return notAPath("cannot list " + paths, e, "at the start of a relative path: give it as an absolute path, or"
        + " rename it");
  }

  /**
   * What {@code path} names: the file or folder itself where it exists as written, also when its name holds glob
   * characters (a folder {@code Trip [2024]}, which as a glob would match {@code Trip 2} instead); else the
   * matches of it as a glob, in path order, none (null or empty) where nothing matches. The glob is Hadoop's
   * ({@link FileSystem#globStatus(Path)}), also through names that hold a ':' ({@code /in/*}{@code /*.jpg} over a
   * folder {@code col:on}), where Hadoop's own fails ({@link Glob}).
   *
   * @param fs the file system {@code path} is on
   * @param path a file, folder or glob
   * @return what it names, in path order; null or empty where nothing matches
   * @throws IOException if a status or listing fails, or the glob is not a valid pattern
   */
  public static FileStatus[] matches(FileSystem fs, Path path) throws IOException {
    try {
      return new FileStatus[] {fs.getFileStatus(path)};
    } catch (FileNotFoundException e) {
      // not there as written: a glob, if it is one
    }
    return GLOB_CHARACTERS.matcher(path.toUri().getPath()).find() ? Glob.matches(fs, path) : null;
  }

  /**
   * The topmost path element below {@code root} that is {@link #hidden} ({@code file} itself or a folder it is
   * in), as Spark skips those; null if none is.
   */
  static Path hiddenPart(Path root, Path file) {
    Path hidden = null;
    for (Path p = file; p != null && !p.equals(root) && p.depth() > root.depth(); p = p.getParent()) {
      if (hidden(p.getName())) {
        hidden = p;
      }
    }
    return hidden;
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
   * Whether a {@link #hidden} name is Spark's or Hadoop's bookkeeping, not a file someone meant to read: a job's
   * {@code _SUCCESS} marker, {@code _temporary} folder, {@code _started_*} and {@code _committed_*} files
   * (Databricks' commit protocol), streaming {@code _spark_metadata}, Parquet's {@code _metadata} and
   * {@code _common_metadata}, S3A's {@code __magic*} folders, checksum files {@code .x.crc}, and files still being
   * copied ({@code x._COPYING_}).
   */
  static boolean bookkeeping(String name) {
    return BOOKKEEPING.matcher(name).matches();
  }
}
