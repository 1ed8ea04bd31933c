package io.p9.bench;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelKey;
import io.p9.core.model.ModelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
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
 * The same network through the two model backends: ONNX Runtime ({@code .onnx}) and Deeplearning4j (the
 * Keras {@code .h5} twin, through DL4J's Keras import), model time only. One score = one batch of
 * {@code batch} preprocessed NHWC images through {@link FeatureModel#run} (images/s = score x batch), the
 * call {@code CnnFeaturizer} makes per batch; decoding and resizing are the same for both backends and are
 * measured by {@code BatchFeaturizerBenchmark}.
 *
 * <p>Networks ({@code network}): {@code mobilenetv2}, Keras' MobileNetV2 (alpha 1.0, 224x224, 3.5 M
 * parameters, random weights; generate it first with
 * {@code /usr/bin/python3 p9-core/src/test/fixtures/gen_keras_onnx.py --mobilenetv2 p9-core/target/bench-models});
 * {@code fruits_cnn}, p9's own trained 48x48 CNN; {@code tiny_mnv2}, the 32x32 MobileNetV2-block fixture
 * (the last two are committed in p9-core/src/test/resources/fixtures). The models are the same network with
 * the same weights in both formats; setup checks it by running one batch through both backends and printing
 * the largest difference.
 *
 * <p>The model comes from the per-JVM {@link ModelCache}, as on an executor. {@code twoCallers} = two task
 * threads sharing it (ONNX Runtime: one session; DL4J: one model, two network replicas over shared
 * parameters).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class BackendParityBenchmark {
  @Param({"fruits_cnn"})
  public String network;

  @Param({"onnx", "dl4j"})
  public String backend;

  @Param({"32"})
  public int batch;

  @Param({"1"})
  public int intraOpThreads;

  ModelCache.Lease lease;
  FeatureModel model;
  int size;
  FloatBuffer input;

  /** The network's file for a backend: ONNX for onnx, the Keras .h5 twin for dl4j. */
  static ModelBytes file(String network, String backend) {
    Path root = BenchData.root();
    Path fixtures = root.resolve("p9-core/src/test/resources/fixtures");
    Path p = switch (network) {
      case "mobilenetv2" -> root.resolve("p9-core/target/bench-models/mobilenetv2" + ("onnx".equals(backend)
          ? ".onnx" : ".h5"));
      case "fruits_cnn" -> fixtures.resolve("onnx".equals(backend) ? "fruits_cnn.onnx" : "fruits_cnn_seq.h5");
      case "tiny_mnv2" -> fixtures.resolve("tiny_mnv2" + ("onnx".equals(backend) ? ".onnx" : ".h5"));
      default -> throw new IllegalArgumentException("unknown network " + network);
    };
    if (!Files.exists(p)) {
      throw new IllegalStateException(p + " is missing; generate it with /usr/bin/python3"
          + " p9-core/src/test/fixtures/gen_keras_onnx.py --mobilenetv2 p9-core/target/bench-models");
    }
    try {
      return ModelBytes.of(p.getFileName().toString(), Files.readAllBytes(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int inputSize(String network) {
    return switch (network) {
      case "mobilenetv2" -> 224;
      case "fruits_cnn" -> 48;
      default -> 32;
    };
  }

  @Setup(Level.Trial)
  public void setUp() {
    size = inputSize(network);
    ModelOptions options = ModelOptions.defaults().withBackend(backend).withIntraOpThreads(intraOpThreads);
    ModelBytes mb = file(network, backend);
    lease = ModelCache.shared().acquire(new ModelKey(mb.sha256(), options), () -> mb);
    model = lease.model();
    int floats = batch * size * size * 3;
    input = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    Random rnd = new Random(20261204L);
    for (int i = 0; i < floats; i++) {
      input.put(i, (float) (2 * rnd.nextDouble() - 1)); // the Keras [-1, 1] range
    }
    String other = "onnx".equals(backend) ? "dl4j" : "onnx";
    ModelBytes twin = file(network, other);
    ModelCache isolated = ModelCache.newIsolated();
    try {
      FeatureModel m2 = isolated.acquire(new ModelKey(twin.sha256(), options.withBackend(other)), () -> twin)
          .model();
      float[] a = new float[batch * model.info().featureDim()];
      float[] b = new float[batch * m2.info().featureDim()];
      model.run(input, batch, size, size, a);
      m2.run(input, batch, size, size, b);
      double max = 0;
      double mean = 0;
      for (int i = 0; i < a.length; i++) {
        max = Math.max(max, Math.abs(a[i] - b[i]));
        mean += Math.abs(a[i]) / a.length;
      }
      System.out.printf("%n%s: %s vs %s on %d images: max |difference| %.3g (mean |feature| %.3g), %d-d%n",
          network, backend, other, batch, max, mean, model.info().featureDim());
    } finally {
      isolated.clear();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    lease.close();
    System.out.println("models created: " + ModelCache.shared().modelsCreated() + ", peak RSS MiB: "
        + BenchData.peakRssMiB());
  }

  /** One task thread's output array. */
  @State(Scope.Thread)
  public static class Out {
    float[] features;

    @Setup(Level.Trial)
    public void allocate(BackendParityBenchmark b) {
      features = new float[b.batch * b.model.info().featureDim()];
    }
  }

  @Benchmark
  @Threads(1)
  public float[] oneCaller(Out o) {
    model.run(input, batch, size, size, o.features);
    return o.features;
  }

  @Benchmark
  @Threads(2)
  public float[] twoCallers(Out o) {
    model.run(input, batch, size, size, o.features);
    return o.features;
  }
}
