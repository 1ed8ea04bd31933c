package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.p9.core.image.ImageDecoder;
import io.p9.core.image.Normalization;
import io.p9.core.image.PixelImage;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.Preprocessor;
import io.p9.core.model.BatchFeaturizer;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelOptions;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.DynamicSizeOnnx;
import io.p9.core.testing.FixedBatchOnnx;
import io.p9.core.testing.Half;
import io.p9.core.testing.RepoData;
import io.p9.core.testing.TypedInputOnnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONNX models whose image input is float16, float64 or uint8 ({@link TypedInputOnnx}) on real Fruits-360
 * photos, against the hand-computed features of the float32 network and against its float32 twin.
 */
class OnnxInputTypesTest {
  static final int DIM = 4;
  static final int SIZE = 32;
  static List<PixelImage> images;

  @BeforeAll
  static void decode() throws Exception {
    images = new ArrayList<>();
    ImageDecoder decoder = new ImageDecoder();
    for (Path p : RepoData.quickSampleSpread(6)) {
      images.add(decoder.decode(Files.readAllBytes(p)));
    }
    assertThat(images.get(0).width()).as("Fruits-360 photos are 100x100").isEqualTo(100);
  }

  static OnnxFeatureModel open(String name, byte[] bytes) {
    return OnnxFeatureModel.open(ModelBytes.of(name, bytes), ModelOptions.defaults());
  }

  /** The features of {@link #images} through BatchFeaturizer (batch 4: a full batch and a partial one). */
  static float[][] featurize(OnnxFeatureModel m, PreprocessSpec spec) {
    float[][] out = new float[images.size()][];
    try (BatchFeaturizer bf = new BatchFeaturizer(m, spec, 4)) {
      int done = 0;
      for (int i = 0; i < images.size(); i++) {
        bf.add(images.get(i));
        if (bf.isFull() || i == images.size() - 1) {
          int n = bf.size();
          float[] f = bf.run();
          for (int k = 0; k < n; k++) {
            out[done + k] = java.util.Arrays.copyOfRange(f, k * DIM, (k + 1) * DIM);
          }
          done += n;
        }
      }
    }
    return out;
  }

  /** The NCHW floats the preprocessor gives for image {@code i} (NHWC specs are transposed back). */
  static float[] packed(PreprocessSpec spec, int i) {
    float[] dst = new float[spec.floatsPerImage()];
    new Preprocessor(spec).pack(images.get(i), dst, 0);
    if (spec.layout() == TensorLayout.NCHW) {
      return dst;
    }
    int hw = spec.height() * spec.width();
    float[] nchw = new float[dst.length];
    for (int p = 0; p < hw; p++) {
      for (int c = 0; c < 3; c++) {
        nchw[c * hw + p] = dst[p * 3 + c];
      }
    }
    return nchw;
  }

  static void assertClose(float[] got, float[] want, double relative, String what) {
    assertThat(got).as(what).hasSize(want.length);
    for (int c = 0; c < want.length; c++) {
      assertThat((double) got[c]).as("%s, feature %d", what, c)
          .isCloseTo(want[c], within(relative * Math.max(1, Math.abs(want[c]))));
    }
  }

  /** {@code m} gives {@code net}'s features, by hand, of each image packed with {@code spec}, rounded to float16. */
  private static void assertGivesTheFeaturesOfImagesRoundedToFloat16(OnnxFeatureModel m, TypedInputOnnx net,
      PreprocessSpec spec) {
    float[][] got = featurize(m, spec);
    for (int i = 0; i < images.size(); i++) {
      float[] rounded = packed(spec, i);
      for (int k = 0; k < rounded.length; k++) {
        rounded[k] = Half.round(rounded[k]);
      }
      assertClose(got[i], net.expectedFeatures(rounded), 1e-5, "image " + i);
    }
  }

