package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.Fixtures;
import java.util.Arrays;
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

  private static ModelInfo info(long[] shape, TensorLayout layout) {
    return new ModelInfo("onnx", "input", shape, layout, "features", 8, false);
  }
}
