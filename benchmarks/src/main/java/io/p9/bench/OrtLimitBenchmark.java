package io.p9.bench;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecodeException;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.Preprocessor;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.onnx.OnnxFeatureModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
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
 * (1) The limit: ONNX Runtime alone on pre-packed float tensors (the feature-exposing model p9 runs), no
 * decode, no Spark. One score = one batch; images/s = score x batch. {@code oneCaller}: one thread calls
 * a session with {@code intraOpThreads} threads; {@code twoCallers}: two threads share one session, as
 * two Spark tasks on a 2-core executor do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class OrtLimitBenchmark {
  @Param({"int8", "fp32"})
  public String model;

  @Param({"1", "8", "32", "64"})
  public int batch;

  @Param({"1", "2"})
  public int intraOpThreads;

  /**
   * What the pre-packed tensors hold: Fruits-360 images as p9 packs them (decoded and resized once, in
   * setup), or Gaussian noise. Inference time does not depend on it (int8, batch 8, two callers: 631
   * and 634 images/s in one run), but real images leave no doubt.
   */
  @Param({"fruit"})
  public String input;

  OnnxFeatureModel session;
  int dim;

  @Setup(Level.Trial)
  public void open() {
    ModelBytes mb = BenchData.model(model);
    session = OnnxFeatureModel.open(mb, ModelOptions.defaults().withIntraOpThreads(intraOpThreads));
    dim = session.info().featureDim();
  }

  @TearDown(Level.Trial)
  public void close() {
    System.out.println("peak RSS MiB: " + BenchData.peakRssMiB());
    session.close();
  }

  /** Per-thread input and output. */
  @State(Scope.Thread)
  public static class Batch {
    FloatBuffer input;
    float[] out;

    @Setup(Level.Trial)
    public void fill(OrtLimitBenchmark b) throws ImageDecodeException {
      int n = b.batch * 3 * 224 * 224;
      input = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      if ("noise".equals(b.input)) {
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
          input.put(i, (float) r.nextGaussian());
        }
      } else {
        ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
        Preprocessor pre = new Preprocessor(PreprocessSpec.imagenet(224));
        List<byte[]> jpegs = BenchData.read(BenchData.fruitJpegs(b.batch));
        for (int i = 0; i < b.batch; i++) {
          pre.pack(decoder.decode(jpegs.get(i % jpegs.size())), input, i * 3 * 224 * 224);
        }
      }
      out = new float[b.batch * b.dim];
    }
  }

  @Benchmark
  @Threads(1)
  public float[] oneCaller(Batch b) {
    session.run(b.input, batch, b.out);
    return b.out;
  }

  @Benchmark
  @Threads(2)
  public float[] twoCallers(Batch b) {
    session.run(b.input, batch, b.out);
    return b.out;
  }
}
