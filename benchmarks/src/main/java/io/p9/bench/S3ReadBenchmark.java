package io.p9.bench;

import io.p9.aws.s3.S3aSettings;
import io.p9.aws.testing.LatencyProxy;
import io.p9.aws.testing.S3ProxyServer;
import io.p9.aws.testing.Trees;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
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
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * (8) Reading small images from S3: {@code ImageFiles.read(spark, "s3a://bucket/prefix")} and the sum of the rows'
 * {@code length} (so every file is read), over {@code images} Fruits-360 JPEGs (2-3 KB each) in S3Proxy on
 * 127.0.0.1 behind a {@link LatencyProxy} that gives each request {@code latencyMs} of round-trip latency (S3's
 * GET latency for small objects is often tens of ms), in {@code local[2]} with {@code spark.p9.read.concurrency} =
 * {@code concurrency} (1: one file at a time a task, as before read-ahead). One score = one listing and read,
 * in ms; images/s = images / score. After each pass a {@code proxy:} line says how many requests S3A sent and
 * how many at most waited at once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 5)
@Measurement(iterations = 10)
public class S3ReadBenchmark {
  private static final String BUCKET = "p9-bench";

  @Param({"256"})
  public int images;

  /** The wait before each response's first bytes, ms. */
  @Param({"0", "20"})
  public int latencyMs;

  /** {@code spark.p9.read.concurrency}: files a task reads at once. */
  @Param({"1", "16"})
  public int concurrency;

  Path tmp;
  S3ProxyServer server;
  LatencyProxy proxy;
  SparkSession spark;
  /** The bytes of the uploaded images: what each pass must sum. */
  long bytes;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    tmp = Files.createTempDirectory("p9-bench-s3");
    server = S3ProxyServer.start(tmp);
    server.createBucket(BUCKET);
    try (S3Client s3 = server.setupClient()) {
      for (Path f : BenchData.fruitJpegs(images)) {
        String key = "fruits/" + f.getParent().getFileName() + "/" + f.getFileName();
        s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromFile(f));
        bytes += Files.size(f);
      }
    }
    proxy = LatencyProxy.start(server.endpoint(), Duration.ofMillis(latencyMs));
    SparkSession.Builder builder = TestSpark.loopback("p9-bench-s3", "local[2]").config(ImageFiles.READ_CONCURRENCY, Integer.toString(concurrency));
    S3aSettings.builder().endpoint(proxy.endpoint()).pathStyle(true)
        .staticCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, null).build()
        .applyToSpark(builder::config);
    spark = builder.getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    proxy.reset();
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    System.out.println("proxy: " + proxy.requests() + " requests on " + proxy.connectionsOpened()
        + " new connections, at most " + proxy.maxConcurrentRequests() + " waiting at once");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {spark, proxy, server}) {
      if (c != null) {
        c.close();
      }
    }
    Trees.delete(tmp);
  }

  /** Lists and reads the images; the sum of their lengths, checked. */
  @Benchmark
  public long read() {
    long sum = ImageFiles.read(spark, "s3a://" + BUCKET + "/fruits").agg(functions.sum("length")).head()
        .getLong(0);
    if (sum != bytes) {
      throw new IllegalStateException("read " + sum + " bytes of the " + bytes + " uploaded");
    }
    return sum;
  }
}
