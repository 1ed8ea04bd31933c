package io.p9.core.model.onnx;

import static io.p9.core.testing.DynamicSizeOnnx.SYMBOLIC;
import static io.p9.core.testing.DynamicSizeOnnx.UNSET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.image.DecodeOptions;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.DynamicSizeOnnx;
import io.p9.core.testing.RepoData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONNX models whose input height and width are dynamic ([n,3,h,w] or [n,h,w,3], as exports with dynamic axes
 * give) run at the size the options give, else at 224 as a DL4J zip does: the info reports that size, the
 * feature size is known when the model opens, and the features are those of the same graph and weights
 * exported with that fixed size. Real ONNX Runtime sessions, real sample images.
 */
class OnnxDynamicSizeTest {
  static final byte[] NCHW = DynamicSizeOnnx.nchw(5);
  static final byte[] NHWC = DynamicSizeOnnx.nhwc(5);
  static List<PixelImage> images;

  @BeforeAll
  static void decode() throws Exception {
    ImageDecoder decoder = new ImageDecoder(DecodeOptions.defaults());
    images = new ArrayList<>();
    for (Path p : RepoData.quickSampleSpread(6)) {
      images.add(decoder.decode(Files.readAllBytes(p)));
    }
  }

  static OnnxFeatureModel open(byte[] bytes, ModelOptions options) {
    return OnnxFeatureModel.open(ModelBytes.of("dynamic.onnx", bytes), options.withIntraOpThreads(1));
  }

  /** The features of the sample images, unit preprocessing at {@code h} x {@code w} in the model's layout. */
  static float[] features(OnnxFeatureModel m, int h, int w) {
    PreprocessSpec spec = PreprocessSpec.preset("unit", h).withSize(h, w).withLayout(m.info().layout());
    try (BatchFeaturizer bf = new BatchFeaturizer(m, spec, 4)) {
      float[] all = new float[images.size() * m.info().featureDim()];
      int done = 0;
      for (int i = 0; i < images.size(); i++) {
        bf.add(images.get(i));
        if (bf.isFull() || i == images.size() - 1) {
          int n = bf.size();
          System.arraycopy(bf.run(), 0, all, done * bf.featureDim(), n * bf.featureDim());
          done += n;
        }
      }
      return all;
    }
  }

