package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.FailingOnnx;
import io.p9.core.testing.Fixtures;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchFeaturizerTest {

  /** The tiny Keras MobileNetV2-style fixture, exported to ONNX: input [N, 32, 32, 3] (NHWC). */
  private static FeatureModel tinyNhwc() {
    ModelBytes mb = ModelBytes.of("tiny_mnv2.onnx", Fixtures.bytes("tiny_mnv2.onnx"));
    ModelOptions o = ModelOptions.defaults();
    return ModelBackends.select(o.backend(), mb).load(mb, o);
  }

  @Test
  void aSpecThatGivesTheModelInputRuns() {
    try (FeatureModel m = tinyNhwc()) {
      PreprocessSpec spec = PreprocessSpec.preset("mobilenet", Fixtures.SIZE);
      assertThat(m.info().inputMismatch(spec)).isNull();
      PixelImage img = new PixelImage(40, 30, 3, new byte[40 * 30 * 3]);
      Arrays.fill(img.data(), (byte) 90);
      try (BatchFeaturizer bf = new BatchFeaturizer(m, spec, 2)) {
        bf.add(img);
        float[] out = bf.run();
        assertThat(out).hasSize(2 * m.info().featureDim());
        assertThat(bf.size()).isZero();
      }
    }
  }

  /** An NCHW spec into an NHWC model used to run, on pixels in the wrong order: wrong features, no error. */
  @Test
  void aSpecInAnotherLayoutIsRefused() {
    try (FeatureModel m = tinyNhwc()) {
      assertThat(m.info().layout()).isEqualTo(TensorLayout.NHWC);
      PreprocessSpec nchw = PreprocessSpec.preset("mobilenet", Fixtures.SIZE).withLayout(TensorLayout.NCHW);
      assertThatThrownBy(() -> new BatchFeaturizer(m, nchw, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("BatchFeaturizer: preprocessing layout NCHW does not match the model input "
              + Arrays.toString(m.info().inputShape()) + " (NHWC)");
    }
  }

  @Test
  void aSpecOfAnotherSizeThanAFixedInputIsRefused() {
    try (FeatureModel m = tinyNhwc()) {
      PreprocessSpec big = PreprocessSpec.preset("mobilenet", Fixtures.SIZE).withSize(64, 32);
      assertThatThrownBy(() -> new BatchFeaturizer(m, big, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("preprocessing size 64x32 does not match the model input");
    }
  }

  @Test
  void inputMismatchChecksLayoutChannelsAndOnlyFixedSizes() {
    PreprocessSpec spec = PreprocessSpec.imagenet(224);
    ModelInfo fixed = info(new long[] {-1, 3, 224, 224}, TensorLayout.NCHW);
    assertThat(fixed.inputMismatch(spec)).isNull();
    assertThat(fixed.inputMismatch(spec.withLayout(TensorLayout.NHWC)))
        .isEqualTo("preprocessing layout NHWC does not match the model input [-1, 3, 224, 224] (NCHW)");
    assertThat(fixed.inputMismatch(spec.withSize(224, 200))).contains("size 224x200");
    ModelInfo dynamic = info(new long[] {-1, -1, -1, 3}, TensorLayout.NHWC);
    assertThat(dynamic.inputMismatch(spec.withLayout(TensorLayout.NHWC).withSize(97, 31))).isNull();
    ModelInfo fourChannels = info(new long[] {-1, 4, 224, 224}, TensorLayout.NCHW);
    assertThat(fourChannels.inputMismatch(spec))
        .isEqualTo("preprocessing gives 3 channels but the model input [-1, 4, 224, 224] (NCHW) takes 4");
  }

  static final int SIZE = 8;

  static FeatureModel onnx(String name, byte[] model) {
    ModelBytes mb = ModelBytes.of(name, model);
    ModelOptions o = ModelOptions.defaults();
    return ModelBackends.select(o.backend(), mb).load(mb, o);
  }

  /** An 8x8 image of random pixels below {@code 151}, or all 255 when {@code white}. */
  static PixelImage image(Random rnd, boolean white) {
    byte[] bgr = new byte[SIZE * SIZE * 3];
    for (int p = 0; p < bgr.length; p++) {
      bgr[p] = (byte) (white ? 255 : rnd.nextInt(151));
    }
    return new PixelImage(SIZE, SIZE, 3, bgr);
  }

  /**
   * A real ONNX Runtime failure: the model fails on a batch with a value >= 0.9 (a white pixel under unit
   * scaling). The batch [dark, white, dark, dark] fails as a whole; run one by one, the dark images get the
   * features they get in a batch without the white one.
   */
  @Test
  void afterABatchFailsRunEachIsolatesTheImagesTheModelFailsOn() {
    long seed = 7;
    Random rnd = new Random(seed);
    PixelImage[] imgs = {image(rnd, false), image(rnd, true), image(rnd, false), image(rnd, false)};
    PreprocessSpec unit = PreprocessSpec.preset("unit", SIZE);
    try (FeatureModel m = onnx("bright-fails.onnx", FailingOnnx.failsAtOrAbove(SIZE, 0.9f));
        BatchFeaturizer bf = new BatchFeaturizer(m, unit, 4);
        BatchFeaturizer darkOnly = new BatchFeaturizer(m, unit, 4)) {
      int dim = bf.featureDim();
      assertThat(dim).isEqualTo(3);
      for (PixelImage img : imgs) {
        bf.add(img);
      }
      assertThatThrownBy(bf::run).isInstanceOf(ModelException.class)
          .hasMessageContaining("[4, 3, 8, 8]").hasMessageContaining("indices element out of data bounds");
      assertThat(bf.size()).as("the failed batch is emptied").isZero();

      RuntimeException[] alone = new RuntimeException[4];
      Arrays.fill(alone, new IllegalStateException("stale"));
      float[] got = bf.runEach(alone);
      assertThat(alone[0]).isNull();
      assertThat(alone[2]).isNull();
      assertThat(alone[3]).isNull();
      assertThat(alone[1]).isInstanceOf(ModelException.class).hasMessageContaining("[1, 3, 8, 8]")
          .hasMessageContaining("indices element out of data bounds");
      assertThat(Arrays.copyOfRange(got, dim, 2 * dim)).as("the failed image's slot").containsOnly(0f);

      darkOnly.add(imgs[0]);
      darkOnly.add(imgs[2]);
      darkOnly.add(imgs[3]);
      float[] expected = darkOnly.run().clone();
      int[] slots = {0, 2, 3};
      for (int k = 0; k < 3; k++) {
        for (int j = 0; j < dim; j++) {
          assertThat(got[slots[k] * dim + j]).as("seed %d image %d feature %d", seed, slots[k], j)
              .isCloseTo(expected[k * dim + j], within(1e-6f));
        }
      }
      assertThat(bf.blankImageFailure()).as("a black image is all zeros under unit scaling: it runs").isNull();

      // the featurizer goes on with the next batch as usual
      bf.add(imgs[0]);
      assertThat(Arrays.copyOf(bf.run(), dim)).containsExactly(Arrays.copyOf(expected, dim));
    }
  }

  @Test
  void runEachNeedsTheImagesOfTheLastRun() {
    try (FeatureModel m = onnx("bright-fails.onnx", FailingOnnx.failsAtOrAbove(SIZE, 0.9f));
        BatchFeaturizer bf = new BatchFeaturizer(m, PreprocessSpec.preset("unit", SIZE), 2)) {
      Random rnd = new Random(1);
      bf.add(image(rnd, false));
      bf.add(image(rnd, false));
      bf.run();
      assertThatThrownBy(() -> bf.runEach(new RuntimeException[1])).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the last batch had 2 images");
      bf.add(image(rnd, false));
      assertThatThrownBy(() -> bf.runEach(new RuntimeException[2])).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("added since the last run()");
      bf.close();
      assertThatThrownBy(() -> bf.runEach(new RuntimeException[2])).hasMessageContaining("closed");
      assertThatThrownBy(bf::blankImageFailure).hasMessageContaining("closed");
    }
  }

  /**
   * A model that fails on every non-zero input (it opens: ONNX Runtime is probed with zeros). Under imagenet
   * scaling a black image is not zeros, so the blank image fails too, and again on the next call; under unit
   * scaling it is zeros and runs, once: the answer is kept.
   */
  @Test
  void theBlankImageIsBlackPreprocessedAndARunIsRemembered() {
    try (FeatureModel real = onnx("non-zero-fails.onnx", FailingOnnx.failsOnNonZero(SIZE))) {
      AtomicInteger calls = new AtomicInteger();
      FeatureModel counting = new FeatureModel() {
        @Override
        public ModelInfo info() {
          return real.info();
        }

        @Override
        public void run(FloatBuffer input, int n, float[] out) {
          calls.incrementAndGet();
          real.run(input, n, out);
        }

        @Override
        public void close() {}
      };
      try (BatchFeaturizer imagenet = new BatchFeaturizer(counting, PreprocessSpec.imagenet(SIZE), 2)) {
        assertThat(imagenet.blankImageFailure()).isInstanceOf(ModelException.class)
            .hasMessageContaining("[1, 3, 8, 8]").hasMessageContaining("indices element out of data bounds");
        assertThat(imagenet.blankImageFailure()).as("a failure is not kept").isNotNull();
        assertThat(calls).hasValue(2);
      }
      calls.set(0);
      try (BatchFeaturizer unit = new BatchFeaturizer(counting, PreprocessSpec.preset("unit", SIZE), 2)) {
        assertThat(unit.blankImageFailure()).isNull();
        assertThat(unit.blankImageFailure()).isNull();
        assertThat(calls).as("the blank image ran once").hasValue(1);
      }
    }
  }

  private static ModelInfo info(long[] shape, TensorLayout layout) {
    return new ModelInfo("onnx", "input", shape, layout, "features", 8, false);
  }
}
