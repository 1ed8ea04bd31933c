package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.spark.ml.internal.ReadFiles;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.SlowFileSystem;
import io.p9.spark.ml.testing.Threads;
import io.p9.spark.ml.testing.TestSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RemoteListing}: a large folder of a remote file system is listed folder by folder, several listings at
 * once, and gives what one flat listing gives: the same files, in the same order, the same skips with the same
 * examples. The remote file system is {@link SlowFileSystem}, which lists as S3A lists S3 (pages of 1,000 keys,
 * each a request that waits), and fails to list a {@code denied*} folder, or a {@code gone*} one that its parent's
 * listing still shows.
 */
class RemoteListingTest {
  /** Names that are hidden, some of them bookkeeping, and some that are not ({@code _k=v}). */
  private static final String[] HIDDEN = {".x", "_x", "_temporary", "_SUCCESS", ".a.jpg.crc", "b.jpg._COPYING_",
      "__magic", ".x-y", "_k=v"};
  /** The pieces other names are made of: {@code -} and {@code .} sort before {@code /} in S3's key order. */
  private static final String[] PIECES = {"a", "b", "Z", "7", "-", ".", " ", "=", "+", "%", "\u00fc", "c"};

  @TempDir Path tmp;
  private final Configuration conf = new Configuration();
  private final SparkSession spark = TestSpark.get();

  @BeforeEach
  void register() {
    SlowFileSystem.register(conf);
    SlowFileSystem.register(spark.sparkContext().hadoopConfiguration());
  }

  @AfterEach
  void unset() {
    spark.conf().unset(ImageFiles.LIST_CONCURRENCY);
    SlowFileSystem.reset(0, 0);
  }

  /** One listing's entries, in path order, and what it skipped, by kind. */
  private record Listed(List<ReadFiles.Entry> entries, List<ImageFiles.Skipped> skipped) {}

  private Listed list(String path, int concurrency, int sample) {
    ImageFiles.Skips skips = new ImageFiles.Skips();
    List<ReadFiles.Entry> entries = ImageFiles.list(conf, skips, concurrency, sample, path);
    entries.sort(null);
    return new Listed(entries, skips.kinds());
  }

  /** Writes {@code n} files of a few bytes into each of {@code folders}. */
  private static void files(Path folder, int n) {
    for (int i = 0; i < n; i++) {
      Files2.write(folder.resolve(String.format("f%04d.jpg", i)), new byte[i % 3]);
    }
  }

  /** Waits until no thread of a listing is left, or ten seconds have passed; {@return the threads left} */
  private static List<String> listingThreads() throws InterruptedException {
    return Threads.awaitEnded(RemoteListing.THREAD_NAME, Duration.ofSeconds(10));
  }

  @Test
  void theFoldersOfALargeFolderAreListedAtOnceUpToTheConcurrencyAndGiveWhatOneFlatListingGives()
      throws Exception {
    Path in = tmp.resolve("in");
    for (int c = 0; c < 12; c++) {
      files(in.resolve("Training/c" + c), 5);
    }
    Files2.write(in.resolve("Training/.thumbs/1.jpg"), new byte[1]);
    Files2.write(in.resolve("Training/.thumbs/2.jpg"), new byte[1]);
    Files2.write(in.resolve("Training/c3/_temporary/0/part-0"), new byte[1]);
    Files2.write(in.resolve("Training/c4/_SUCCESS"), new byte[0]);
    Files2.write(in.resolve("top.jpg"), new byte[2]);
    String path = SlowFileSystem.path(in);

    SlowFileSystem.reset(0, 0, 30);
    Listed flat = list(path, 1, RemoteListing.SAMPLE);
    assertThat(SlowFileSystem.listRequests()).isEqualTo(1);
    assertThat(flat.entries()).hasSize(61);
    assertThat(flat.skipped()).containsExactly(
        new ImageFiles.Skipped(1, List.of("slowfs:" + in + "/Training/.thumbs")),
        new ImageFiles.Skipped(2, List.of("slowfs:" + in + "/Training/c3/_temporary",
            "slowfs:" + in + "/Training/c4/_SUCCESS")), ImageFiles.Skipped.NONE, ImageFiles.Skipped.NONE,
        ImageFiles.Skipped.NONE);

    // 1 (in) + 1 (Training) + 12 class folders + 1 (is there a file in .thumbs?), 4 at once
    SlowFileSystem.reset(0, 0, 30);
    assertThat(list(path, 4, 0)).isEqualTo(flat);
    assertThat(SlowFileSystem.mostListing()).isBetween(2, 4);
    assertThat(listingThreads()).isEmpty();
  }

