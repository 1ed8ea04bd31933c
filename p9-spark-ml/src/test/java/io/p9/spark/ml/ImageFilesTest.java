package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
  @TempDir Path tmp;

  @Test
  void listsEveryVisibleFileIncludingZeroByteOnesAtAnyDepth() {
    Files2.write(tmp.resolve("a/one.jpg"), new byte[] {1, 2, 3});
    Files2.write(tmp.resolve("a/b/empty.jpg"), new byte[0]);
    Files2.write(tmp.resolve("c/empty too.png"), new byte[0]);
    Files2.write(tmp.resolve("a/_hidden/empty.jpg"), new byte[0]);
    Files2.write(tmp.resolve("a/.hidden.jpg"), new byte[0]);
    Files2.write(tmp.resolve("_SUCCESS"), new byte[0]);
    List<String> names = ImageFiles.read(TestSpark.get(), tmp.toString()).select("path")
        .as(Encoders.STRING()).collectAsList().stream().map(p -> p.substring(tmp.toString().length() + 6))
        .sorted().toList();
    assertThat(names).containsExactly("a/b/empty.jpg", "a/one.jpg", "c/empty too.png");
    assertThat(ImageFiles.count(TestSpark.get(), tmp.toString())).isEqualTo(3);
    assertThat(ImageFiles.read(TestSpark.get(), 0, tmp.toString()).count()).isEqualTo(3);
  }

  /**
   * Spark's rule for hidden names, exactly: a name starting with '_' is hidden unless it holds '=' (a
   * partition folder such as {@code _k=v}), and a file still being copied by {@code hadoop fs -put}
   * ({@code x.jpg._COPYING_}) is hidden too. p9 used to read the half-copied file (a TRUNCATED row, or a
   * failed job under handleInvalid=error) and to drop the {@code _k=v} files without a word.
   */
  @Test
  void hidesTheNamesSparksFileSourcesHideAndNoOthers() {
    for (String name : List.of("a/x.jpg", "a/y.jpg._COPYING_", "_k=v/z.jpg", "a/_m=1.jpg", "_plain/w.jpg",
        "b/.dot.jpg", "b/_metadata", "b=2/q.jpg")) {
      Files2.write(tmp.resolve(name), new byte[] {1, 2, 3});
    }
    SparkSession spark = TestSpark.get();
    List<String> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(tmp.toString()).select("path").as(Encoders.STRING()).collectAsList().stream().sorted().toList();
    assertThat(sparks).hasSize(4);
    assertThat(ImageFiles.read(spark, tmp.toString()).select("path").as(Encoders.STRING()).collectAsList())
        .containsExactlyElementsOf(sparks);
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://b/in");
    assertThat(ImageFiles.hiddenPart(root, new org.apache.hadoop.fs.Path("s3a://b/in/_k=v/z.jpg"))).isNull();
    assertThat(ImageFiles.hiddenPart(root, new org.apache.hadoop.fs.Path("s3a://b/in/a/y.jpg._COPYING_")))
        .hasToString("s3a://b/in/a/y.jpg._COPYING_");
  }

  /**
   * A glob's matches are roots, as in Spark: a hidden folder a glob names is read, but a hidden file it names
   * (a {@code .DS_Store} beside the images, a {@code _tmp} upload) is skipped, as Spark's file sources skip it.
   */
  @Test
  void aGlobSkipsTheHiddenFilesItMatchesAsSparkDoes() {
    Files2.write(tmp.resolve("a/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("a/.DS_Store"), new byte[] {2});
    Files2.write(tmp.resolve("a/_tmp.jpg"), new byte[] {3});
    Files2.write(tmp.resolve("_b/y.jpg"), new byte[] {4});
    Files2.write(tmp.resolve(".c/z.jpg"), new byte[0]);
    SparkSession spark = TestSpark.get();
    for (String glob : List.of("/*", "/*/*", "/a/*", "/a/.DS_Store", "/a/{x.jpg,_tmp.jpg}")) {
      String path = tmp + glob;
      List<String> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(path)
          .select("path").as(Encoders.STRING()).collectAsList().stream().sorted().toList();
      List<String> ours = ImageFiles.read(spark, path).select("path").as(Encoders.STRING()).collectAsList();
      assertThat(ours).as(glob).noneMatch(p -> p.endsWith("/.DS_Store") || p.endsWith("/_tmp.jpg"));
      // Spark's source leaves out the zero-byte .c/z.jpg (SPARK-26161); ImageFiles keeps it
      assertThat(ours.stream().filter(p -> !p.endsWith("/.c/z.jpg")).toList()).as(glob).isEqualTo(sparks);
      assertThat(ImageFiles.count(spark, path)).as(glob).isEqualTo(ours.size());
    }
    assertThat(ImageFiles.read(spark, tmp + "/a/*").select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly(tmp.resolve("a/x.jpg").toUri().toString().replace("file:///", "file:/"));
  }

  /** Paths and globs that overlap name some files twice: each file is still one row, as with Spark's source. */
  @Test
  void aFileThatSeveralPathsOrGlobsNameIsReadOnce() {
    Files2.write(tmp.resolve("Apple Red/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("Apple Green/y.jpg"), new byte[] {2});
    Files2.write(tmp.resolve("Pear Red/z.jpg"), new byte[0]);
    SparkSession spark = TestSpark.get();
    List<List<String>> cases = List.of(List.of(tmp + "/Apple*", tmp + "/*Red"), List.of(tmp.toString(),
        tmp + "/Pear Red"), List.of(tmp.toString(), tmp.toString()), List.of(tmp + "/Apple Red/x.jpg",
        tmp + "/Apple Red"));
    for (List<String> paths : cases) {
      String[] ps = paths.toArray(String[]::new);
      List<String> ours = ImageFiles.read(spark, ps).select("path").as(Encoders.STRING()).collectAsList();
      assertThat(ours).as("%s", paths).doesNotHaveDuplicates().isSorted();
      List<String> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(ps)
          .select("path").as(Encoders.STRING()).collectAsList();
      // Spark's source leaves out the zero-byte Pear Red/z.jpg (SPARK-26161); ImageFiles keeps it
      assertThat(ours.stream().filter(p -> !p.endsWith("/z.jpg")).toList()).as("%s", paths)
          .containsExactlyInAnyOrderElementsOf(sparks);
      assertThat(ImageFiles.count(spark, ps)).as("%s", paths).isEqualTo(ours.size());
      assertThat(ImageFiles.read(spark, 0, ps).count()).as("%s", paths).isEqualTo(ours.size());
    }
  }

  @Test
  void rowsMatchSparksBinaryFileSourceInSchemaAndContentInPathOrder() {
    Random r = new Random(42);
    for (int i = 0; i < 40; i++) {
      byte[] b = new byte[1 + r.nextInt(5000)];
      r.nextBytes(b);
      Files2.write(tmp.resolve("v" + (i % 5) + "/img" + i + ".jpg"), b);
    }
    SparkSession spark = TestSpark.get();
    Dataset<Row> ours = ImageFiles.read(spark, 8, tmp.toString());
    Dataset<Row> sparks = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(tmp.toString());
    assertThat(ours.schema()).isEqualTo(sparks.schema());
    assertThat(ours.rdd().getNumPartitions()).isEqualTo(6);  // 40 files, 8 per task, 2 cores: 3 rounds
    List<Row> got = ours.collectAsList();
    Map<String, Row> expected = new HashMap<>();
    sparks.collectAsList().forEach(row -> expected.put(row.getString(0), row));
    assertThat(got).hasSize(40);
    assertThat(got.stream().map(row -> row.getString(0)).toList()).isSorted();
    for (Row row : got) {
      Row want = expected.get(row.getString(0));
      assertThat(want).as(row.getString(0)).isNotNull();
      assertThat(row.getTimestamp(1)).isEqualTo(want.getTimestamp(1));
      assertThat(row.getLong(2)).isEqualTo(want.getLong(2));
      assertThat((byte[]) row.get(3)).isEqualTo((byte[]) want.get(3));
    }
  }

  @Test
  void readsEachFileAsItIsWhenReadNotAsListed() {
    Path grows = Files2.write(tmp.resolve("a/grows.jpg"), new byte[] {1, 2});
    Path shrinks = Files2.write(tmp.resolve("a/shrinks.jpg"), new byte[] {1, 2, 3, 4, 5});
    Dataset<Row> files = ImageFiles.read(TestSpark.get(), tmp.toString());   // lists now, reads on collect
    Files2.write(grows, new byte[] {9, 8, 7, 6, 5, 4});
    Files2.write(shrinks, new byte[] {3});
    List<Row> rows = files.collectAsList();
    assertThat(rows).hasSize(2);
    assertThat((byte[]) rows.get(0).get(3)).containsExactly(9, 8, 7, 6, 5, 4);
    assertThat(rows.get(0).getLong(2)).isEqualTo(6);
    assertThat((byte[]) rows.get(1).get(3)).containsExactly(3);
    assertThat(rows.get(1).getLong(2)).isEqualTo(1);
  }

  @Test
  void aFileDeletedAfterTheListingFailsTheJobNamingItUnlessMissingFilesAreIgnored() throws Exception {
    Files2.write(tmp.resolve("a/kept.jpg"), new byte[] {1});
    Path gone = Files2.write(tmp.resolve("a/gone.jpg"), new byte[] {2});
    SparkSession spark = TestSpark.get();
    Dataset<Row> strict = ImageFiles.read(spark, tmp.toString());
    spark.conf().set("spark.sql.files.ignoreMissingFiles", "true");
    Dataset<Row> lenient;
    try {
      lenient = ImageFiles.read(spark, tmp.toString());
    } finally {
      spark.conf().unset("spark.sql.files.ignoreMissingFiles");
    }
    java.nio.file.Files.delete(gone);
    assertThatThrownBy(strict::collectAsList).hasStackTraceContaining("gone.jpg")
        .hasStackTraceContaining("deleted after the listing");
    assertThat(lenient.select("path").as(Encoders.STRING()).collectAsList())
        .singleElement().asString().endsWith("a/kept.jpg");
  }

  @Test
  void groupsSmallFilesIntoAboutFilesPerPartitionTasksAMultipleOfTheCores() {
    for (int i = 0; i < 200; i++) {
      Files2.write(tmp.resolve("v" + (i % 7) + "/img" + i + ".jpg"), new byte[] {(byte) i, 1});
    }
    Files2.write(tmp.resolve("v0/empty.jpg"), new byte[0]);
    // Spark alone packs about 32 small files per task (openCostInBytes = 4 MB): 201 files -> 7+ tasks
    Dataset<Row> spark = ImageFiles.read(TestSpark.get(), 0, tmp.toString());
    assertThat(spark.rdd().getNumPartitions()).isGreaterThanOrEqualTo(7);
    // 201 files, 64 per task, 2 cores: ceil(201 / 128) = 2 rounds of 2 tasks
    Dataset<Row> grouped = ImageFiles.read(TestSpark.get(), 64, tmp.toString());
    assertThat(grouped.rdd().getNumPartitions()).isEqualTo(4);
    assertThat(grouped.count()).isEqualTo(201);
    assertThat(grouped.select("path").distinct().count()).isEqualTo(201);
    assertThat(grouped.filter("length = 0").count()).isEqualTo(1);
  }

  /**
   * A folder whose name holds glob characters ({@code Trip [2024]}, {@code {draft}}) is read as it is when it
   * exists: it used to be taken as a glob only, which matched another folder ({@code Trip 2}) or nothing
   * ({@code Path does not exist} for a folder that is there). A path that does not exist is still a glob.
   */
  @Test
  void aFolderThatExistsIsReadAsItIsEvenWithGlobCharactersInItsName() {
    Files2.write(tmp.resolve("Trip [2024]/a.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("Trip 2/b.jpg"), new byte[] {2});
    Files2.write(tmp.resolve("{draft}/c.jpg"), new byte[] {3});
    SparkSession spark = TestSpark.get();
    assertThat(ImageFiles.read(spark, tmp.resolve("Trip [2024]").toString()).select("path").as(Encoders.STRING())
        .collectAsList()).singleElement().asString().endsWith("/Trip [2024]/a.jpg");
    assertThat(ImageFiles.count(spark, tmp.resolve("{draft}").toString())).isEqualTo(1);
    assertThat(ImageFiles.read(spark, tmp.resolve("Trip [0-9]").toString()).select("path").as(Encoders.STRING())
        .collectAsList()).singleElement().asString().endsWith("/Trip 2/b.jpg");
  }

  @Test
  void aMissingPathOrAnEmptyGlobFailsOnTheDriverNamingItButAnEmptyFolderGivesNoRows() throws Exception {
    Files2.write(tmp.resolve("a/one.jpg"), new byte[] {1});
    java.nio.file.Files.createDirectories(tmp.resolve("empty"));
    SparkSession spark = TestSpark.get();
    for (int filesPerPartition : new int[] {ImageFiles.DEFAULT_FILES_PER_PARTITION, 0}) {
      for (String missing : List.of(tmp.resolve("typo").toString(), tmp.resolve("a/*.png").toString())) {
        assertThatThrownBy(() -> ImageFiles.read(spark, filesPerPartition, tmp.resolve("a").toString(), missing))
            .isInstanceOf(java.io.UncheckedIOException.class)
            .hasCauseInstanceOf(java.io.FileNotFoundException.class)
            .hasMessageContaining("Path does not exist: file:" + missing);
      }
    }
    assertThatThrownBy(() -> ImageFiles.count(spark, tmp.resolve("typo").toString()))
        .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("Path does not exist");
    assertThat(ImageFiles.read(spark, tmp.resolve("empty").toString()).count()).isZero();
    assertThat(ImageFiles.count(spark, tmp.resolve("empty").toString())).isZero();
    assertThat(ImageFiles.read(spark, tmp.resolve("a/*.jpg").toString()).count()).isEqualTo(1);
  }

  /**
   * A listing's size and its rows are of the same files: one added after the listing is neither counted nor
   * read, however often the listing is read; {@code count} lists again and sees it.
   */
  @Test
  void aListingCountsAndReadsTheFilesItListedNotThoseAddedSince() {
    Files2.write(tmp.resolve("a/one.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("b/empty.jpg"), new byte[0]);
    SparkSession spark = TestSpark.get();
    ImageFiles.Listing listing = ImageFiles.listing(spark, tmp.toString());
    Files2.write(tmp.resolve("a/added.jpg"), new byte[] {2});

    assertThat(listing.size()).isEqualTo(2);
    assertThat(listing).hasToString("ImageFiles.Listing[2 files under " + tmp + "]");
    for (Dataset<Row> rows : List.of(listing.read(), listing.read(1), listing.read())) {
      assertThat(rows.select("path").as(Encoders.STRING()).collectAsList())
          .containsExactly("file:" + tmp.resolve("a/one.jpg"), "file:" + tmp.resolve("b/empty.jpg"));
    }
    assertThat(ImageFiles.count(spark, tmp.toString())).isEqualTo(3);
    assertThat(ImageFiles.read(spark, tmp.toString()).count()).isEqualTo(3);
  }

  /**
   * {@code read(0)} is Spark's {@code binaryFile} source, which lists the paths again itself: it sees a file
   * added after the listing; the zero-byte files it skips come from the listing.
   */
  @Test
  void aListingsReadWithSparksSourceListsAgainAddingTheListedZeroByteFiles() {
    Files2.write(tmp.resolve("a/one.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("b/empty.jpg"), new byte[0]);
    ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), tmp.toString());
    Files2.write(tmp.resolve("a/added.jpg"), new byte[] {2});

    assertThat(listing.size()).isEqualTo(2);
    assertThat(listing.read(0).select("path").as(Encoders.STRING()).collectAsList()).containsExactlyInAnyOrder(
        "file:" + tmp.resolve("a/one.jpg"), "file:" + tmp.resolve("a/added.jpg"),
        "file:" + tmp.resolve("b/empty.jpg"));
  }

  @Test
  void aListingOfAMissingPathFailsWhenListedAndOfAnEmptyFolderIsEmpty() throws Exception {
    java.nio.file.Files.createDirectories(tmp.resolve("empty"));
    SparkSession spark = TestSpark.get();
    assertThatThrownBy(() -> ImageFiles.listing(spark, tmp.resolve("typo").toString()))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasCauseInstanceOf(java.io.FileNotFoundException.class)
        .hasMessageContaining("Path does not exist: file:" + tmp.resolve("typo"));
    ImageFiles.Listing empty = ImageFiles.listing(spark, tmp.resolve("empty").toString());
    assertThat(empty.size()).isZero();
    assertThat(empty.read().count()).isZero();
    assertThat(empty.read(0).count()).isZero();
  }

  /**
   * What a listing leaves out, as Spark's file sources do, is counted, with the first paths: hidden names (a
   * camera's {@code _DSC0001.JPG}, a {@code .DS_Store}, a hidden folder as one), apart from Spark's and Hadoop's
   * bookkeeping ({@code _SUCCESS}, {@code _temporary}, checksum files), and dangling symbolic links. They used
   * to go without a count; the rows stay those of Spark's source.
   */
  @Test
  void aListingCountsWhatItSkipsWithTheFirstPaths() throws Exception {
    Files2.write(tmp.resolve("a/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("a/_DSC0001.JPG"), new byte[] {2});
    Files2.write(tmp.resolve("a/.DS_Store"), new byte[] {3});
    Files2.write(tmp.resolve(".thumbs/1.jpg"), new byte[] {4});
    Files2.write(tmp.resolve(".thumbs/2.jpg"), new byte[] {5});
    Files2.write(tmp.resolve("_SUCCESS"), new byte[0]);
    Files2.write(tmp.resolve("_temporary/0/part-0"), new byte[] {6});
    Files2.write(tmp.resolve("b/.part-0.crc"), new byte[] {7});
    Files2.write(tmp.resolve("b/y.jpg"), new byte[] {8});
    java.nio.file.Files.createSymbolicLink(tmp.resolve("b/gone.jpg"), tmp.resolve("b/missing.jpg"));
    SparkSession spark = TestSpark.get();
    ImageFiles.Listing listing = ImageFiles.listing(spark, tmp.toString());

    String root = "file:" + tmp;
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly(root + "/a/x.jpg", root + "/b/y.jpg");
    assertThat(listing.skippedHidden()).isEqualTo(new ImageFiles.Skipped(3,
        List.of(root + "/.thumbs", root + "/a/.DS_Store", root + "/a/_DSC0001.JPG")));
    assertThat(listing.skippedBookkeeping()).isEqualTo(new ImageFiles.Skipped(3,
        List.of(root + "/_SUCCESS", root + "/_temporary", root + "/b/.part-0.crc")));
    assertThat(listing.skippedDangling()).isEqualTo(new ImageFiles.Skipped(1, List.of(root + "/b/gone.jpg")));
    // a hidden file a glob names is skipped and counted too
    assertThat(ImageFiles.listing(spark, tmp + "/a/*").skippedHidden())
        .isEqualTo(new ImageFiles.Skipped(2, List.of(root + "/a/.DS_Store", root + "/a/_DSC0001.JPG")));
  }

  /**
   * A name whose bytes are not valid in the JVM's file-name encoding (here a byte that neither UTF-8 nor the C
   * locale's ASCII holds) decodes to a string that leads to no file, and neither p9 nor Hadoop, whose paths are
   * strings, can open it. It is skipped and counted as such, a folder as one, where it used to be counted as a
   * dangling symbolic link; the other files are read.
   */
  @Test
  void aNameNotValidInTheFileNameEncodingIsSkippedAndCountedAsSuch() {
    Files2.write(tmp.resolve("a/x.jpg"), new byte[] {1});
    Files2.createRawName(tmp.resolve("a"), "bad\\377.jpg", false);
    Files2.createRawName(tmp, "dir\\377", true);
    ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), tmp.toString());

    String root = "file:" + tmp;
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList()).containsExactly(root + "/a/x.jpg");
    assertThat(listing.skippedDangling()).isEqualTo(ImageFiles.Skipped.NONE);
    assertThat(listing.skippedUnreadableNames().count()).isEqualTo(2);
    assertThat(listing.skippedUnreadableNames().examples()).satisfiesExactly(
        a -> assertThat(a).startsWith(root + "/a/bad").endsWith(".jpg").hasSize((root + "/a/bad?.jpg").length()),
        d -> assertThat(d).startsWith(root + "/dir").hasSize((root + "/dir?").length()));
    // named as the input, as the JVM decodes such a command-line argument: "does not exist" says why
    assertThatThrownBy(() -> ImageFiles.listing(TestSpark.get(), tmp + "/dir\ufffd"))
        .hasMessageContaining("Path does not exist: " + root + "/dir")
        .hasMessageEndingWith(" (a name in it is not valid in this JVM's file-name encoding, "
            + System.getProperty("sun.jnu.encoding") + (System.getProperty("sun.jnu.encoding").equals("UTF-8")
            ? ": rename it to UTF-8)" : ", which comes from the locale: run in a UTF-8 locale, e.g. LANG=C.UTF-8)"));
  }

  /** A listing keeps the count of all it skipped but only the first few paths, in path order. */
  @Test
  void aListingKeepsTheFirstFewSkippedPathsInPathOrder() {
    Random r = new Random(7);
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      names.add("_" + (1000 + r.nextInt(9000)) + "-" + i + ".jpg");
      Files2.write(tmp.resolve("d" + (i % 3) + "/" + names.get(i)), new byte[] {1});
    }
    ImageFiles.Skipped hidden = ImageFiles.listing(TestSpark.get(), tmp.toString()).skippedHidden();
    List<String> all = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add("file:" + tmp + "/d" + (i % 3) + "/" + names.get(i));
    }
    assertThat(hidden.count()).isEqualTo(40);
    assertThat(hidden.examples()).isEqualTo(all.stream().sorted().limit(ImageFiles.Skipped.MAX_EXAMPLES).toList());
  }

  @Test
  void partitionCountIsAMultipleOfTheCoresAndNeverZero() {
    assertThat(ImageFiles.partitions(0, 128, 2)).isEqualTo(2);
    assertThat(ImageFiles.partitions(240, 128, 2)).isEqualTo(2);
    assertThat(ImageFiles.partitions(257, 128, 2)).isEqualTo(4);
    assertThat(ImageFiles.partitions(1920, 128, 2)).isEqualTo(16);
    assertThat(ImageFiles.partitions(7680, 128, 2)).isEqualTo(60);
    assertThat(ImageFiles.partitions(1, 128, 64)).isEqualTo(64);
    assertThat(ImageFiles.partitions(1_000_000, 128, 0)).isEqualTo(7813);
  }

  @Test
  void hiddenPartLooksOnlyUnderTheRootAndIsTheTopmost() {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://b/_data/in");
    assertThat(ImageFiles.hiddenPart(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/y.jpg"))).isNull();
    assertThat(ImageFiles.hiddenPart(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/.x/_y/z.jpg")))
        .hasToString("s3a://b/_data/in/.x");
    assertThat(ImageFiles.hiddenPart(root, new org.apache.hadoop.fs.Path("s3a://b/_data/in/x/_y.jpg")))
        .hasToString("s3a://b/_data/in/x/_y.jpg");
  }

  @Test
  void bookkeepingIsSparksAndHadoopsHiddenNamesOnly() {
    for (String name : List.of("_SUCCESS", "_temporary", "_spark_metadata", "_metadata", "_common_metadata",
        "_started_123", "_committed_123", "__magic", "__magic_job-1", ".part-0.crc", "x.jpg._COPYING_")) {
      assertThat(ImageFiles.bookkeeping(name)).as(name).isTrue();
      assertThat(ImageFiles.hidden(name)).as(name).isTrue();
    }
    for (String name : List.of("_DSC0001.JPG", ".DS_Store", "_success", "_temporary.jpg", ".crc", "x.crc")) {
      assertThat(ImageFiles.bookkeeping(name)).as(name).isFalse();
    }
  }

  @Test
  void aUriWithAnAuthorityAndNoPathIsItsRoot() {
    assertThat(ImageFiles.rooted("s3a://bucket")).isEqualTo("s3a://bucket/");
    assertThat(ImageFiles.rooted("hdfs://nn:8020")).isEqualTo("hdfs://nn:8020/");
    for (String unchanged : List.of("s3a://bucket/", "s3a://bucket/a", "s3a://bucket/*", "file:///tmp", "/tmp/a", "a")) {
      assertThat(ImageFiles.rooted(unchanged)).isEqualTo(unchanged);
    }
  }

  @Test
  void oddFileNamesGiveTheRowsSparksBinaryFileGives() {
    List<String> names = List.of("a b.jpg", "a+b.jpg", "a%20b.jpg", "\u00fc\u00df.jpg", "a#b.jpg", "a=b.jpg", "a?b.jpg");
    for (String n : names) {
      Files2.write(tmp.resolve("odd/" + n), n.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    SparkSession spark = TestSpark.get();
    String dir = tmp.resolve("odd").toString();
    List<String> ours = ImageFiles.read(spark, dir).collectAsList().stream()
        .map(r -> r.getString(0) + "|" + new String((byte[]) r.get(3), java.nio.charset.StandardCharsets.UTF_8)).toList();
    List<String> sparks = spark.read().format("binaryFile").load(dir).collectAsList().stream()
        .map(r -> r.getString(0) + "|" + new String((byte[]) r.get(3), java.nio.charset.StandardCharsets.UTF_8)).toList();
    assertThat(ours).hasSize(names.size()).isSorted().containsExactlyInAnyOrderElementsOf(sparks);
    for (String n : names) {
      if (!n.contains("?")) {
        assertThat(ImageFiles.read(spark, dir + "/" + n).count()).as(n).isEqualTo(1);
      }
    }
  }

  /**
   * Hadoop cannot take a name with a ':' as a path on its own (it reads {@code col:on} as a URI scheme): a
   * folder named so, given as the input, used to fail the listing with Hadoop's bare
   * {@code URISyntaxException: Relative path in absolute URI: col:on}, naming neither the input nor the folder, and
   * so did a glob that has to look inside such a folder, which Hadoop's {@code globStatus} cannot. Both are read
   * now; a relative path whose first name holds the ':' (as a URI, a scheme and a relative path) still fails on
   * the driver, naming the input and what to do. Spark's {@code binaryFile} source ({@code filesPerPartition <= 0})
   * reads such names under a folder, but globs with Hadoop: it fails on the driver, saying to read with
   * {@code filesPerPartition > 0}.
   */
  @Test
  void aNameWithAColonIsReadAlsoThroughAGlobButARelativePathStartingWithItIsRefused() {
    Files2.write(tmp.resolve("col:on/a:b.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("plain/c.jpg"), new byte[] {2});
    SparkSession spark = TestSpark.get();
    String colon = "file:" + tmp + "/col:on/a:b.jpg";
    for (String in : List.of(tmp.resolve("col:on").toString(), tmp.resolve("col:on") + "/", "file:" + tmp + "/col:on",
        tmp.resolve("col:on/a:b.jpg").toString(), tmp + "/col:on/*", tmp + "/c*/*.jpg", tmp + "/{col:on,none}")) {
      assertThat(ImageFiles.read(spark, in).select("path").as(Encoders.STRING()).collectAsList()).as(in)
          .containsExactly(colon);
    }
    String glob = tmp + "/*/*.jpg";
    assertThat(ImageFiles.read(spark, glob).select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly(colon, "file:" + tmp + "/plain/c.jpg");
    assertThat(ImageFiles.count(spark, tmp.toString())).isEqualTo(2);
    assertThat(ImageFiles.read(spark, 0, tmp.toString()).select("path").as(Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder(colon, "file:" + tmp + "/plain/c.jpg");
    assertThatThrownBy(() -> ImageFiles.read(spark, 0, glob)).isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("cannot read " + glob + " with Spark's binaryFile source (filesPerPartition <= 0): ")
        .hasMessageContaining("col:on")
        .hasMessageContaining("filesPerPartition > 0");
    assertThatThrownBy(() -> ImageFiles.read(spark, "col:on/a:b.jpg"))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("cannot list col:on/a:b.jpg: ")
        .hasMessageContaining("':'");
  }

  /**
   * A symbolic link to a folder above it (a {@code latest -> ..} in a photo tree) made the local walk go round
   * until the OS gave up resolving ({@code ELOOP}, 40 links): the one image came back 41 times, as
   * {@code a/x.jpg}, {@code a/up/a/x.jpg}, {@code a/up/a/up/a/x.jpg}, ... A link into a folder outside the walk
   * is still read through the link, as Spark's file sources do. (Two such links in one folder made the walk
   * take 2^40 paths: it did not end.)
   */
  @Test
  void aLinkToAFolderAboveItIsNotWalkedAgainButALinkElsewhereIs() throws Exception {
    Files2.write(tmp.resolve("in/a/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("other/y.jpg"), new byte[] {2});
    Files2.write(tmp.resolve("in/caf\u00e9 50%/p.jpg"), new byte[] {3});
    Files2.write(tmp.resolve("in/a%20b/q.jpg"), new byte[] {4});
    java.nio.file.Files.createSymbolicLink(tmp.resolve("in/a/up"), tmp.resolve("in"));
    java.nio.file.Files.createSymbolicLink(tmp.resolve("in/a/self"), java.nio.file.Path.of("."));
    java.nio.file.Files.createSymbolicLink(tmp.resolve("in/more"), tmp.resolve("other"));
    SparkSession spark = TestSpark.get();
    String in = tmp.resolve("in").toString();
    ImageFiles.Listing listing = ImageFiles.listing(spark, in);
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly("file:" + in + "/a%20b/q.jpg", "file:" + in + "/a/x.jpg",
            "file:" + in + "/caf\u00e9 50%/p.jpg", "file:" + in + "/more/y.jpg");
    assertThat(listing.skippedDuplicates())
        .isEqualTo(new ImageFiles.Skipped(2, List.of("file:" + in + "/a/self", "file:" + in + "/a/up")));
    // from in/a, the link up leads to in/more, outside the walk, but not back into in/a
    assertThat(ImageFiles.read(spark, in + "/a").select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly("file:" + in + "/a/up/a%20b/q.jpg", "file:" + in + "/a/up/caf\u00e9 50%/p.jpg",
            "file:" + in + "/a/up/more/y.jpg", "file:" + in + "/a/x.jpg");
  }

  /**
   * A folder or file that symbolic links make reachable twice (a link to a sibling folder, two links to one folder
   * elsewhere, a link to a file read already) used to be read twice, as Spark's file sources read it: each real
   * file is read once now, where it is reached without a link if it is (even where a link to it sorts first), and
   * each link skipped is counted as a duplicate.
   */
  @Test
  void aFolderOrFileReachedAgainThroughALinkIsReadOnceAndTheLinkCountedAsADuplicate() throws Exception {
    Files2.write(tmp.resolve("in/a/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("elsewhere/photos/y.jpg"), new byte[] {2});
    Files2.write(tmp.resolve("elsewhere/z.jpg"), new byte[] {3});
    link("in/0", "in/a");
    link("in/c", "elsewhere/photos");
    link("in/d", "elsewhere/photos");
    link("in/e.jpg", "in/a/x.jpg");
    link("in/f.jpg", "elsewhere/z.jpg");
    link("in/g.jpg", "elsewhere/z.jpg");
    String in = "file:" + tmp.resolve("in");
    ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), tmp.resolve("in").toString());
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly(in + "/a/x.jpg", in + "/c/y.jpg", in + "/f.jpg");
    assertThat(listing.size()).isEqualTo(3);
    assertThat(listing.skippedDuplicates())
        .isEqualTo(new ImageFiles.Skipped(4, List.of(in + "/0", in + "/d", in + "/e.jpg", in + "/g.jpg")));
    // the same files named through two links: read once, under the first path
    ImageFiles.Listing named = ImageFiles.listing(TestSpark.get(), tmp + "/in/{c,d}/y.jpg", tmp + "/in/{e,f,g}.jpg");
    assertThat(named.read().select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly(in + "/c/y.jpg", in + "/e.jpg", in + "/f.jpg");
    assertThat(named.skippedDuplicates()).isEqualTo(new ImageFiles.Skipped(2, List.of(in + "/d/y.jpg",
        in + "/g.jpg")));
  }

  /**
   * Paths and globs that overlap ({@code in}, {@code in/a}, a glob naming {@code in/a}'s files) used to count
   * what they skip once per path: a {@code .DS_Store} four times. Each is counted once now.
   */
  @Test
  void overlappingPathsCountWhatTheySkipOnce() {
    Files2.write(tmp.resolve("in/a/x.jpg"), new byte[] {1});
    Files2.write(tmp.resolve("in/a/.DS_Store"), new byte[] {2});
    Files2.write(tmp.resolve("in/a/_SUCCESS"), new byte[0]);
    String in = tmp.resolve("in").toString();
    ImageFiles.Listing listing = ImageFiles.listing(TestSpark.get(), in, in + "/a", in + "/a/*", in + "/*/.DS_Store");
    assertThat(listing.read().select("path").as(Encoders.STRING()).collectAsList())
        .containsExactly("file:" + in + "/a/x.jpg");
    assertThat(listing.skippedHidden()).isEqualTo(new ImageFiles.Skipped(1, List.of("file:" + in + "/a/.DS_Store")));
    assertThat(listing.skippedBookkeeping())
        .isEqualTo(new ImageFiles.Skipped(1, List.of("file:" + in + "/a/_SUCCESS")));
    assertThat(listing.skippedDuplicates()).isEqualTo(ImageFiles.Skipped.NONE);
  }

  /** A symbolic link at {@code name} under the test's folder to {@code target} there. */
  private void link(String name, String target) throws java.io.IOException {
    java.nio.file.Files.createDirectories(tmp.resolve(name).getParent());
    java.nio.file.Files.createSymbolicLink(tmp.resolve(name), tmp.resolve(target));
  }
}
