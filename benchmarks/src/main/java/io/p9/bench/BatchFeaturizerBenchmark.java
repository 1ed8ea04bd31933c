package io.p9.bench;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelKey;
import io.p9.core.model.ModelOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * (3) CnnFeaturizer's batch path in one JVM without Spark: JPEG bytes → decode → resize/normalize into the
 * direct buffer → one model call per batch, through the per-JVM model cache. One score = one batch of
 * {@code batch} images (images/s = score x batch). {@code twoCallers} = two task threads sharing the model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class BatchFeaturizerBenchmark {
  @Param({"int8"})
  public String model;

  @Param({"8"})
  public int batch;

  @Param({"1"})
  public int intraOpThreads;

  ModelCache.Lease lease;
  FeatureModel featureModel;
  List<byte[]> jpegs;

  @Setup(Level.Trial)
  public void setUp() {
    ModelBytes mb = BenchData.model(model);
    lease = ModelCache.shared().acquire(new ModelKey(mb.sha256(),
        ModelOptions.defaults().withIntraOpThreads(intraOpThreads)), () -> mb);
    featureModel = lease.model();
    jpegs = BenchData.read(BenchData.fruitJpegs(256));
  }

  @TearDown(Level.Trial)
  public void report() {
    lease.close();
    System.out.println("models created: " + ModelCache.shared().modelsCreated() + ", peak RSS MiB: "
        + BenchData.peakRssMiB());
  }

  /** One task's state: its decoder and batch buffer. */
  @State(Scope.Thread)
  public static class Task {
    ImageDecoder decoder;
    BatchFeaturizer batch;
    int next;

    @Setup(Level.Trial)
    public void open(BatchFeaturizerBenchmark b) {
      decoder = new ImageDecoder(DecodeOptions.defaults());
      batch = new BatchFeaturizer(b.featureModel, PreprocessSpec.imagenet(224), b.batch);
    }

    @TearDown(Level.Trial)
    public void close() {
      batch.close();
    }
  }

  private float[] oneBatch(Task t) throws Exception {
    while (!t.batch.isFull()) {
      t.batch.add(t.decoder.decode(jpegs.get(t.next)));
      t.next = (t.next + 1) % jpegs.size();
    }
    return t.batch.run();
  }

  @Benchmark
  @Threads(1)
  public float[] oneCaller(Task t) throws Exception {
    return oneBatch(t);
  }

  @Benchmark
  @Threads(2)
  public float[] twoCallers(Task t) throws Exception {
    return oneBatch(t);
  }
}