  /**
   * The first page of the flat listing decides: a listing that ends there stays that one request (a small
   * collection gets no more requests); one whose first 1,000 files lie in many folders goes on flat (listing
   * thousands of folders of a few files each, one request each, would take longer); one whose first files lie in
   * few folders is listed folder by folder. The Spark conf sets the concurrency; 1 lists flat.
   */
  @Test
  void theFirstPageDecidesWhetherToListFolderByFolder() throws Exception {
    Path small = tmp.resolve("small");
    for (int c = 0; c < 3; c++) {
      files(small.resolve("c" + c), 10);
    }
    Path sparse = tmp.resolve("sparse");
    for (int c = 0; c < 300; c++) {
      files(sparse.resolve(String.format("sku%03d", c)), 5);
    }
    Path dense = tmp.resolve("dense");
    for (int c = 0; c < 20; c++) {
      files(dense.resolve(String.format("Training/c%02d", c)), 100);
    }

    SlowFileSystem.reset(0, 0, 5);
    assertThat(ImageFiles.listing(spark, SlowFileSystem.path(small)).size()).isEqualTo(30);
    assertThat(SlowFileSystem.listRequests()).isEqualTo(1);

    SlowFileSystem.reset(0, 0, 5);
    assertThat(ImageFiles.listing(spark, SlowFileSystem.path(sparse)).size()).isEqualTo(1500);
    assertThat(SlowFileSystem.listRequests()).isEqualTo(2);
    assertThat(SlowFileSystem.mostListing()).isEqualTo(1);

    spark.conf().set(ImageFiles.LIST_CONCURRENCY, "1");
    SlowFileSystem.reset(0, 0, 5);
    assertThat(ImageFiles.listing(spark, SlowFileSystem.path(dense)).size()).isEqualTo(2000);
    assertThat(SlowFileSystem.listRequests()).isEqualTo(2);
    assertThat(SlowFileSystem.mostListing()).isEqualTo(1);

    spark.conf().unset(ImageFiles.LIST_CONCURRENCY);
    SlowFileSystem.reset(0, 0, 5);
    assertThat(ImageFiles.listing(spark, SlowFileSystem.path(dense)).size()).isEqualTo(2000);
    assertThat(SlowFileSystem.mostListing()).isBetween(2, ImageFiles.DEFAULT_LIST_CONCURRENCY);
    assertThat(listingThreads()).isEmpty();
    String path = SlowFileSystem.path(dense);
    assertThat(list(path, ImageFiles.DEFAULT_LIST_CONCURRENCY, RemoteListing.SAMPLE)).isEqualTo(list(path, 1, 0));

    spark.conf().set(ImageFiles.LIST_CONCURRENCY, "0");
    assertThatThrownBy(() -> ImageFiles.listing(spark, SlowFileSystem.path(small)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(ImageFiles.LIST_CONCURRENCY);
  }

  /**
   * A folder that cannot be listed fails the listing as it fails the flat one, with the same message; a folder
   * deleted between its parent's listing and its own lists nothing, as a flat listing a moment later would.
   */
  @Test
  void aFolderThatCannotBeListedFailsTheListingAsItFailsTheFlatOne() throws Exception {
    Path in = tmp.resolve("in");
    for (int c = 0; c < 6; c++) {
      files(in.resolve("c" + c), 2);
    }
    files(in.resolve("c4/gone/x"), 3);
    files(in.resolve("gone/x"), 3);
    files(in.resolve(".gone"), 3);
    String path = SlowFileSystem.path(in);
    Listed flat = list(path, 1, 0);
    assertThat(flat.entries()).hasSize(12);
    assertThat(list(path, 3, 0)).isEqualTo(flat);

    files(in.resolve("c2/denied"), 1);
    for (int sample : new int[] {0, 5, 1000}) {
      UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(UncheckedIOException.class,
          () -> list(path, 3, sample));
      assertThatThrownBy(() -> list(path, 1, sample)).isInstanceOf(UncheckedIOException.class)
          .hasMessage(e.getMessage()).hasMessageStartingWith("cannot list " + path + ": ")
          .hasMessageEndingWith("/c2/denied: listing denied");
    }
    assertThat(listingThreads()).isEmpty();
  }

  /**
   * On seeded random trees (folders 0 to 5 deep, chains of single folders, empty folders, hidden and bookkeeping
   * names at any depth, names that sort around {@code /}, folders deleted during the listing), listed at random
   * concurrencies after random first pages, the listing equals the flat one: entries field by field, in path
   * order, and each kind of skip with its examples.
   */
  @Test
  void onRandomTreesTheListingIsTheFlatOne() throws IOException {
    Random random = new Random(20261206);
    int files = 0;
    int hidden = 0;
    int parallel = 0;
    for (int tree = 0; tree < 40; tree++) {
      Path root = Files.createDirectories(tmp.resolve("t" + tree + "/in"));
      folder(random, root, 0);
      String path = SlowFileSystem.path(root);
      Listed flat = list(path, 1, RemoteListing.SAMPLE);
      int concurrency = 2 + random.nextInt(6);
      int sample = new int[] {0, 0, 1, 3, 10, 50, 1000}[random.nextInt(7)];
      SlowFileSystem.reset(0, 0, 5);
      assertThat(list(path, concurrency, sample)).as("%s at %d after %d", root, concurrency, sample)
          .isEqualTo(flat);
      parallel += SlowFileSystem.mostListing() > 1 ? 1 : 0;
      files += flat.entries().size();
      hidden += flat.skipped().get(0).count() + flat.skipped().get(1).count();
    }
    assertThat(files).isGreaterThan(500);
    assertThat(hidden).isGreaterThan(100);
    assertThat(parallel).isGreaterThan(10);
  }

  /** Fills {@code folder} with random files, folders, hidden names, {@code depth} folders down. */
  private void folder(Random random, Path folder, int depth) throws IOException {
    int kind = random.nextInt(8);
    if (kind == 0 && depth < 5) {
      // a chain of one folder: Training/ holding the class folders
      folder(random, Files.createDirectories(folder.resolve(name(random))), depth + 1);
      return;
    }
    if (kind == 1 && depth > 0) {
      return;   // empty
    }
    int n = 1 + random.nextInt(depth == 0 ? 12 : 8);
    for (int i = 0; i < n; i++) {
      boolean isHidden = random.nextInt(6) == 0;
      String name = (isHidden ? HIDDEN[random.nextInt(HIDDEN.length)] : "")
          + (random.nextInt(25) == 0 ? "gone" : "") + (isHidden && random.nextBoolean() ? "" : name(random));
      Path child = folder.resolve(name);
      if (Files.exists(child)) {
        continue;
      }
      if (random.nextInt(10) < 4 && depth < 5) {
        folder(random, Files.createDirectories(child), depth + 1);
      } else {
        Files2.write(child, new byte[random.nextInt(3)]);
      }
    }
  }

  private static String name(Random random) {
    StringBuilder b = new StringBuilder();
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n; i++) {
      b.append(PIECES[random.nextInt(PIECES.length)]);
    }
    String s = b.toString();
    return s.startsWith(".") || s.startsWith(" ") || s.endsWith(" ") ? "n" + s + "n" : s;
  }
}
