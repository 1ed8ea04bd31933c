package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.LatencyProxy;
import io.p9.aws.testing.S3ProxyServer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.testing.TestSpark;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link ImageFiles}' read-ahead ({@code spark.p9.read.concurrency}, {@code spark.p9.read.aheadBytes}) on
 * {@code s3a://} against S3Proxy behind a {@link LatencyProxy}: each request waits 30 ms for its response, as
 * on S3, and the proxy counts the requests waiting at once. 60 objects (40 Fruits-360 JPEGs, 20 blobs of 0
 * bytes to 2.5 MB), read in a {@code local[2]} session by 2 tasks at a time. The counts are taken over the
 * tasks' reads only, so the bounds need no margin for the driver: the proxy is reset after the listing (which
 * made 3 requests here, at most 2 waiting at once, as measured) and before the job. One file at a time, a task
 * has one request out at most (S3A's stream: one GET a file, a HEAD for a 0-byte one), so 2 tasks 2; reading
 * ahead, a task has up to its concurrency out, so 2 tasks twice that.
 */
class ImageFilesS3ReadAheadIT {
  private static final String BUCKET = "p9-ahead";
  /** A bucket with the JPEGs only, whose S3A file system has a pool of {@value #FEW_CONNECTIONS} connections. */
  private static final String FEW = "p9-ahead-few";
  private static final int FEW_CONNECTIONS = 3;
  private static final Duration LATENCY = Duration.ofMillis(30);
  /** Tasks running at once in {@code local[2]}. */
  private static final int TASKS = 2;

  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static LatencyProxy proxy;
  private static S3Client s3;
  private static SparkSession spark;
  /** What was put under {@code ahead/}: the s3a path of each object and its bytes, in path order. */
  private static final Map<String, byte[]> PUT = new TreeMap<>();

  @BeforeAll
  static void start() throws IOException {
    server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    server.createBucket(BUCKET);
    server.createBucket(FEW);
    s3 = server.setupClient();
    Path local = dir.resolve("images");
    for (Path f : Fixtures.subset(local, 4, 10)) {
      String key = "ahead/" + local.relativize(f).toString().replace('\\', '/');
      put(key, Files.readAllBytes(f));
      s3.putObject(r -> r.bucket(FEW).key(key), RequestBody.fromFile(f));
    }
    List<byte[]> blobs = Fixtures.randomBlobs(7, 0, 1, 7, 100, 1000, 4095, 4096, 10_000, 65_535, 65_536, 65_537,
        100_000, 200_000, 300_000, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000, 0);
    for (int i = 0; i < blobs.size(); i++) {
      put(String.format("ahead/blobs/b%02d.bin", i), blobs.get(i));
    }
    // the test's own requests go to S3Proxy directly; S3A's go through the proxy
    proxy = LatencyProxy.start(server.endpoint(), LATENCY);
    SparkSession.Builder b = TestSpark.loopback("p9-image-files-s3-read-ahead-it", "local[" + TASKS + "]")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.hadoop.fs.s3a.bucket." + FEW + ".connection.maximum", Integer.toString(FEW_CONNECTIONS));
    Fixtures.s3a(proxy.endpoint()).applyToSpark(b::config);
    spark = b.getOrCreate();
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.closeAll(spark, s3, proxy, server);
  }

  @AfterEach
  void unset() {
    spark.conf().unset(ImageFiles.READ_CONCURRENCY);
    spark.conf().unset(ImageFiles.READ_AHEAD_BYTES);
    spark.conf().unset("spark.sql.files.ignoreMissingFiles");
  }

  private static void put(String key, byte[] content) {
    s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromBytes(content));
    if (key.startsWith("ahead/")) {
      PUT.put("s3a://" + BUCKET + "/" + key, content);
    }
  }

  /** The tasks' reads of what {@code path} lists now, after the proxy's counts are reset; the rows as lists. */
  private static List<List<Object>> read(String path) {
    ImageFiles.Listing listing = ImageFiles.listing(spark, path);
    proxy.reset();
    return rows(listing.read().collectAsList());
  }

  /** Each row as {@code [path, modificationTime, length, content]}, the content comparable by its bytes. */
  private static List<List<Object>> rows(List<Row> rows) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(List.of(r.getString(0), r.getTimestamp(1), r.getLong(2), ByteBuffer.wrap((byte[]) r.get(3))));
    }
    return out;
  }

  private static List<Object> paths(List<List<Object>> rows) {
    return rows.stream().map(r -> r.get(0)).toList();
  }

  @Test
  void readAheadGivesTheSameRowsInPathOrderWithUpToConcurrencyRequestsATask() {
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "1");
    List<List<Object>> one = read("s3a://" + BUCKET + "/ahead");
    int oneAtATime = proxy.maxConcurrentRequests();
    long oneRequests = proxy.requests();

    spark.conf().set(ImageFiles.READ_CONCURRENCY, "8");
    List<List<Object>> eight = read("s3a://" + BUCKET + "/ahead");
    int ahead = proxy.maxConcurrentRequests();
    long aheadRequests = proxy.requests();

    // the rows are what was put, in path order, over several tasks
    assertThat(paths(one)).containsExactlyElementsOf(PUT.keySet());
    for (List<Object> r : one) {
      byte[] content = PUT.get((String) r.get(0));
      assertThat(r.get(2)).as((String) r.get(0)).isEqualTo((long) content.length);
      assertThat(r.get(3)).as((String) r.get(0)).isEqualTo(ByteBuffer.wrap(content));
    }
    assertThat(eight).isEqualTo(one);
    // one at a time: one request per task thread; read ahead: more than the two tasks' threads, but at most
    // 8 a task; the same requests either way (a GET per file, a HEAD for each of the two 0-byte files)
    assertThat(oneAtATime).as("requests waiting at once, concurrency 1").isBetween(1, TASKS);
    assertThat(ahead).as("requests waiting at once, concurrency 8").isBetween(TASKS + 1, TASKS * 8);
    assertThat(aheadRequests).isEqualTo(oneRequests);
  }

  /** The JPEGs only: a 0-byte file counts no bytes, so another file may start beside it. */
  @Test
  void aheadBytesBoundsTheFilesATaskReadsAtOnce() {
    String jpegs = "s3a://" + BUCKET + "/ahead/Training/";
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "8");
    spark.conf().set(ImageFiles.READ_AHEAD_BYTES, "1");
    List<List<Object>> rows = read(jpegs);
    assertThat(paths(rows)).hasSize(40)
        .containsExactlyElementsOf(PUT.keySet().stream().filter(p -> p.startsWith(jpegs)).toList());
    // at least one file a task, and no second while the first is not handed on
    assertThat(proxy.maxConcurrentRequests()).isBetween(1, TASKS);

    // these JPEGs have 3,945 to 7,943 bytes: 16 KiB holds 2 to 4 of them
    spark.conf().set(ImageFiles.READ_AHEAD_BYTES, "16k");
    assertThat(read(jpegs)).isEqualTo(rows);
    assertThat(proxy.maxConcurrentRequests()).isBetween(TASKS + 1, TASKS * 4);
  }

  @Test
  void aFileDeletedAfterTheListingGivesNoRowOrFailsTheTaskNamingIt() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String key = String.format("del/f%02d.jpg", i);
      keys.add(key);
      s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromString("content of " + key));
    }
    String gone = "s3a://" + BUCKET + "/del/f11.jpg";
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + BUCKET + "/del");
    s3.deleteObject(x -> x.bucket(BUCKET).key("del/f11.jpg"));
    for (String concurrency : List.of("1", "8")) {
      spark.conf().set(ImageFiles.READ_CONCURRENCY, concurrency);
      spark.conf().set("spark.sql.files.ignoreMissingFiles", "true");
      List<List<Object>> rows = rows(listing.read().collectAsList());
      List<String> kept = keys.stream().filter(k -> !k.equals("del/f11.jpg")).toList();
      assertThat(paths(rows)).as("concurrency " + concurrency)
          .containsExactlyElementsOf(kept.stream().map(k -> "s3a://" + BUCKET + "/" + k).toList());
      for (List<Object> r : rows) {
        String key = ((String) r.get(0)).substring(("s3a://" + BUCKET + "/").length());
        assertThat(r.get(3)).isEqualTo(ByteBuffer.wrap(("content of " + key).getBytes(StandardCharsets.UTF_8)));
      }
      spark.conf().unset("spark.sql.files.ignoreMissingFiles");
      assertThatThrownBy(() -> listing.read().collectAsList()).as("concurrency " + concurrency)
          .hasMessageContaining(gone).hasMessageContaining("deleted after the listing");
    }
  }

  /**
   * A task that ends before its last row ({@code first()}: one row, then up to 7 reads started ahead are
   * cancelled) keeps none of S3A's connections: in a bucket whose pool holds 3, well below 2 tasks x 8 files at
   * once, 10 such reads and then a whole one go through, and no more requests wait at once than the pool holds.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void tasksEndedEarlyLeaveThePoolOfConnectionsUsable() {
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "8");
    String jpegs = "s3a://" + BUCKET + "/ahead/Training/";
    List<String> expected = PUT.keySet().stream().filter(p -> p.startsWith(jpegs))
        .map(p -> p.replace("s3a://" + BUCKET + "/", "s3a://" + FEW + "/")).toList();
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + FEW + "/ahead");
    proxy.reset();
    List<List<Object>> all = rows(listing.read().collectAsList());
    assertThat(paths(all)).containsExactlyElementsOf(expected);
    for (List<Object> r : all) {
      String put = ((String) r.get(0)).replace("s3a://" + FEW + "/", "s3a://" + BUCKET + "/");
      assertThat(r.get(3)).as(put).isEqualTo(ByteBuffer.wrap(PUT.get(put)));
    }
    for (int i = 0; i < 10; i++) {
      assertThat(rows(List.of(listing.read().first()))).containsExactly(all.get(0));
    }
    assertThat(rows(listing.read().collectAsList())).isEqualTo(all);
    assertThat(proxy.maxConcurrentRequests()).isBetween(1, FEW_CONNECTIONS);
  }
}
