package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.tensor.Layouts;
import io.p9.core.tensor.TensorLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of {@link Preprocessor} over seeded random images and specs. Each case prints its seed on
 * failure; rerun one case by setting {@code base + i} as the seed.
 */
class PreprocessorPropertyTest {
  private static final int CASES = 200;
  private static final Interpolation[] FILTERS = Interpolation.values();

  private static PreprocessSpec randomSpec(Random rnd) {
    int h = 1 + rnd.nextInt(40);
    int w = 1 + rnd.nextInt(40);
    ResizeMode mode = rnd.nextBoolean() ? ResizeMode.STRETCH : ResizeMode.CENTER_CROP;
    float fraction = rnd.nextBoolean() ? 1f : 0.5f + 0.5f * rnd.nextFloat();
    return new PreprocessSpec(h, w, mode, fraction, FILTERS[rnd.nextInt(FILTERS.length)],
        rnd.nextBoolean() ? ChannelOrder.RGB : ChannelOrder.BGR,
        rnd.nextBoolean() ? TensorLayout.NCHW : TensorLayout.NHWC, Normalization.RAW);
  }

  @Test
  void writesExactlyItsFloatsAndAConstantImageStaysConstant() {
    long base = 1_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd);
      int sw = 1 + rnd.nextInt(120);
      int sh = 1 + rnd.nextInt(120);
      int[] bgr = {rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)};
      PixelImage img = TestImages.constant(sw, sh, bgr[0], bgr[1], bgr[2]);
      int offset = rnd.nextInt(5);
      float[] dst = new float[offset + spec.floatsPerImage() + 3];
      Arrays.fill(dst, Float.NaN);
      new Preprocessor(spec).pack(img, dst, offset);
      String why = "seed " + seed + " " + sw + "x" + sh + " -> " + spec;
      for (int k = 0; k < dst.length; k++) {
        boolean inside = k >= offset && k < offset + spec.floatsPerImage();
        if (!inside) {
          assertThat(dst[k]).as(why + " untouched at " + k).isNaN();
          continue;
        }
        int c = channelOf(spec, k - offset);
        int expected = spec.channelOrder() == ChannelOrder.BGR ? bgr[c] : bgr[2 - c];
        assertThat(dst[k]).as(why + " at " + k).isCloseTo(expected, within(1e-3f));
      }
    }
  }

  /** The output channel of float {@code k} of one packed image. */
  private static int channelOf(PreprocessSpec spec, int k) {
    return spec.layout() == TensorLayout.NHWC ? k % 3 : k / (spec.height() * spec.width());
  }

  @Test
  void nearestAndBilinearStayWithinTheInputRangeAndBicubicWithin0To255() {
    long base = 2_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd).withLayout(TensorLayout.NHWC).withChannelOrder(ChannelOrder.BGR);
      int sw = 1 + rnd.nextInt(80);
      int sh = 1 + rnd.nextInt(80);
      // A narrow random range, so that leaving it is visible.
      int lo = rnd.nextInt(200);
      int span = 1 + rnd.nextInt(55);
      byte[] data = new byte[sw * sh * 3];
      for (int k = 0; k < data.length; k++) {
        data[k] = (byte) (lo + rnd.nextInt(span + 1));
      }
      PixelImage img = new PixelImage(sw, sh, 3, data);
      float[] out = new float[spec.floatsPerImage()];
      new Preprocessor(spec).pack(img, out, 0);
      String why = "seed " + seed + " " + sw + "x" + sh + " -> " + spec;
      float min = spec.interpolation() == Interpolation.BICUBIC ? 0f : lo;
      float max = spec.interpolation() == Interpolation.BICUBIC ? 255f : lo + span;
      for (float v : out) {
        assertThat(v).as(why).isBetween(min - 1e-3f, max + 1e-3f);
      }
    }
  }

  @Test
  void sameSizeResizeReproducesTheInputExactly() {
    long base = 3_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      int w = 1 + rnd.nextInt(60);
      int h = 1 + rnd.nextInt(60);
      Interpolation f = FILTERS[rnd.nextInt(FILTERS.length)];
      PixelImage img = TestImages.random(rnd, w, h, 3);
      float[] out = new float[3 * w * h];
      new Preprocessor(TestImages.rawBgr(h, w, f)).pack(img, out, 0);
      for (int k = 0; k < out.length; k++) {
        assertThat(out[k]).as("seed " + seed + " " + f + " " + w + "x" + h + " at " + k)
            .isEqualTo((float) (img.data()[k] & 0xFF));
      }
    }
  }

  @Test
  void normalizationInvertsBackToThePixels() {
    long base = 4_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      float scale = rnd.nextBoolean() ? 1f / 255f : 0.1f + 2f * rnd.nextFloat();
      float[] mean = new float[3];
      float[] std = new float[3];
      for (int c = 0; c < 3; c++) {
        mean[c] = (rnd.nextFloat() - 0.5f) * 2f * scale * 255f;
        std[c] = 0.05f + rnd.nextFloat() * 2f;
      }
      Normalization n = Normalization.custom(scale, mean, std);
      ChannelOrder order = rnd.nextBoolean() ? ChannelOrder.RGB : ChannelOrder.BGR;
      int w = 1 + rnd.nextInt(30);
      int h = 1 + rnd.nextInt(30);
      PixelImage img = TestImages.random(rnd, w, h, 3);
      PreprocessSpec spec = TestImages.rawBgr(h, w, Interpolation.BILINEAR).withNormalization(n)
          .withChannelOrder(order);
      float[] out = new float[spec.floatsPerImage()];
      new Preprocessor(spec).pack(img, out, 0);
      for (int k = 0; k < out.length; k++) {
        int c = k % 3;
        int rgb = order == ChannelOrder.RGB ? c : 2 - c;
        int bgrPos = 2 - rgb;
        double x = (out[k] * (double) std[rgb] + mean[rgb]) / scale;
        int pixel = img.data()[(k / 3) * 3 + bgrPos] & 0xFF;
        assertThat(x).as("seed " + seed + " " + n + " " + order + " at " + k).isCloseTo(pixel, within(1e-2));
      }
    }
  }

  @Test
  void nchwAndNhwcHoldTheSameValuesInTheOtherOrder() {
    long base = 5_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd).withNormalization(Normalization.IMAGENET);
      int channels = 1 + 2 * rnd.nextInt(2);
      PixelImage img = TestImages.random(rnd, 1 + rnd.nextInt(50), 1 + rnd.nextInt(50), channels);
      float[] nchw = new float[spec.floatsPerImage()];
      float[] nhwc = new float[spec.floatsPerImage()];
      new Preprocessor(spec.withLayout(TensorLayout.NCHW)).pack(img, nchw, 0);
      new Preprocessor(spec.withLayout(TensorLayout.NHWC)).pack(img, nhwc, 0);
      String why = "seed " + seed + " " + spec;
      assertThat(Layouts.nhwcToNchw(nhwc, 1, 3, spec.height(), spec.width())).as(why).containsExactly(nchw);
      assertThat(Layouts.nchwToNhwc(nchw, 1, 3, spec.height(), spec.width())).as(why).containsExactly(nhwc);
    }
  }

  @Test
  void rgbAndBgrOutputsAreAChannelPermutation() {
    long base = 6_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd).withLayout(TensorLayout.NHWC)
          .withNormalization(rnd.nextBoolean() ? Normalization.IMAGENET : Normalization.CAFFE);
      PixelImage img = TestImages.random(rnd, 1 + rnd.nextInt(50), 1 + rnd.nextInt(50), 3);
      float[] rgb = new float[spec.floatsPerImage()];
      float[] bgr = new float[spec.floatsPerImage()];
      new Preprocessor(spec.withChannelOrder(ChannelOrder.RGB)).pack(img, rgb, 0);
      new Preprocessor(spec.withChannelOrder(ChannelOrder.BGR)).pack(img, bgr, 0);
      for (int k = 0; k < rgb.length; k += 3) {
        String why = "seed " + seed + " " + spec + " pixel " + k / 3;
        assertThat(new float[] {rgb[k], rgb[k + 1], rgb[k + 2]}).as(why)
            .containsExactly(bgr[k + 2], bgr[k + 1], bgr[k]);
      }
    }
  }

  @Test
  void aBatchIsTheConcatenationOfSingleImages() {
    long base = 7_000;
    for (int i = 0; i < CASES / 4; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd).withNormalization(Normalization.MOBILENET);
      int n = 1 + rnd.nextInt(12);
      int per = spec.floatsPerImage();
      // A few recurring sizes, so that the shared preprocessor switches between cached plans.
      int[][] sizes = {{17, 23}, {100, 100}, {5, 64}, {1 + rnd.nextInt(90), 1 + rnd.nextInt(90)}};
      Preprocessor shared = new Preprocessor(spec);
      float[] batch = new float[n * per];
      FloatBuffer direct = FloatBuffer.allocate(n * per + 7);
      PixelImage[] images = new PixelImage[n];
      for (int b = 0; b < n; b++) {
        int[] s = sizes[rnd.nextInt(sizes.length)];
        images[b] = TestImages.random(rnd, s[0], s[1], new int[] {1, 3, 4}[rnd.nextInt(3)]);
        shared.pack(images[b], batch, b * per);
        shared.pack(images[b], direct, 7 + b * per);
      }
      assertThat(direct.position()).isZero();
      for (int b = 0; b < n; b++) {
        float[] alone = new float[per];
        new Preprocessor(spec).pack(images[b], alone, 0);
        String why = "seed " + seed + " item " + b + " of " + n + " " + spec;
        assertThat(Layouts.slice(batch, b, per)).as(why).containsExactly(alone);
        float[] fromBuffer = new float[per];
        direct.get(7 + b * per, fromBuffer);
        assertThat(fromBuffer).as(why + " (FloatBuffer)").containsExactly(alone);
      }
    }
  }

  @Test
  void centerCropOfAnImageWithTheTargetAspectEqualsStretch() {
    long base = 8_000;
    for (int i = 0; i < CASES; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      int th = 1 + rnd.nextInt(30);
      int tw = 1 + rnd.nextInt(30);
      // Same aspect: a rational multiple p/q of the target size.
      int p = 1 + rnd.nextInt(6);
      int q = 1 + rnd.nextInt(3);
      int sh = th * p;
      int sw = tw * p;
      if (sh % q == 0 && sw % q == 0) {
        sh /= q;
        sw /= q;
      }
      PreprocessSpec stretch = TestImages.rawBgr(th, tw, FILTERS[rnd.nextInt(FILTERS.length)]);
      PreprocessSpec crop = stretch.withResize(ResizeMode.CENTER_CROP, 1f);
      PixelImage img = TestImages.random(rnd, sw, sh, 3);
      float[] a = new float[stretch.floatsPerImage()];
      float[] b = new float[stretch.floatsPerImage()];
      new Preprocessor(stretch).pack(img, a, 0);
      new Preprocessor(crop).pack(img, b, 0);
      for (int k = 0; k < a.length; k++) {
        assertThat(b[k]).as("seed " + seed + " " + sw + "x" + sh + " -> " + tw + "x" + th + " at " + k)
            .isCloseTo(a[k], within(1e-3f));
      }
    }
  }

  @Test
  void grayEqualsItsThreeChannelExpansionAndOpaqueBgraEqualsBgr() {
    long base = 9_000;
    for (int i = 0; i < CASES / 2; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      PreprocessSpec spec = randomSpec(rnd).withNormalization(Normalization.IMAGENET);
      int w = 1 + rnd.nextInt(40);
      int h = 1 + rnd.nextInt(40);
      PixelImage gray = TestImages.random(rnd, w, h, 1);
      byte[] expanded = new byte[w * h * 3];
      PixelImage bgr = TestImages.random(rnd, w, h, 3);
      byte[] bgra = new byte[w * h * 4];
      for (int p = 0; p < w * h; p++) {
        Arrays.fill(expanded, 3 * p, 3 * p + 3, gray.data()[p]);
        System.arraycopy(bgr.data(), 3 * p, bgra, 4 * p, 3);
        bgra[4 * p + 3] = (byte) 255;
      }
      String why = "seed " + seed + " " + spec;
      assertThat(pack(spec, gray)).as(why).containsExactly(pack(spec, new PixelImage(w, h, 3, expanded)));
      assertThat(pack(spec, new PixelImage(w, h, 4, bgra))).as(why).containsExactly(pack(spec, bgr));
    }
  }

  @Test
  void transparentPixelsAreCompositedOnWhite() {
    byte[] bgra = {10, 20, 30, 0, 10, 20, 30, (byte) 255, 100, (byte) 200, 50, (byte) 128, 0, 0, 0, 0};
    float[] out = pack(TestImages.rawBgr(2, 2, Interpolation.NEAREST), new PixelImage(2, 2, 4, bgra));
    float a = 128 / 255f;
    assertThat(out).containsExactly(new float[] {255, 255, 255, 10, 20, 30,
        100 * a + 255 * (1 - a), 200 * a + 255 * (1 - a), 50 * a + 255 * (1 - a), 255, 255, 255},
        within(1e-3f));
  }

  private static float[] pack(PreprocessSpec spec, PixelImage img) {
    float[] out = new float[spec.floatsPerImage()];
    new Preprocessor(spec).pack(img, out, 0);
    return out;
  }
}
