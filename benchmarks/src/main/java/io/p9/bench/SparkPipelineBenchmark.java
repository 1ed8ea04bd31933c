package io.p9.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.p9.aws.testing.StandaloneCluster;
import io.p9.aws.testing.Trees;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.onnx.FeatureTensorEdit;
import io.p9.spark.ml.CnnFeaturizer;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.ImageLoader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
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
 * (4) The pipeline on Spark {@code local[2]}: binaryFile → ImageLoader → CnnFeaturizer → count, over
 * {@code images} Fruits-360 JPEGs replicated {@code replicate} times (7: 1x, 4x, 16x must scale linearly), on
 * {@code local[2]} or a standalone cluster ({@code -p master=standalone}).
 * (5) {@code baseline}: what a user writes without p9 — binaryFile → mapPartitions opening an ORT session
 * per partition with default options, ImageIO decode, AWT resize, one image per run. One score = one full
 * pass in seconds; images/s = images x replicate / score. After each pass a {@code cpu:} line says where
 * this JVM's CPU went ({@link CpuAccounting}).
 *
 * <p>Steady state needs warm-up: on 2 cores the JIT keeps compiling Spark's driver and per-task code for
 * the first minute or so of jobs (the C2 thread took 14 s of CPU in a first 7,680-image job, still 1.3 s
 * in the fourth), and that CPU is taken from the two task threads. Hence three warm-up passes by default.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3)
@Measurement(iterations = 3)
public class SparkPipelineBenchmark {
  @Param({"480"})
  public int images;

  @Param({"1"})
  public int replicate;

  @Param({"8"})
  public int batch;

  @Param({"int8"})
  public String model;

  /**
   * {@code local[2]}, or {@code standalone}: a master and a 2-core worker on 127.0.0.1, each its own JVM
   * ({@link StandaloneCluster}), the driver in this one and the tasks in an executor JVM.
   */
  @Param({"local[2]"})
  public String master;

  StandaloneCluster cluster;
  SparkSession spark;
  /** Holds the replicated images and the model files; removed on tear-down. */
  Path tmp;
  Path input;
  Path modelFile;
  Path editedModel;
  final CpuAccounting cpu = new CpuAccounting();

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    SparkSession.Builder builder = SparkSession.builder().appName("p9-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1");
    if ("standalone".equals(master)) {
      cluster = StandaloneCluster.start(2, "3g");
      builder.master(cluster.masterUrl()).config("spark.executor.memory", "2g")
          .config("spark.executor.extraClassPath", StandaloneCluster.executorClassPath())
          .config("spark.executor.extraJavaOptions", String.join(" ", StandaloneCluster.moduleFlags()));
    } else {
      builder.master(master);
    }
    spark = builder.getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    tmp = Files.createTempDirectory("p9-bench");
    input = BenchData.replicate(BenchData.fruitJpegs(images), replicate, tmp.resolve("images"));
    ModelBytes mb = BenchData.model(model);
    modelFile = Files.write(tmp.resolve(mb.name()), mb.bytes());
    editedModel = Files.write(tmp.resolve("edited-" + mb.name()),
        FeatureTensorEdit.expose(mb.bytes(), "auto").model());
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    cpu.start();
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    System.out.println(cpu.stop((long) images * replicate));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println("models created in this JVM: " + ModelCache.shared().modelsCreated()
        + ", its peak RSS MiB: " + BenchData.peakRssMiB());
    if (cluster != null) {
      // the tasks ran in the executor JVM: ask it the same (both partitions run there: one line)
      List<String> executors = spark.range(0, 2, 1, 2).mapPartitions(
          (MapPartitionsFunction<Long, String>) it -> List.of("executor JVM: models created "
              + ModelCache.shared().modelsCreated() + ", peak RSS MiB " + BenchData.peakRssMiB()).iterator(),
          Encoders.STRING()).collectAsList();
      new TreeSet<>(executors).forEach(System.out::println);
    }
    spark.stop();
    if (cluster != null) {
      cluster.close();
    }
    Trees.delete(tmp);
  }

  @Benchmark
  public long p9() {
    Dataset<Row> files = ImageFiles.read(spark, input.toString());
    return new CnnFeaturizer().setModelLocation(modelFile.toString()).setBatchSize(batch)
        .transform(new ImageLoader().transform(files)).count();
  }

  /** Breakdown: listing and reading the files only. */
  @Benchmark
  public long readOnly() {
    return ImageFiles.read(spark, input.toString())
        .agg(org.apache.spark.sql.functions.sum(org.apache.spark.sql.functions.length(
            org.apache.spark.sql.functions.col("content")))).head().getLong(0);
  }

  /** Breakdown: reading and decoding (ImageLoader), no CNN. */
  @Benchmark
  public long decodeOnly() {
    return new ImageLoader().transform(ImageFiles.read(spark, input.toString()))
        .agg(org.apache.spark.sql.functions.sum("image.width")).head().getLong(0);
  }

  @Benchmark
  public long baseline() {
    String model = editedModel.toString();
    return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input.toString())
        .select("content").mapPartitions((MapPartitionsFunction<Row, Long>) rows -> handWritten(model, rows),
            Encoders.LONG()).collectAsList().stream().mapToLong(Long::longValue).sum();
  }

  /** The notebook way: a session per partition, default session options, one image per call. */
  static Iterator<Long> handWritten(String model, Iterator<Row> rows) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long n = 0;
    try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
      float[] chw = new float[3 * 224 * 224];
      while (rows.hasNext()) {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream((byte[]) rows.next().get(0)));
        Baseline.awtToTensor(img, chw);
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(chw), new long[] {1, 3, 224, 224});
            OrtSession.Result r = session.run(Map.of("input", t))) {
          n += ((float[][]) r.get(0).getValue()).length;
        }
      }
    }
    return List.of(n).iterator();
  }
}
