package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.S3ProxyServer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.P9KryoRegistrator;
import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.testing.TestSpark;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.statistics.IOStatisticsSource;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SizeEstimator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.reflect.ClassTag$;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link ImageFiles} on {@code s3a://} against a real S3-protocol server (S3Proxy on 127.0.0.1): listings
 * longer than one LIST page, a tree listed a folder at a time, folder markers, odd key names, files changed
 * between the listing and the read, and the rows compared with Spark's own {@code binaryFile} source.
 */
class ImageFilesS3IT {
  private static final String BUCKET = "p9-io";
  private static final int MANY = 1005;

  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static S3Client s3;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    server.createBucket(BUCKET);
    s3 = server.setupClient();
    // keys put in parallel: 1005 sequential PUTs on two cores take a while
    IntStream.range(0, MANY).parallel().forEach(i -> put(String.format("many/f%04d.jpg", i), "x" + i));
    SparkSession.Builder b = TestSpark.loopback("p9-image-files-s3-it", "local[2]")
        .config("spark.sql.shuffle.partitions", "4")
        // LIST pages of 100 keys: the 1005 files take 11 pages (S3 itself gives at most 1000 a page)
        .config("spark.hadoop.fs.s3a.paging.maximum", "100");
    Fixtures.s3a(server).applyToSpark(b::config);
    spark = b.getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static void put(String key, String content) {
    s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromString(content, StandardCharsets.UTF_8));
  }

  private static List<String> rows(Dataset<Row> d) {
    return d.collectAsList().stream().map(r -> r.getString(0) + "|" + r.getLong(2) + "|"
        + new String((byte[]) r.get(3), StandardCharsets.UTF_8)).collect(Collectors.toList());
  }

  @Test
  void aListingLongerThanOneListPageGivesEachFileOnce() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < MANY; i++) {
      String c = "x" + i;
      expected.add("s3a://" + BUCKET + String.format("/many/f%04d.jpg", i) + "|" + c.length() + "|" + c);
    }
    assertThat(ImageFiles.count(spark, "s3a://" + BUCKET + "/many")).isEqualTo(MANY);
    assertThat(rows(ImageFiles.read(spark, "s3a://" + BUCKET + "/many"))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, 1, "s3a://" + BUCKET + "/many/"))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, 5000, "s3a://" + BUCKET + "/many/*"))).containsExactlyElementsOf(expected);
    // paths and globs that overlap: each file once
    String[] overlapping = {"s3a://" + BUCKET + "/many", "s3a://" + BUCKET + "/many/f0001.jpg",
        "s3a://" + BUCKET + "/man*", "s3a://" + BUCKET + "/many/"};
    assertThat(ImageFiles.count(spark, overlapping)).isEqualTo(MANY);
    assertThat(rows(ImageFiles.read(spark, 64, overlapping))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, 0, "s3a://" + BUCKET + "/many")))
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  /**
   * S3A's flat listing skips hidden names below the path as the local walk does, and counts them the same: a
   * hidden folder once, however many files it holds, Spark's own bookkeeping apart; also where paths overlap.
   */
  @Test
  void aFlatListingCountsTheHiddenNamesItSkipsEachOnce() {
    for (String key : List.of("hid/a/x.jpg", "hid/a/_DSC0001.JPG", "hid/.thumbs/1.jpg", "hid/.thumbs/2.jpg",
        "hid/_temporary/0/part-0", "hid/_temporary/0/part-1", "hid/_SUCCESS", "hid/b/.x.jpg", "hid/_k=v/y.jpg")) {
      put(key, "x");
    }
    String root = "s3a://" + BUCKET + "/hid";
    for (String[] paths : new String[][] {{root}, {root, root + "/a", root + "/a/*", root + "/b/.x.jpg"}}) {
      ImageFiles.Listing listing = ImageFiles.listing(spark, paths);
      assertThat(rows(listing.read())).containsExactly(root + "/_k=v/y.jpg|1|x", root + "/a/x.jpg|1|x");
      assertThat(listing.skippedHidden()).isEqualTo(new ImageFiles.Skipped(3,
          List.of(root + "/.thumbs", root + "/a/_DSC0001.JPG", root + "/b/.x.jpg")));
      assertThat(listing.skippedBookkeeping())
          .isEqualTo(new ImageFiles.Skipped(2, List.of(root + "/_SUCCESS", root + "/_temporary")));
      assertThat(listing.skippedDangling()).isEqualTo(ImageFiles.Skipped.NONE);
      assertThat(listing.skippedDuplicates()).isEqualTo(ImageFiles.Skipped.NONE);
    }
  }

  /**
   * A tree past one flat listing's first 1,000 files, which lie in few folders, is listed a folder at a time,
   * several folders at once (S3A's listing with a delimiter level by level, then each folder's own flat listing):
   * the entries (ETags included) and skips are those of the one flat listing ({@code spark.p9.list.concurrency=1}),
   * the paths those of Spark's {@code binaryFile}; hidden folders count once, one holding only a folder marker not
   * at all, as in the flat listing, and a folder whose name sorts before its neighbour's files ({@code Training-x/}
   * before {@code Training/}) changes nothing.
   */
  @Test
  void aTreeListedAFolderAtATimeGivesWhatTheFlatListingGives() throws Exception {
    List<String> keys = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      for (int i = 0; i < 90; i++) {
        keys.add(String.format("tree/Training/c%02d/f%03d.jpg", c, i));
      }
    }
    keys.addAll(List.of("tree/Training/.cache/x.jpg", "tree/Training/.cache/y.jpg", "tree/Training/_temporary/0/p-0",
        "tree/Training/c03/_SUCCESS", "tree/Training/c05/deep/er/y.jpg", "tree/Test/c00/x.jpg", "tree/top.jpg",
        "tree/.DS_Store", "tree/Training-x/z.jpg"));
    keys.parallelStream().forEach(k -> put(k, k));
    for (String marker : List.of("tree/", "tree/Training/_marker/", "tree/Training/empty/", "tree/Training/c07/")) {
      put(marker, "");
    }
    String root = "s3a://" + BUCKET + "/tree";
    FileSystem fs = new org.apache.hadoop.fs.Path(root)
        .getFileSystem(spark.sparkContext().hadoopConfiguration());

    spark.conf().set(ImageFiles.LIST_CONCURRENCY, "1");
    long before = listRequests(fs);
    ImageFiles.Listing flat;
    try {
      flat = ImageFiles.listing(spark, root);
    } finally {
      spark.conf().unset(ImageFiles.LIST_CONCURRENCY);
    }
    long flatLists = listRequests(fs) - before;
    before = listRequests(fs);
    ImageFiles.Listing byFolder = ImageFiles.listing(spark, root);
    long byFolderLists = listRequests(fs) - before;

    assertThat(byFolder.size()).isEqualTo(12 * 90 + 4);
    assertThat(entries(byFolder)).isEqualTo(entries(flat));
    assertThat(byFolder.skippedHidden()).isEqualTo(flat.skippedHidden())
        .isEqualTo(new ImageFiles.Skipped(2, List.of(root + "/.DS_Store", root + "/Training/.cache")));
    assertThat(byFolder.skippedBookkeeping()).isEqualTo(flat.skippedBookkeeping()).isEqualTo(
        new ImageFiles.Skipped(2, List.of(root + "/Training/_temporary", root + "/Training/c03/_SUCCESS")));
    assertThat(byFolder.skippedDangling()).isEqualTo(flat.skippedDangling()).isEqualTo(ImageFiles.Skipped.NONE);
    assertThat(byFolder.skippedDuplicates()).isEqualTo(flat.skippedDuplicates()).isEqualTo(ImageFiles.Skipped.NONE);
    assertThat(entries(byFolder).stream().map(ReadFiles.Entry::path).toList())
        .isSorted().isEqualTo(spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(root)
            .select("path").collectAsList().stream().map(r -> r.getString(0)).sorted().toList());
    // flat: 11 pages of 100 keys; a folder at a time: as many to read the first 1,000 files, then a LIST per folder
    assertThat(byFolderLists).isGreaterThan(flatLists + 12);
  }

  /**
   * The LIST requests {@code fs} has made, from its own IO statistics. Its {@code getStorageStatistics()} are
   * registered JVM-wide under one name: after ImageFilesS3ReadAheadIT's S3A instances in the same JVM, they counted
   * none of this instance's requests (in CI), while its IO statistics counted them all.
   */
  private static long listRequests(FileSystem fs) {
    return ((IOStatisticsSource) fs).getIOStatistics().counters().get("object_list_request");
  }

  /** The listing's entries, in its order. */
  @SuppressWarnings("unchecked")
  private static List<ReadFiles.Entry> entries(ImageFiles.Listing listing) throws ReflectiveOperationException {
    Field files = ImageFiles.Listing.class.getDeclaredField("files");
    files.setAccessible(true);
    return (List<ReadFiles.Entry>) files.get(listing);
  }

  /**
   * What the listing of 1005 S3A files costs: the driver's heap for the listed entries (Spark's
   * {@code SizeEstimator}) and a task's partition of 128 of them under Spark's Java and Kryo serializers. With
   * S3A's whole listed status kept per file: 841 bytes of heap, 339 and 341 serialized; with its ETag and
   * version id only, from which the task rebuilds the status: 179, 77 and 52.
   */
  @Test
  void aListedFileCostsTheDriverAndEachTaskLittle() throws Exception {
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + BUCKET + "/many");
    // the listed entries, without the session the listing holds
    List<?> entries = entries(listing);
    assertThat(entries).hasSize(MANY);
    assertThat(SizeEstimator.estimate(entries) / (double) MANY).isLessThan(256);
    Object[] partition = entries.subList(0, 128).toArray();
    assertThat(bytesPerEntry(new JavaSerializer(new SparkConf(false)), partition)).isLessThan(128);
    assertThat(bytesPerEntry(new KryoSerializer(P9KryoRegistrator.registerKryoClasses(new SparkConf(false))
        .set("spark.kryo.registrationRequired", "true")), partition)).isLessThan(96);
  }

  /** The serialized size of {@code partition} per entry, after checking that it reads back as it was. */
  private static double bytesPerEntry(Serializer serializer, Object[] partition) {
    SerializerInstance s = serializer.newInstance();
    ByteBuffer bytes = s.serialize(partition, ClassTag$.MODULE$.Any());
    int size = bytes.remaining();
    assertThat((Object[]) s.deserialize(bytes, ClassTag$.MODULE$.Any())).containsExactly(partition);
    return size / (double) partition.length;
  }

  @Test
  void folderMarkersAreNoRowsButZeroByteFilesAre() {
    // what the S3 console's "Create folder" leaves: zero-byte keys ending in '/'
    put("mark/", "");
    put("mark/sub/", "");
    put("mark/sub/x.jpg", "xx");
    put("mark/empty/", "");
    put("mark/zero.jpg", "");
    String m = "s3a://" + BUCKET + "/mark";
    List<String> expected = List.of(m + "/sub/x.jpg|2|xx", m + "/zero.jpg|0|");
    assertThat(rows(ImageFiles.read(spark, m))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, 0, m))).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, m + "/empty"))).isEmpty();
  }

  @Test
  void oddKeyNamesGiveTheRowsSparksBinaryFileGivesInPathOrder() {
    List<String> names = List.of("a b.jpg", "a+b.jpg", "a%20b.jpg", "\u00fc\u00df.jpg", "a#b.jpg", "a=b.jpg");
    for (String n : names) {
      put("odd/" + n, n);
    }
    String o = "s3a://" + BUCKET + "/odd";
    put("odd/a?b.jpg", "a?b.jpg");   // '?' is a glob character in a path: read here through the folder
    List<String> ours = rows(ImageFiles.read(spark, o));
    assertThat(ours).hasSize(names.size() + 1).isSorted()
        .containsExactlyInAnyOrderElementsOf(rows(spark.read().format("binaryFile").load(o)));
    assertThat(rows(ImageFiles.read(spark, o + "/*.jpg"))).isEqualTo(ours);
    for (String n : names) {
      assertThat(rows(ImageFiles.read(spark, o + "/" + n))).as(n).containsExactly(o + "/" + n + "|"
          + n.getBytes(StandardCharsets.UTF_8).length + "|" + n);
    }
    Row p9 = ImageFiles.read(spark, o + "/a b.jpg").first();
    Row sparks = spark.read().format("binaryFile").load(o + "/a b.jpg").first();
    assertThat(p9.getTimestamp(1)).isEqualTo(sparks.getTimestamp(1));
  }

  /**
   * Keys with a ':' (a camera's or a script's time of day, {@code 12:30:05.jpg}) are read where their folder is
   * listed, they are named, or a glob matches them (Hadoop's glob makes a {@code Path} of each name alone, and
   * takes {@code 12:30:05.jpg} as a URI with a scheme; ImageFiles' does not). Spark's source globs with Hadoop's:
   * {@code read(0)} of such a glob fails on the driver, naming it.
   */
  @Test
  void keysWithAColonAreReadThroughTheirFolderAndAGlob() {
    put("colon/12:30:05.jpg", "t");
    put("colon/a:b/c.jpg", "c");
    String c = "s3a://" + BUCKET + "/colon";
    List<String> expected = List.of(c + "/12:30:05.jpg|1|t", c + "/a:b/c.jpg|1|c");
    assertThat(rows(ImageFiles.read(spark, c))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, c + "/12:30:05.jpg", c + "/a:b/"))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, c + "/*"))).containsExactlyElementsOf(expected);
    assertThat(rows(ImageFiles.read(spark, c + "/*/*.jpg"))).containsExactly(expected.get(1));
    assertThatThrownBy(() -> ImageFiles.read(spark, 0, c + "/*")).isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("cannot read " + c + "/*").hasMessageContaining("filesPerPartition > 0");
  }

  /** {@code s3a://bucket}, without a slash, is the bucket, as {@code s3a://bucket/} is. */
  @Test
  void aBucketWithoutATrailingSlashIsItsRoot() {
    put("root/r.jpg", "r");
    long all = ImageFiles.count(spark, "s3a://" + BUCKET + "/");
    assertThat(all).isGreaterThan(MANY);
    assertThat(ImageFiles.count(spark, "s3a://" + BUCKET)).isEqualTo(all);
    assertThat(ImageFiles.listing(spark, "s3a://" + BUCKET).read(0).filter("path like '%/root/r.jpg'").count())
        .isEqualTo(1);
  }

  @Test
  void aFileOverwrittenAfterTheListingIsReadAsItIsNowAsLocally() {
    put("chg/grows.jpg", "0123456789");
    put("chg/shrinks.jpg", "0123456789");
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + BUCKET + "/chg");
    put("chg/grows.jpg", "0123456789abcdef");
    put("chg/shrinks.jpg", "01234");
    assertThat(rows(listing.read())).containsExactly("s3a://" + BUCKET + "/chg/grows.jpg|16|0123456789abcdef",
        "s3a://" + BUCKET + "/chg/shrinks.jpg|5|01234");
  }

  /** A zero-byte object (a placeholder) uploaded again with content after the listing: S3A sends no GET
   * for a listed length of 0, so it is opened without the listed status. */
  @Test
  void aZeroByteFileOverwrittenAfterTheListingIsReadAsItIsNow() {
    put("late/a.jpg", "");
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + BUCKET + "/late");
    put("late/a.jpg", "arrived");
    assertThat(rows(listing.read())).containsExactly("s3a://" + BUCKET + "/late/a.jpg|7|arrived");
  }

  @Test
  void aFileDeletedAfterTheListingFailsNamingItUnlessMissingFilesAreIgnored() {
    put("del/kept.jpg", "k");
    put("del/gone.jpg", "g");
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + BUCKET + "/del");
    s3.deleteObject(x -> x.bucket(BUCKET).key("del/gone.jpg"));
    assertThatThrownBy(() -> listing.read().collectAsList()).hasStackTraceContaining("del/gone.jpg")
        .hasStackTraceContaining("deleted after the listing");
    spark.conf().set("spark.sql.files.ignoreMissingFiles", "true");
    try {
      assertThat(rows(listing.read())).containsExactly("s3a://" + BUCKET + "/del/kept.jpg|1|k");
    } finally {
      spark.conf().unset("spark.sql.files.ignoreMissingFiles");
    }
  }
}
