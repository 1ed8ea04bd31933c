package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.SlowFileSystem;
import io.p9.spark.ml.testing.TestSpark;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageFiles#READ_CONCURRENCY} and {@link ImageFiles#READ_AHEAD_BYTES}: a task reads the files of a remote
 * file system ahead, several at once, and hands them on in order, each failure at its own row. The remote file
 * system is {@link SlowFileSystem}, the local disk with a wait before each open ({@code ImageFilesS3ReadAheadIT}
 * does the same against a real S3 server).
 */
class ImageFilesReadAheadTest {
  @TempDir Path tmp;
  private final SparkSession spark = TestSpark.get();

  @BeforeEach
  void register() {
    SlowFileSystem.register(spark.sparkContext().hadoopConfiguration());
  }

  @AfterEach
  void unset() {
    spark.conf().unset(ImageFiles.READ_CONCURRENCY);
    spark.conf().unset(ImageFiles.READ_AHEAD_BYTES);
    spark.conf().unset("spark.sql.files.ignoreMissingFiles");
    SlowFileSystem.reset(0, 0);
  }

  @Test
  void readsUpToTheConcurrencyAtOnceAndGivesTheSameRowsInOrder() throws Exception {
    Random random = new Random(42);
    for (int i = 0; i < 40; i++) {
      byte[] bytes = new byte[i == 7 ? 0 : random.nextInt(20_000)];
      random.nextBytes(bytes);
      Files2.write(tmp.resolve("in/" + (char) ('a' + i % 3) + "/f" + i + ".jpg"), bytes);
    }
    String in = SlowFileSystem.path(tmp.resolve("in"));

    // two tasks (local[2]) of 20 files each
    SlowFileSystem.reset(20, 0);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "1");
    List<Row> one = ImageFiles.read(spark, 20, in).collectAsList();
    assertThat(SlowFileSystem.mostWaiting()).isBetween(1, 2);

