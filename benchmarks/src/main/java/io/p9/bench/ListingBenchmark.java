package io.p9.bench;

import io.p9.aws.testing.Trees;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.testing.SlowFileSystem;
import io.p9.spark.ml.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The driver's listing of a collection on an object store: {@code ImageFiles.listing} of {@code files} empty files
 * in {@code folders} folders (one level, as Fruits-360's class folders) through {@link SlowFileSystem}, which lists
 * the local disk as S3A lists S3, each request (a page of 1,000 keys) waiting {@code listMs} as S3's LIST round trip
 * does; {@code listConcurrency} is {@link ImageFiles#LIST_CONCURRENCY} (1: one flat listing, page after page). One
 * score = one listing. After each iteration a {@code listing:} line gives the requests per listing and the most at
 * once. The local disk's own work (the file system walks the whole tree for each recursive listing) is in the score.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class ListingBenchmark {
  @Param({"32000"})
  public int files;

  @Param({"64"})
  public int folders;

  @Param({"50"})
  public long listMs;

  @Param({"1", "16"})
  public int listConcurrency;

  SparkSession spark;
  Path tmp;
  String input;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    spark = TestSpark.loopback("p9-bench-listing", "local[1]").config(ImageFiles.LIST_CONCURRENCY, String.valueOf(listConcurrency)).getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    SlowFileSystem.register(spark.sparkContext().hadoopConfiguration());
    tmp = Files.createTempDirectory("p9-bench-listing");
    Path in = tmp.resolve("in");
    for (int i = 0; i < files; i++) {
      Path folder = in.resolve(String.format("c%05d", i % folders));
      if (i < folders) {
        Files.createDirectories(folder);
      }
      Files.createFile(folder.resolve(String.format("f%07d.jpg", i)));
    }
    input = SlowFileSystem.path(in);
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    SlowFileSystem.reset(0, 0, listMs);
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    System.out.println("listing: " + SlowFileSystem.listRequests() + " requests, at most "
        + SlowFileSystem.mostListing() + " at once");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    spark.stop();
    Trees.delete(tmp);
  }

  @Benchmark
  public int listing() {
    int n = ImageFiles.listing(spark, input).size();
    if (n != files) {
      throw new IllegalStateException("listed " + n + " of " + files + " files");
    }
    return n;
  }
}