  @Test
  void aFloat16InputRunsOnTheImagesRoundedToFloat16() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 11);
    PreprocessSpec spec = PreprocessSpec.imagenet(SIZE);
    try (OnnxFeatureModel m = open("half-in.onnx", net.castInput(DataType.FLOAT16_VALUE, null, null))) {
      assertThat(m.info().toString()).contains("input 'input' float16 [-1, 3, 32, 32] NCHW");
      assertGivesTheFeaturesOfImagesRoundedToFloat16(m, net, spec);
    }
  }

  /** A float16 input whose height and width are dynamic keeps its type at the size it is opened at. */
  @Test
  void aFloat16InputWithDynamicHeightAndWidthRunsAsFloat16AtTheRequestedSize() {
    int size = 48;
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, size, false, 23);
    byte[] dynamic = DynamicSizeOnnx.withInputDims(
        net.castInput(DataType.FLOAT16_VALUE, null, null), DynamicSizeOnnx.SYMBOLIC, 3,
        DynamicSizeOnnx.SYMBOLIC, DynamicSizeOnnx.SYMBOLIC);
    PreprocessSpec spec = PreprocessSpec.imagenet(size);
    try (OnnxFeatureModel m = OnnxFeatureModel.open(ModelBytes.of("half-in-dynamic.onnx", dynamic),
        ModelOptions.defaults().withInputSize(size, size))) {
      assertThat(m.info().toString()).contains("input 'input' float16 [-1, 3, 48, 48] NCHW");
      assertGivesTheFeaturesOfImagesRoundedToFloat16(m, net, spec);
    }
  }

  /** What convert_float_to_float16 without keep_io_types gives: float16 throughout, output included. */
  @Test
  void anAllFloat16ModelGivesItsFloat32TwinsFeaturesToHalfPrecision() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 12);
    PreprocessSpec spec = PreprocessSpec.imagenet(SIZE);
    try (OnnxFeatureModel half = open("all-half.onnx", net.allHalf());
        OnnxFeatureModel twin = open("twin.onnx", net.float32())) {
      assertThat(half.info().featureTensor()).isEqualTo("pooled");
      float[][] got = featurize(half, spec);
      float[][] want = featurize(twin, spec);
      for (int i = 0; i < images.size(); i++) {
        assertClose(want[i], net.expectedFeatures(packed(spec, i)), 1e-5, "float32 twin, image " + i);
        // inputs, weights and each op's result rounded to 11 significant bits
        assertClose(got[i], want[i], 2e-3, "float16, image " + i);
      }
    }
  }

  /** Fixed batch 4, six images: a full chunk and a padded one, each converted from its own floats. */
  @Test
  void aFixedBatchFloat16ModelGivesTheDynamicOnesFeatures() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 19);
    byte[] dynamic = net.allHalf();
    PreprocessSpec spec = PreprocessSpec.imagenet(SIZE);
    try (OnnxFeatureModel d = open("half-dynamic.onnx", dynamic);
        OnnxFeatureModel f = open("half-fixed4.onnx", FixedBatchOnnx.fixBatch(dynamic, 4))) {
      assertThat(f.info().fixedBatch()).isEqualTo(4);
      float[][] want = featurize(d, spec);
      int px = spec.floatsPerImage();
      FloatBuffer in = ByteBuffer.allocateDirect(images.size() * px * 4).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
      for (int i = 0; i < images.size(); i++) {
        new Preprocessor(spec).pack(images.get(i), in, i * px);
      }
      float[] out = new float[images.size() * DIM];
      f.run(in, images.size(), out);
      for (int i = 0; i < images.size(); i++) {
        assertThat(java.util.Arrays.copyOfRange(out, i * DIM, (i + 1) * DIM)).as("image %d", i)
            .containsExactly(want[i]);
      }
    }
  }

  @Test
  void aFloat64InputGivesTheFloat32TwinsFeatures() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, true, 13);
    PreprocessSpec spec = PreprocessSpec.preset("mobilenet", SIZE);
    try (OnnxFeatureModel m = open("double-in.onnx", net.castInput(DataType.DOUBLE_VALUE, null, null));
        OnnxFeatureModel twin = open("twin.onnx", net.float32())) {
      assertThat(m.info().layout()).isEqualTo(TensorLayout.NHWC);
      float[][] got = featurize(m, spec);
      float[][] want = featurize(twin, spec);
      for (int i = 0; i < images.size(); i++) {
        assertThat(got[i]).as("image %d", i).containsExactly(want[i]);
      }
    }
  }

  /**
   * A model that takes the pixels 0..255 as uint8 and normalizes them inside (ImageNet mean/std), at the
   * photos' own size: no resize, so the input is the decoded pixels themselves, read here straight from the
   * decoded BGR bytes.
   */
  @Test
  void aUint8InputTakesThePixelsThemselves() {
    int size = 100;
    float[] a = new float[3];
    float[] b = new float[3];
    float[] mean = {0.485f, 0.456f, 0.406f};
    float[] std = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) {
      a[c] = 1f / 255f / std[c];
      b[c] = -mean[c] / std[c];
    }
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, size, true, 14);
    try (OnnxFeatureModel m = open("uint8-in.onnx", net.castInput(DataType.UINT8_VALUE, a, b))) {
      assertThat(m.info().toString()).contains("input 'input' uint8 [-1, 100, 100, 3] NHWC");
      float[][] got = featurize(m, PreprocessSpec.preset("raw", size).withLayout(TensorLayout.NHWC));
      int hw = size * size;
      for (int i = 0; i < images.size(); i++) {
        byte[] bgr = images.get(i).data();
        float[] normalized = new float[3 * hw];
        for (int p = 0; p < hw; p++) {
          for (int c = 0; c < 3; c++) {
            normalized[c * hw + p] = (bgr[p * 3 + 2 - c] & 0xFF) * a[c] + b[c];
          }
        }
        assertClose(got[i], net.expectedFeatures(normalized), 1e-5, "image " + i);
      }
    }
  }

  /** Resized to another size, a uint8 input gets the resized samples rounded to the nearest integer. */
  @Test
  void aUint8InputOfAnotherSizeGetsTheResizedPixelsRounded() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 15);
    PreprocessSpec raw = PreprocessSpec.preset("raw", SIZE);
    try (OnnxFeatureModel m = open("uint8-nchw.onnx", net.castInput(DataType.UINT8_VALUE, null, null))) {
      float[][] got = featurize(m, raw);
      for (int i = 0; i < images.size(); i++) {
        float[] pixels = packed(raw, i);
        boolean fractional = false;
        for (int k = 0; k < pixels.length; k++) {
          fractional |= pixels[k] != Math.rint(pixels[k]);
          pixels[k] = (float) Math.rint(pixels[k]);
        }
        assertThat(fractional).as("the resize gives fractional samples").isTrue();
        assertClose(got[i], net.expectedFeatures(pixels), 1e-5, "image " + i);
      }
    }
  }

  @Test
  void aUint8InputRefusesANormalizationThatDoesNotGivePixels() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 16);
    try (OnnxFeatureModel m = open("uint8-in.onnx", net.castInput(DataType.UINT8_VALUE, null, null))) {
      assertThatThrownBy(() -> new BatchFeaturizer(m, PreprocessSpec.imagenet(SIZE), 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("BatchFeaturizer: preprocessing normalization imagenet maps red 0 to -2.117904, not an"
              + " integer in 0..255, but the model input [-1, 3, 32, 32] (NCHW) is uint8 and takes the pixels"
              + " 0..255 as they are (use raw)");
      assertThatThrownBy(() -> new BatchFeaturizer(m, PreprocessSpec.preset("unit", SIZE), 4))
          .hasMessageContaining("unit maps red 1 to 0.003921569, not an integer in 0..255");
      // values that are integers, but not the pixels' range
      Normalization inverted = Normalization.custom(1f, new float[] {-10f, 0f, 0f}, new float[] {1f, 1f, 1f});
      assertThatThrownBy(() -> new BatchFeaturizer(m, PreprocessSpec.imagenet(SIZE).withNormalization(inverted), 4))
          .hasMessageContaining("custom maps red 246 to 256.0, not an integer in 0..255");
      assertThat(Normalization.RAW.uint8Mismatch()).isNull();
      assertThat(Normalization.MOBILENET.uint8Mismatch()).startsWith("mobilenet maps red 0 to -1.0");
      assertThat(Normalization.CAFFE.uint8Mismatch()).startsWith("caffe maps red 0 to -123.68");
      try (BatchFeaturizer ok = new BatchFeaturizer(m, PreprocessSpec.preset("raw", SIZE), 4)) {
        assertThat(ok.featureDim()).isEqualTo(DIM);
      }
    }
  }

  /** The backend rounds, and refuses what rounds outside 0..255 instead of wrapping or clamping it. */
  @Test
  void aUint8InputRefusesValuesThatAreNotPixels() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, 2, false, 17);
    try (OnnxFeatureModel m = open("uint8-tiny.onnx", net.castInput(DataType.UINT8_VALUE, null, null))) {
      FloatBuffer in = ByteBuffer.allocateDirect(12 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      float[] values = {-0.5f, 0.49f, 1.5f, 2.5f, 254.5f, 255.49f, 7f, 8f, 9f, 10f, 11f, 12f};
      in.put(0, values);
      float[] out = new float[DIM];
      m.run(in, 1, out);
      float[] rounded = {0, 0, 2, 2, 254, 255, 7, 8, 9, 10, 11, 12};
      assertClose(out, net.expectedFeatures(rounded), 1e-5, "ties to even");
      for (float bad : new float[] {-0.51f, 255.5f, 300f, Float.NaN, -1e9f}) {
        in.put(5, bad);
        assertThatThrownBy(() -> m.run(in, 1, out)).as("value %s", bad)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("input 'input' is uint8 and takes pixels 0..255, but value 5 of the batch is " + bad
                + " (the preprocessing must be raw)");
      }
    }
  }

  @Test
  void anInputOfAnotherTypeIsRefusedNamingTheTypesP9Takes() {
    TypedInputOnnx net = new TypedInputOnnx(DIM, 5, SIZE, false, 18);
    byte[] int8 = net.castInput(DataType.INT8_VALUE, null, null);
    assertThatThrownBy(() -> open("int8-in.onnx", int8)).isInstanceOf(ModelException.class)
        .hasMessageContaining("int8-in.onnx").hasMessageContaining("input 'input' is TensorInfo(javaType=INT8")
        .hasMessageEndingWith("; p9 needs an image tensor of float32, float16, float64 or uint8");
  }
}