  @Test
  void nchwAndNhwcModelsRunAtTheRequestedSizeWithTheFixedExportsFeatures() {
    for (boolean nhwc : new boolean[] {false, true}) {
      byte[] dynamic = nhwc ? NHWC : NCHW;
      for (int[] size : new int[][] {{40, 40}, {48, 72}}) {
        int h = size[0];
        int w = size[1];
        String what = (nhwc ? "NHWC" : "NCHW") + " at " + h + "x" + w;
        long[] fixedShape = nhwc ? new long[] {SYMBOLIC, h, w, 3} : new long[] {SYMBOLIC, 3, h, w};
        try (OnnxFeatureModel dyn = open(dynamic, ModelOptions.defaults().withInputSize(h, w));
            OnnxFeatureModel fixed = open(DynamicSizeOnnx.withInputDims(dynamic, fixedShape),
                ModelOptions.defaults())) {
          assertThat(dyn.info().layout()).as(what).isEqualTo(nhwc ? TensorLayout.NHWC : TensorLayout.NCHW);
          assertThat(dyn.info().inputShape()).as(what).containsExactly(fixedShape);
          assertThat(dyn.info().inputHeight()).as(what).isEqualTo(h);
          assertThat(dyn.info().inputWidth()).as(what).isEqualTo(w);
          assertThat(dyn.info().featureTensor()).as(what).isEqualTo("pooled");
          assertThat(dyn.info().featureDim()).as(what).isEqualTo(DynamicSizeOnnx.FEATURES);
          assertThat(dyn.info()).as(what).isEqualTo(fixed.info());
          float[] want = features(fixed, h, w);
          float[] got = features(dyn, h, w);
          assertThat(got).as(what).hasSameSizeAs(want);
          for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("%s: image %d feature %d", what, i / DynamicSizeOnnx.FEATURES,
                i % DynamicSizeOnnx.FEATURES).isCloseTo(want[i], within(1e-6f));
          }
        }
      }
    }
  }

  @Test
  void theSizeChangesTheFeaturesButNotTheirLength() {
    try (OnnxFeatureModel small = open(NCHW, ModelOptions.defaults().withInputSize(32, 32));
        OnnxFeatureModel large = open(NCHW, ModelOptions.defaults().withInputSize(96, 96))) {
      float[] a = features(small, 32, 32);
      float[] b = features(large, 96, 96);
      assertThat(a).hasSameSizeAs(b);
      assertThat(a).isNotEqualTo(b);
    }
  }

  @Test
  void withoutARequestedSizeItRunsAt224AsADl4jZipDoes() {
    for (byte[] dynamic : List.of(NCHW, NHWC)) {
      try (OnnxFeatureModel m = open(dynamic, ModelOptions.defaults())) {
        assertThat(m.info().inputHeight()).isEqualTo(224);
        assertThat(m.info().inputWidth()).isEqualTo(224);
        assertThat(m.info().featureDim()).isEqualTo(DynamicSizeOnnx.FEATURES);
        assertThat(features(m, 224, 224)).hasSize(images.size() * DynamicSizeOnnx.FEATURES);
      }
    }
  }

  @Test
  void anAxisTheFileFixesKeepsItsSizeAndUnsetAxesAreDynamic() {
    byte[] heightFixed = DynamicSizeOnnx.withInputDims(NCHW, SYMBOLIC, 3, 40, UNSET);
    try (OnnxFeatureModel m = open(heightFixed, ModelOptions.defaults().withInputSize(32, 24))) {
      assertThat(m.info().inputShape()).containsExactly(-1, 3, 40, 24);
      assertThat(features(m, 40, 24)).hasSize(images.size() * DynamicSizeOnnx.FEATURES);
    }
    try (OnnxFeatureModel m = open(NCHW, ModelOptions.defaults().withInputSize(0, 0))) {
      assertThat(m.info().inputShape()).as("0x0 is no size").containsExactly(-1, 3, 224, 224);
    }
  }

  @Test
  void aModelThatFailsAtTheSizeSaysSoAndHowToGiveOne() {
    byte[] own12 = DynamicSizeOnnx.ownSizeOnly(3, 12);
    try (OnnxFeatureModel m = open(own12, ModelOptions.defaults().withInputSize(12, 12))) {
      assertThat(m.info().featureTensor()).isEqualTo("hidden");
      assertThat(m.info().featureDim()).isEqualTo(DynamicSizeOnnx.FEATURES);
      assertThat(features(m, 12, 12)).hasSize(images.size() * DynamicSizeOnnx.FEATURES);
    }
    assertThatThrownBy(() -> open(own12, ModelOptions.defaults()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("dynamic.onnx")
        .hasMessageContaining("[-1, 3, -1, -1]")
        .hasMessageContaining("fails at 224x224 (the default")
        .hasMessageContaining("ModelOptions.withInputSize")
        .hasMessageContaining("inputSize")
        .hasMessageContaining("sidecar");
    assertThatThrownBy(() -> open(own12, ModelOptions.defaults().withInputSize(16, 16)))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("fails at 16x16:")
        .hasMessageNotContaining("the default");
  }

  @Test
  void aDynamicChannelAxisIsRefusedSayingSo() {
    for (long[] dims : new long[][] {{SYMBOLIC, SYMBOLIC, SYMBOLIC, SYMBOLIC}, {SYMBOLIC, UNSET, 32, 32},
        {SYMBOLIC, 32, 32, SYMBOLIC}}) {
      byte[] bytes = DynamicSizeOnnx.withInputDims(NCHW, dims);
      assertThatThrownBy(() -> open(bytes, ModelOptions.defaults().withInputSize(32, 32)))
          .as(Arrays.toString(dims))
          .isInstanceOf(ModelException.class)
          .hasMessageContaining("neither axis 1 (NCHW) nor axis 3 (NHWC) has 3 channels")
          .hasMessageContaining("dynamic channel axis");
    }
  }

  @Test
  void theBackendTellsAFileThatFixesItsSizeFromOneThatDoesNot() throws Exception {
    OnnxBackend backend = new OnnxBackend();
    byte[] mobilenet = Files.readAllBytes(RepoData.mobilenet());
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx", mobilenet))).isTrue();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx",
        DynamicSizeOnnx.withInputDims(NCHW, SYMBOLIC, 3, 40, 40)))).isTrue();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx",
        DynamicSizeOnnx.withInputDims(mobilenet, SYMBOLIC, 3, SYMBOLIC, SYMBOLIC)))).isFalse();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx", NCHW))).isFalse();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx", NHWC))).isFalse();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx",
        DynamicSizeOnnx.withInputDims(NCHW, SYMBOLIC, 3, 40, UNSET)))).isFalse();
    assertThat(backend.recordsInputSize(ModelBytes.of("m.onnx", "not a model".getBytes()))).isFalse();
  }

  @Test
  void theInt8MobileNetV2WithADynamicSizeGivesTheOriginalsFeaturesAt224() throws Exception {
    byte[] original = Files.readAllBytes(RepoData.mobilenet());
    byte[] dynamic = DynamicSizeOnnx.withInputDims(original, SYMBOLIC, 3, SYMBOLIC, SYMBOLIC);
    try (OnnxFeatureModel want = open(original, ModelOptions.defaults());
        OnnxFeatureModel got = open(dynamic, ModelOptions.defaults().withInputSize(224, 224))) {
      assertThat(got.info()).isEqualTo(want.info());
      assertThat(features(got, 224, 224)).containsExactly(features(want, 224, 224));
    }
    try (OnnxFeatureModel small = open(dynamic, ModelOptions.defaults().withInputSize(160, 160))) {
      assertThat(small.info().inputShape()).containsExactly(-1, 3, 160, 160);
      assertThat(small.info().toString()).contains("input 'input' [-1, 3, 160, 160] NCHW");
      assertThat(small.info().featureDim()).isEqualTo(1280);
      assertThat(features(small, 160, 160)).hasSize(images.size() * 1280);
    }
  }
}
