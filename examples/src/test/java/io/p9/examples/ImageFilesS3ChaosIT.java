package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.testing.LatencyProxy;
import io.p9.aws.testing.Processes;
import io.p9.aws.testing.S3ProxyServer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.testing.TestSpark;
import io.p9.spark.ml.testing.Threads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.Encoders;
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
 * {@link ImageFiles}' read-ahead on {@code s3a://} against S3Proxy behind a {@link LatencyProxy} that breaks
 * responses as a flaky network and a stalled server do: connections reset part-way through a response, responses
 * that never come. The same 30 objects (20 Fruits-360 JPEGs, 10 blobs of 2,001 bytes to 300 KB) lie in four
 * buckets whose S3A file systems differ in what they retry and how long they wait ({@code fs.s3a.bucket.*}):
 * {@value #RETRIES} retries soon, {@value #ONCE} not at all, {@value #TIMEOUT} gives up on a response after a
 * 1 s socket timeout and retries once, {@value #HANG} waits S3A's default 200 s for a response and holds
 * {@value #HANG_CONNECTIONS} connections, its reads waiting up to 10 min for one. The faults are set after the
 * listing, so they hit the tasks' reads only; the proxy counts them, so that no test passes without its faults.
 * {@code local[2]}: 2 tasks at a time. The listing of {@value #LISTS}' {@value #TREE} objects, more than the flat
 * listing's first page, goes on a folder at a time on {@code p9-listing-} threads; its file system gives up after 2
 * retries.
 */
class ImageFilesS3ChaosIT {
  private static final String RETRIES = "p9-chaos";
  private static final String ONCE = "p9-chaos-once";
  private static final String TIMEOUT = "p9-chaos-timeout";
  private static final String HANG = "p9-chaos-hang";
  /** A bucket of {@value #TREE} small objects in two folders, listed a folder at a time. */
  private static final String LISTS = "p9-chaos-list";
  private static final int TREE = 1100;
  private static final int HANG_CONNECTIONS = 4;
  private static final int TASKS = 2;
  private static final int CONCURRENCY = 8;

  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static LatencyProxy proxy;
  private static S3Client s3;
  private static SparkSession spark;
  /** What was put in each bucket: the key of each object and its bytes, in key order. */
  private static final Map<String, byte[]> PUT = new TreeMap<>();

  @BeforeAll
  static void start() throws IOException {
    server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    s3 = server.setupClient();
    Path local = dir.resolve("images");
    for (Path f : Fixtures.subset(local, 2, 10)) {
      PUT.put("chaos/" + local.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
    }
    List<byte[]> blobs = Fixtures.randomBlobs(11, 2001, 4096, 10_000, 65_535, 65_537, 100_000, 150_000, 200_000,
        250_000, 300_000);
    for (int i = 0; i < blobs.size(); i++) {
      PUT.put(String.format("chaos/blobs/b%02d.bin", i), blobs.get(i));
    }
    for (String bucket : List.of(RETRIES, ONCE, TIMEOUT, HANG)) {
      server.createBucket(bucket);
      PUT.forEach((key, content) -> s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(content)));
    }
    server.createBucket(LISTS);
    IntStream.range(0, TREE).parallel().forEach(i -> s3.putObject(r -> r.bucket(LISTS).key(treeKey(i)),
        RequestBody.fromString("x" + i)));
    proxy = LatencyProxy.start(server.endpoint(), Duration.ofMillis(2));
    SparkSession.Builder b = TestSpark.loopback("p9-image-files-s3-chaos-it", "local[" + TASKS + "]")
        .config("spark.sql.shuffle.partitions", "4");
    bucket(b, RETRIES, "retry.interval", "10ms");
    bucket(b, ONCE, "retry.limit", "0");
    bucket(b, ONCE, "attempts.maximum", "0");
    bucket(b, TIMEOUT, "connection.timeout", "1000");
    bucket(b, TIMEOUT, "retry.limit", "1");
    bucket(b, TIMEOUT, "retry.interval", "10ms");
    bucket(b, TIMEOUT, "attempts.maximum", "0");
    bucket(b, LISTS, "attempts.maximum", "1");
    bucket(b, LISTS, "retry.limit", "2");
    bucket(b, LISTS, "retry.interval", "10ms");
    bucket(b, HANG, "connection.maximum", Integer.toString(HANG_CONNECTIONS));
    // a read waiting for a connection gives up after this (S3A's default: 50 s): only its interrupt ends it sooner
    bucket(b, HANG, "connection.establish.timeout", "600000");
    Fixtures.s3a(proxy.endpoint()).applyToSpark(b::config);
    spark = b.getOrCreate();
  }

  private static void bucket(SparkSession.Builder b, String bucket, String option, String value) {
    b.config("spark.hadoop.fs.s3a.bucket." + bucket + "." + option, value);
  }

  /** The key of the {@code i}th object of {@value #LISTS}: half in {@code tree/Training/a/}, half in {@code b/}. */
  private static String treeKey(int i) {
    return String.format("tree/Training/%s/f%04d.jpg", i % 2 == 0 ? "a" : "b", i);
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.closeAll(spark, s3, proxy, server);
  }

  @AfterEach
  void unset() {
    proxy.cutResponses(0, 0);
    proxy.stallResponses(0);
    spark.conf().unset(ImageFiles.READ_CONCURRENCY);
  }

  /** The listing of the bucket's objects, the proxy's counts reset after it. */
  private static ImageFiles.Listing listing(String bucket) {
    ImageFiles.Listing listing = ImageFiles.listing(spark, "s3a://" + bucket + "/chaos");
    proxy.reset();
    return listing;
  }

  /** Asserts that the rows are the objects put in {@code bucket}, in path order, byte-exact. */
  private static void assertAllRows(String bucket, List<Row> rows) {
    List<String> paths = rows.stream().map(r -> r.getString(0)).toList();
    assertThat(paths).containsExactlyElementsOf(PUT.keySet().stream().map(k -> "s3a://" + bucket + "/" + k)
        .toList());
    for (Row r : rows) {
      byte[] put = PUT.get(r.getString(0).substring(("s3a://" + bucket + "/").length()));
      assertThat(r.getLong(2)).as(r.getString(0)).isEqualTo(put.length);
      assertThat(ByteBuffer.wrap((byte[]) r.get(3))).as(r.getString(0)).isEqualTo(ByteBuffer.wrap(put));
    }
  }

  /** The live threads whose names start with {@code prefix}. */
  private static long threads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
  }

  /**
   * Responses reset in their headers (100 bytes in) and in their bodies (2,000 bytes in, every object is longer):
   * S3A's SDK sends the GET again, or S3A's stream opens it again from where it was; every row comes, in order,
   * byte-exact, one file at a time and 8 at once.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void responsesResetPartWayAreReadAgainIntoEveryRowInOrder() {
    ImageFiles.Listing listing = listing(RETRIES);
    for (long after : new long[] {100, 2000}) {
      for (int concurrency : new int[] {1, CONCURRENCY}) {
        spark.conf().set(ImageFiles.READ_CONCURRENCY, Integer.toString(concurrency));
        proxy.reset();
        proxy.cutResponses(12, after);
        assertAllRows(RETRIES, listing.read().collectAsList());
        assertThat(proxy.faults()).as("cut after %d bytes, concurrency %d", after, concurrency).isEqualTo(12);
      }
    }
  }

  /**
   * With no retries, a reset response fails the task, and the job, naming the file; the file system's
   * connections stay usable: once the network is fine again, the same listing reads every row.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void withoutRetriesAResetFailsTheTaskNamingTheFile() {
    ImageFiles.Listing listing = listing(ONCE);
    for (int concurrency : new int[] {1, CONCURRENCY}) {
      spark.conf().set(ImageFiles.READ_CONCURRENCY, Integer.toString(concurrency));
      proxy.cutResponses(Integer.MAX_VALUE, 2000);
      assertThatThrownBy(() -> listing.read().collectAsList()).as("concurrency %d", concurrency)
          .hasMessageContaining("cannot read s3a://" + ONCE + "/chaos/");
      assertThat(proxy.faults()).isPositive();
      proxy.cutResponses(0, 0);
      assertAllRows(ONCE, listing.read().collectAsList());
    }
  }

  /**
   * A response that never comes: S3A gives up on it after its socket timeout (1 s) and sends the GET again, so a
   * few stalled responses cost time but no row; where every response stalls, the task fails naming the file.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aStalledResponseTimesOutAndIsSentAgainOrFailsTheTaskNamingTheFile() {
    ImageFiles.Listing listing = listing(TIMEOUT);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, Integer.toString(CONCURRENCY));
    proxy.stallResponses(3);
    assertAllRows(TIMEOUT, listing.read().collectAsList());
    assertThat(proxy.faults()).isEqualTo(3);

    proxy.stallResponses(Integer.MAX_VALUE);
    assertThatThrownBy(() -> listing.read().collectAsList())
        .hasMessageContaining("cannot read s3a://" + TIMEOUT + "/chaos/");
    proxy.stallResponses(0);
    assertAllRows(TIMEOUT, listing.read().collectAsList());
  }

  /**
   * Jobs cancelled (a job group, interrupting its tasks) while the server sends no response, S3A waiting its
   * default 200 s for one: each job ends at once. A read blocked in a socket read does not see its interrupt: it
   * holds its thread and its connection until the socket times out. So they pile up across cancelled jobs, but
   * only up to the file system's pool of connections ({@value #HANG_CONNECTIONS} here,
   * {@code fs.s3a.connection.maximum}): the reads waiting for a connection stop on their interrupt (they would
   * wait 10 min for one here, past this test's timeout). After 5 such jobs of 2 tasks reading 8 files at once, the reads still running are at most those
   * connections, and the {@code p9-read-} threads (idle ones kept a while) at most the reads of the tasks at
   * once plus those connections more than before the first job, not 5 jobs' worth.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void jobsCancelledWhileTheServerStallsEndAndLeaveBoundedReadThreads() throws Exception {
    ImageFiles.Listing listing = listing(HANG);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, Integer.toString(CONCURRENCY));
    long before = threads("p9-read-");
    proxy.stallResponses(Integer.MAX_VALUE);
    SparkStatusTracker status = spark.sparkContext().statusTracker();
    for (int i = 0; i < 5; i++) {
      String group = "chaos-hang-" + i;
      CompletableFuture<List<Row>> job = CompletableFuture.supplyAsync(() -> {
        spark.sparkContext().setJobGroup(group, "reads while the server stalls", true);
        try {
          return listing.read().collectAsList();
        } finally {
          spark.sparkContext().clearJobGroup();
        }
      });
      // thread stacks and Spark's status tracker signal nothing: these are checked until a deadline
      Processes.await("job " + i + ": both tasks reading (waiting for a response or for a connection)",
          Duration.ofMinutes(1), null, null, () -> reading() >= TASKS * CONCURRENCY || job.isDone());
      spark.sparkContext().cancelJobGroup(group);
      assertThatThrownBy(job::join).as("job %d", i).hasMessageContaining("cancelled");
      Processes.await("job " + i + ": no task active, reads only on the stalled connections",
          Duration.ofMinutes(1), null, null, () -> activeTasks(status) == 0 && reading() <= HANG_CONNECTIONS);
    }
    assertThat(proxy.waitingRequests()).isEqualTo(HANG_CONNECTIONS);
    assertThat(proxy.faults()).isZero();
    assertThat(threads("p9-read-") - before).isLessThanOrEqualTo(TASKS * CONCURRENCY + HANG_CONNECTIONS);
  }

  /**
   * LIST responses reset part-way while the driver lists a tree a folder at a time: S3A sends them again and the
   * listing has every file; where every LIST is reset, it fails with "cannot list" naming the path. Either way the
   * {@code p9-listing-} threads are gone after it.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void listingsResetPartWayAreSentAgainOrFailTheListingNamingThePath() throws Exception {
    String root = "s3a://" + LISTS + "/tree";
    List<String> all = IntStream.range(0, TREE).mapToObj(i -> "s3a://" + LISTS + "/" + treeKey(i)).sorted()
        .toList();
    for (int cuts = 1; cuts <= 2; cuts++) {
      proxy.reset();
      proxy.cutResponses(cuts, 1000);
      assertThat(ImageFiles.listing(spark, root).read().select("path").as(Encoders.STRING()).collectAsList())
          .as("%d cut", cuts).containsExactlyElementsOf(all);
      assertThat(proxy.faults()).isEqualTo(cuts);
      awaitNoThreads("p9-listing-");
    }
    proxy.cutResponses(Integer.MAX_VALUE, 1000);
    assertThatThrownBy(() -> ImageFiles.listing(spark, root)).hasMessageContaining("cannot list " + root);
    awaitNoThreads("p9-listing-");
  }

  /** Waits until no live thread's name starts with {@code prefix} (a pool shut down ends its threads soon). */
  private static void awaitNoThreads(String prefix) throws InterruptedException {
    assertThat(Threads.awaitEnded(prefix, Duration.ofMinutes(1))).isEmpty();
  }

  /** The threads reading a file ahead of a task's rows now: {@code p9-read-} threads in {@code ReadFiles.read}. */
  private static long reading() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().startsWith("p9-read-"))
        .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(ReadFiles.class.getName())
            && f.getMethodName().equals("read")))
        .count();
  }

  private static int activeTasks(SparkStatusTracker status) {
    int n = 0;
    for (int stage : status.getActiveStageIds()) {
      var info = status.getStageInfo(stage);
      n += info.isDefined() ? info.get().numActiveTasks() : 0;
    }
    return n;
  }
}