    SlowFileSystem.reset(20, 0);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "6");
    List<Row> six = ImageFiles.read(spark, 20, in).collectAsList();
    assertThat(SlowFileSystem.mostWaiting()).isBetween(3, 12);

    assertThat(six).hasSize(40);
    List<String> paths = six.stream().map(r -> r.getString(0)).toList();
    assertThat(paths).isSorted().allMatch(p -> p.startsWith("slowfs:" + tmp));
    for (int i = 0; i < 40; i++) {
      Row a = one.get(i);
      Row b = six.get(i);
      assertThat(b.getString(0)).isEqualTo(a.getString(0));
      assertThat(b.getTimestamp(1)).isEqualTo(a.getTimestamp(1));
      assertThat(b.getLong(2)).isEqualTo(a.getLong(2));
      byte[] onDisk = Files.readAllBytes(Path.of(b.getString(0).substring("slowfs:".length())));
      assertThat((byte[]) b.get(3)).isEqualTo(onDisk).isEqualTo((byte[]) a.get(3)).hasSize((int) b.getLong(2));
    }
  }

  @Test
  void aheadBytesBoundsTheReadsAtOnceButALargerFileIsStillRead() {
    for (int i = 0; i < 12; i++) {
      Files2.write(tmp.resolve("in/f" + (10 + i) + ".jpg"), new byte[i == 5 ? 40_000 : 10_000]);
    }
    SlowFileSystem.reset(100, 0);
    List<Row> rows = new ArrayList<>();
    reader(8, 25_000).call(entries(SlowFileSystem.path(tmp.resolve("in")))).forEachRemaining(rows::add);
    assertThat(rows).extracting(r -> r.getLong(2)).containsExactly(10_000L, 10_000L, 10_000L, 10_000L, 10_000L,
        40_000L, 10_000L, 10_000L, 10_000L, 10_000L, 10_000L, 10_000L);
    // two files of 10,000 bytes fit in 25,000, a third does not
    assertThat(SlowFileSystem.mostWaiting()).isEqualTo(2);
  }

  @Test
  void aFileThatFailsFailsAtItsRowAfterTheRowsBeforeIt() {
    for (String name : List.of("a1.jpg", "a2.jpg", "a3.jpg", "fail.jpg", "g1.jpg", "g2.jpg")) {
      Files2.write(tmp.resolve("in/" + name), new byte[] {1, 2, 3});
    }
    String in = SlowFileSystem.path(tmp.resolve("in"));
    SlowFileSystem.reset(10, 0);
    Iterator<Row> rows = reader(4, 1 << 20).call(entries(in));
    List<String> read = new ArrayList<>();
    assertThatThrownBy(() -> rows.forEachRemaining(r -> read.add(r.getString(0))))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessage("cannot read " + in + "/fail.jpg: injected failure");
    assertThat(read).containsExactly(in + "/a1.jpg", in + "/a2.jpg", in + "/a3.jpg");

    spark.conf().set(ImageFiles.READ_CONCURRENCY, "4");
    assertThatThrownBy(() -> ImageFiles.read(spark, in).collectAsList())
        .hasMessageContaining("cannot read " + in + "/fail.jpg: injected failure");
  }

  @Test
  void aFileDeletedAfterTheListingGivesNoRowOrFailsNamingIt() throws Exception {
    for (int i = 0; i < 10; i++) {
      Files2.write(tmp.resolve("in/f" + i + ".jpg"), new byte[] {(byte) i});
    }
    String in = SlowFileSystem.path(tmp.resolve("in"));
    SlowFileSystem.reset(10, 0);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "4");
    ImageFiles.Listing listing = ImageFiles.listing(spark, in);
    Files.delete(tmp.resolve("in/f3.jpg"));
    assertThatThrownBy(() -> listing.read().collectAsList())
        .hasMessageContaining("cannot read " + in + "/f3.jpg: it was deleted after the listing");
    spark.conf().set("spark.sql.files.ignoreMissingFiles", "true");
    assertThat(listing.read().collectAsList()).extracting(r -> ((byte[]) r.get(3))[0])
        .containsExactly((byte) 0, (byte) 1, (byte) 2, (byte) 4, (byte) 5, (byte) 6, (byte) 7, (byte) 8, (byte) 9);
  }

  /**
   * A task that ends before its last row (here a limit) stops the reads it started: without that they would wait
   * out their 60 s, holding threads and bytes.
   */
  @Test
  void aTaskThatEndsEarlyStopsTheReadsItStarted() throws Exception {
    for (String name : List.of("a.jpg", "b.jpg", "slow1.jpg", "slow2.jpg", "slow3.jpg", "slow4.jpg")) {
      Files2.write(tmp.resolve("in/" + name), new byte[] {7});
    }
    // a and b wait 300 ms, long enough for the reads started with them to be waiting too when a's row ends the task
    SlowFileSystem.reset(300, 60_000);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "4");
    List<Row> first = ImageFiles.read(spark, SlowFileSystem.path(tmp.resolve("in"))).limit(1).collectAsList();
    assertThat(first).extracting(r -> r.getString(0)).containsExactly(SlowFileSystem.path(tmp.resolve("in/a.jpg")));
    assertThat(SlowFileSystem.mostWaiting()).isGreaterThan(1);
    SlowFileSystem.awaitWaiting(n -> n == 0, Duration.ofSeconds(20));
    assertThat(SlowFileSystem.waiting()).isZero();
  }

  /** A killed task (here its job is cancelled) stops waiting for a read it started, and stops the others. */
  @Test
  void aKilledTaskStopsWaitingForItsReads() throws Exception {
    for (String name : List.of("a.jpg", "slow1.jpg", "slow2.jpg", "slow3.jpg")) {
      Files2.write(tmp.resolve("in/" + name), new byte[] {7});
    }
    SlowFileSystem.reset(0, 60_000);
    spark.conf().set(ImageFiles.READ_CONCURRENCY, "3");
    Dataset<Row> rows = ImageFiles.read(spark, 4, SlowFileSystem.path(tmp.resolve("in")));
    CompletableFuture<List<Row>> collect = CompletableFuture.supplyAsync(() -> {
      spark.sparkContext().setJobGroup("p9-read-kill", "read-ahead kill test", true);
      return rows.collectAsList();
    });
    SlowFileSystem.awaitWaiting(n -> n >= 2, Duration.ofSeconds(20));
    assertThat(SlowFileSystem.waiting()).isGreaterThanOrEqualTo(2);
    spark.sparkContext().cancelJobGroup("p9-read-kill");
    assertThatThrownBy(() -> collect.get(30, TimeUnit.SECONDS)).hasMessageContaining("cancelled");
    SlowFileSystem.awaitWaiting(n -> n == 0, Duration.ofSeconds(20));
    assertThat(SlowFileSystem.waiting()).isZero();
  }

  /**
   * A file system that opens files on threads of its own, as S3A's {@code openFile} does: reads stopped while their
   * opens go on stop waiting at once, and the streams those opens give later are closed.
   */
  @Test
  void theStreamsOfOpensGoingOnAfterTheirReadsStoppedAreClosed() throws Exception {
    for (String name : List.of("slow1.jpg", "slow2.jpg", "slow3.jpg", "slow4.jpg", "slow5.jpg")) {
      Files2.write(tmp.resolve("in/" + name), new byte[] {7});
    }
    SlowFileSystem.reset(0, 5_000);
    SlowFileSystem.openOnOwnThreads();
    Iterator<Row> rows = reader(4, 1 << 20).call(entries(SlowFileSystem.path(tmp.resolve("in"))));
    CompletableFuture<Thread> taker = new CompletableFuture<>();
    CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> {
      taker.complete(Thread.currentThread());
      return rows.hasNext();
    });
    assertThat(SlowFileSystem.awaitWaiting(n -> n == 4, Duration.ofSeconds(20))).isTrue();
    // as a task killed while it waits for its first row: the four reads stop
    taker.get().interrupt();
    assertThatThrownBy(() -> first.get(20, TimeUnit.SECONDS)).hasRootCauseInstanceOf(InterruptedException.class);
    assertThat(SlowFileSystem.awaitWaiting(n -> n == 0, Duration.ofSeconds(30))).isTrue();
    assertThat(SlowFileSystem.awaitOpenStreams(n -> n == 0, Duration.ofSeconds(30)))
        .as("streams left open: %d", SlowFileSystem.openStreams()).isTrue();
  }

  /** The tasks report what they read as Spark's input metrics, as its file sources do (the UI's "Input"). */
  @Test
  void theTasksReportTheBytesAndFilesTheyReadAsInput() throws Exception {
    long bytes = 0;
    for (int i = 0; i < 9; i++) {
      Files2.write(tmp.resolve("in/f" + i + ".jpg"), new byte[100 * i + 1]);
      bytes += 100 * i + 1;
    }
    AtomicLong read = new AtomicLong();
    AtomicLong records = new AtomicLong();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        read.addAndGet(end.taskMetrics().inputMetrics().bytesRead());
        records.addAndGet(end.taskMetrics().inputMetrics().recordsRead());
      }
    };
    for (String concurrency : List.of("1", "4")) {
      spark.conf().set(ImageFiles.READ_CONCURRENCY, concurrency);
      for (String in : List.of(tmp.resolve("in").toString(), SlowFileSystem.path(tmp.resolve("in")))) {
        Dataset<Row> files = ImageFiles.read(spark, in);
        read.set(0);
        records.set(0);
        spark.sparkContext().addSparkListener(listener);
        try {
          assertThat(files.collectAsList()).hasSize(9);
          spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
          spark.sparkContext().removeSparkListener(listener);
        }
        assertThat(read.get()).as(in).isEqualTo(bytes);
        assertThat(records.get()).as(in).isEqualTo(9);
      }
    }
  }

  @Test
  void refusesAConcurrencyOrABoundThatIsNotAPositiveNumber() {
    Files2.write(tmp.resolve("in/a.jpg"), new byte[] {1});
    String in = tmp.resolve("in").toString();
    for (String bad : List.of("0", "-2", "many", "1.5")) {
      spark.conf().set(ImageFiles.READ_CONCURRENCY, bad);
      assertThatThrownBy(() -> ImageFiles.read(spark, in)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("spark.p9.read.concurrency must be an integer of at least 1: " + bad);
    }
    spark.conf().unset(ImageFiles.READ_CONCURRENCY);
    for (String bad : List.of("0", "-1k", "lots")) {
      spark.conf().set(ImageFiles.READ_AHEAD_BYTES, bad);
      assertThatThrownBy(() -> ImageFiles.read(spark, in)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("spark.p9.read.aheadBytes must be a size of at least 1 byte (e.g. 64m): " + bad);
    }
    spark.conf().set(ImageFiles.READ_AHEAD_BYTES, "1k");
    spark.conf().set(ImageFiles.READ_CONCURRENCY, " 3 ");
    assertThat(ImageFiles.read(spark, in).collectAsList()).hasSize(1);
  }

  /** checkSettings refuses what listing and read refuse, with their words, before anything is listed or read. */
  @Test
  void checkSettingsRefusesWhatListingAndReadRefuse() {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put(ImageFiles.LIST_CONCURRENCY, "spark.p9.list.concurrency must be an integer of at least 1: 0");
    bad.put(ImageFiles.READ_CONCURRENCY, "spark.p9.read.concurrency must be an integer of at least 1: 0");
    bad.put(ImageFiles.READ_AHEAD_BYTES, "spark.p9.read.aheadBytes must be a size of at least 1 byte (e.g. 64m): 0");
    ImageFiles.checkSettings(spark);
    bad.forEach((key, message) -> {
      spark.conf().set(key, "0");
      try {
        assertThatThrownBy(() -> ImageFiles.checkSettings(spark)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage(message);
      } finally {
        spark.conf().unset(key);
      }
    });
    spark.conf().set(ImageFiles.READ_AHEAD_BYTES, "1k");
    spark.conf().set(ImageFiles.LIST_CONCURRENCY, " 2 ");
    try {
      ImageFiles.checkSettings(spark);
    } finally {
      spark.conf().unset(ImageFiles.READ_AHEAD_BYTES);
      spark.conf().unset(ImageFiles.LIST_CONCURRENCY);
    }
  }

  /** The executor side of a read of {@code concurrency} files within {@code aheadBytes}, called outside a task. */
  private ReadFiles reader(int concurrency, long aheadBytes) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return new ReadFiles(jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration())),
        false, concurrency, aheadBytes);
  }

  /** The files under {@code path}, as one task gets them: in path order. */
  private Iterator<ReadFiles.Entry> entries(String path) {
    List<ReadFiles.Entry> files = ImageFiles.list(spark.sparkContext().hadoopConfiguration(), path);
    files.sort(null);
    return files.iterator();
  }
}
