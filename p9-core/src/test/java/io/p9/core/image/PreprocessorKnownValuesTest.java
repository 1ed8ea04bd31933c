package io.p9.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.tensor.TensorLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Preprocessor} against hand-computed values and a plain double-precision reference. */
class PreprocessorKnownValuesTest {

  @Test
  void bilinearUpscaleOf2x2To4x4UsesPixelCentres() {
    // Source (gray): [0 100; 200 50]. With half-pixel centres output x = 0..3 samples source x =
    // -0.25, 0.25, 0.75, 1.25, so after edge clamping each row becomes [a, .75a+.25b, .25a+.75b, b].
    PixelImage gray = new PixelImage(2, 2, 1, new byte[] {0, 100, (byte) 200, 50});
    float[] out = new float[3 * 16];
    new Preprocessor(TestImages.rawBgr(4, 4, Interpolation.BILINEAR)).pack(gray, out, 0);
    float[] expected = {
        0, 25, 75, 100,
        50, 59.375f, 78.125f, 87.5f,
        150, 128.125f, 84.375f, 62.5f,
        200, 162.5f, 87.5f, 50};
    for (int p = 0; p < 16; p++) {
      for (int c = 0; c < 3; c++) {
        assertThat(out[3 * p + c]).as("pixel %d channel %d", p, c).isCloseTo(expected[p], within(1e-4f));
      }
    }
  }

  @Test
  void nearestShrinkBy2AveragesEach2x2Block() {
    PixelImage gray = new PixelImage(4, 2, 1, new byte[] {0, 10, 20, 30, 40, 50, 60, (byte) 250});
    float[] out = new float[3 * 2];
    new Preprocessor(TestImages.rawBgr(1, 2, Interpolation.NEAREST)).pack(gray, out, 0);
    assertThat(out).containsExactly(new float[] {25, 25, 25, 90, 90, 90}, within(1e-4f));
  }

  @Test
  void nearestEnlargeRepeatsPixels() {
    PixelImage gray = new PixelImage(2, 1, 1, new byte[] {7, 9});
    float[] out = new float[3 * 4];
    new Preprocessor(TestImages.rawBgr(1, 4, Interpolation.NEAREST)).pack(gray, out, 0);
    assertThat(out).containsExactly(7, 7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9);
  }

  @Test
  void imagenetPresetNormalizesInRgbNchw() {
    // One pixel B=0, G=128, R=255.
    PixelImage px = new PixelImage(1, 1, 3, new byte[] {0, (byte) 128, (byte) 255});
    float[] out = new float[3];
    new Preprocessor(PreprocessSpec.imagenet(1)).pack(px, out, 0);
    assertThat(out).containsExactly(new float[] {
        (1f - 0.485f) / 0.229f, (128 / 255f - 0.456f) / 0.224f, (0f - 0.406f) / 0.225f}, within(1e-5f));
    new Preprocessor(PreprocessSpec.preset("caffe", 1)).pack(px, out, 0);
    assertThat(out).containsExactly(new float[] {0 - 103.939f, 128 - 116.779f, 255 - 123.68f}, within(1e-4f));
    new Preprocessor(PreprocessSpec.preset("mobilenet", 1)).pack(px, out, 0);
    assertThat(out).containsExactly(new float[] {1f, 128 / 127.5f - 1f, -1f}, within(1e-5f));
  }

  @Test
  void matches100x100To224BilinearOfADoubleReference() {
    Random rnd = new Random(42);
    PixelImage img = TestImages.random(rnd, 100, 100, 3);
    PreprocessSpec spec = TestImages.rawBgr(224, 224, Interpolation.BILINEAR);
    assertMatchesReference(img, spec, "100x100 -> 224x224");
  }

  /** Each case in both pass orders as well as the one the cost model picks. */
  @Test
  void matchesTheReferenceForRandomSizesFiltersAndCrops() {
    long base = 11_000;
    for (int i = 0; i < 120; i++) {
      long seed = base + i;
      Random rnd = new Random(seed);
      Interpolation f = Interpolation.values()[rnd.nextInt(3)];
      PreprocessSpec spec = TestImages.rawBgr(1 + rnd.nextInt(40), 1 + rnd.nextInt(40), f);
      // Not for NEAREST: a crop offset often puts a source pixel exactly on the box edge, where the last
      // bit of rounding decides between two pixels in both implementations alike.
      if (f != Interpolation.NEAREST && rnd.nextBoolean()) {
        float fraction = rnd.nextBoolean() ? 0.875f : 0.3f + 0.7f * rnd.nextFloat();
        spec = spec.withResize(ResizeMode.CENTER_CROP, fraction);
      }
      PixelImage img = TestImages.random(rnd, 1 + rnd.nextInt(130), 1 + rnd.nextInt(130), 3);
      for (Preprocessor.Order order : Preprocessor.Order.values()) {
        assertMatchesReference(img, spec, order, "seed " + seed + " " + order);
      }
    }
  }

  @Test
  void columnsFirstTreatsGrayAndBgraAsTheirBgrEquivalents() {
    Random rnd = new Random(13);
    PreprocessSpec spec = TestImages.rawBgr(24, 20, Interpolation.BILINEAR);
    int w = 150;
    int h = 130;
    PixelImage gray = TestImages.random(rnd, w, h, 1);
    byte[] expanded = new byte[w * h * 3];
    byte[] bgra = new byte[w * h * 4];
    for (int p = 0; p < w * h; p++) {
      Arrays.fill(expanded, 3 * p, 3 * p + 3, gray.data()[p]);
      System.arraycopy(expanded, 3 * p, bgra, 4 * p, 3);
      bgra[4 * p + 3] = (byte) 255;
    }
    float[] fromGray = new float[spec.floatsPerImage()];
    float[] fromBgra = new float[spec.floatsPerImage()];
    float[] fromBgr = new float[spec.floatsPerImage()];
    Preprocessor columnsFirst = new Preprocessor(spec, Preprocessor.Order.COLUMNS_FIRST);
    columnsFirst.pack(gray, fromGray, 0);
    columnsFirst.pack(new PixelImage(w, h, 4, bgra), fromBgra, 0);
    columnsFirst.pack(new PixelImage(w, h, 3, expanded), fromBgr, 0);
    // 3-channel rows stay interleaved, the others become planes: same values, summed in the same order
    assertThat(fromGray).containsExactly(fromBgr);
    assertThat(fromBgra).containsExactly(fromBgr);
    assertMatchesReference(new PixelImage(w, h, 3, expanded), spec, Preprocessor.Order.COLUMNS_FIRST, "gray");
  }

  @Test
  void centerCropTakesTheMiddleOfTheLongerSide() {
    // 4 wide x 2 high, columns 0..3 valued 10, 20, 30, 40; target 2x2 with cropFraction 1 keeps the scale
    // 1 (the shorter side is already 2) and must take columns 1 and 2.
    byte[] g = {10, 20, 30, 40, 10, 20, 30, 40};
    PreprocessSpec spec = TestImages.rawBgr(2, 2, Interpolation.BILINEAR)
        .withResize(ResizeMode.CENTER_CROP, 1f);
    float[] out = new float[12];
    new Preprocessor(spec).pack(new PixelImage(4, 2, 1, g), out, 0);
    assertThat(out).containsExactly(new float[] {20, 20, 20, 30, 30, 30, 20, 20, 20, 30, 30, 30},
        within(1e-4f));
  }

  @Test
  void rejectsADestinationThatIsTooSmall() {
    Preprocessor p = new Preprocessor(PreprocessSpec.imagenet(4));
    PixelImage img = TestImages.constant(3, 3, 1, 2, 3);
    assertThatThrownBy(() -> p.pack(img, new float[47], 0)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> p.pack(img, new float[48], 1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  private static void assertMatchesReference(PixelImage img, PreprocessSpec spec, String label) {
    assertMatchesReference(img, spec, Preprocessor.Order.CHEAPER, label);
  }

  private static void assertMatchesReference(PixelImage img, PreprocessSpec spec, Preprocessor.Order order,
      String label) {
    float[] out = new float[spec.floatsPerImage()];
    new Preprocessor(spec.withLayout(TensorLayout.NHWC), order).pack(img, out, 0);
    double[] ref = reference(img, spec);
    for (int k = 0; k < out.length; k++) {
      assertThat((double) out[k]).as("%s %s -> %s at %d", label, img.width() + "x" + img.height(), spec, k)
          .isCloseTo(ref[k], within(2e-3));
    }
  }

  /**
   * A direct, unoptimised evaluation of the documented mapping: for output (ox, oy) and source (sx, sy),
   * weight = k((sx - cx) / fx) * k((sy - cy) / fy), summed over every source pixel position (clamped to
   * the image) within the support and divided by the weight total; BGR raw output.
   */
  static double[] reference(PixelImage img, PreprocessSpec spec) {
    int sw = img.width();
    int sh = img.height();
    int ow = spec.width();
    int oh = spec.height();
    double scaleX = (double) sw / ow;
    double scaleY = (double) sh / oh;
    double offX = 0;
    double offY = 0;
    if (spec.resizeMode() == ResizeMode.CENTER_CROP) {
      double s = Math.max(Math.round(ow / (double) spec.cropFraction()) / (double) sw,
          Math.round(oh / (double) spec.cropFraction()) / (double) sh);
      scaleX = 1 / s;
      scaleY = 1 / s;
      offX = (sw * s - ow) / 2;
      offY = (sh * s - oh) / 2;
    }
    double fx = Math.max(1, scaleX);
    double fy = Math.max(1, scaleY);
    double support = switch (spec.interpolation()) {
      case NEAREST -> 0.5;
      case BILINEAR -> 1;
      case BICUBIC -> 2;
    };
    double[] out = new double[oh * ow * 3];
    for (int oy = 0; oy < oh; oy++) {
      double cy = (oy + offY + 0.5) * scaleY - 0.5;
      for (int ox = 0; ox < ow; ox++) {
        double cx = (ox + offX + 0.5) * scaleX - 0.5;
        double[] sum = new double[3];
        double total = 0;
        for (int sy = (int) Math.floor(cy - support * fy) - 1; sy <= cy + support * fy + 1; sy++) {
          double wy = kernel(spec.interpolation(), (sy - cy) / fy);
          for (int sx = (int) Math.floor(cx - support * fx) - 1; sx <= cx + support * fx + 1; sx++) {
            double w = wy * kernel(spec.interpolation(), (sx - cx) / fx);
            if (w == 0) {
              continue;
            }
            int px = Math.min(Math.max(sx, 0), sw - 1);
            int py = Math.min(Math.max(sy, 0), sh - 1);
            for (int c = 0; c < 3; c++) {
              sum[c] += w * TestImages.at(img, px, py, c);
            }
            total += w;
          }
        }
        for (int c = 0; c < 3; c++) {
          double v = sum[c] / total;
          if (spec.interpolation() == Interpolation.BICUBIC) {
            v = Math.min(255, Math.max(0, v));
          }
          out[(oy * ow + ox) * 3 + c] = v;
        }
      }
    }
    return out;
  }

  private static double kernel(Interpolation f, double x) {
    double a = Math.abs(x);
    switch (f) {
      case NEAREST:
        return x >= -0.5 && x < 0.5 ? 1 : 0;
      case BILINEAR:
        return Math.max(0, 1 - a);
      default:
        // Keys (1981) cubic convolution with a = -0.5, written out from its definition.
        double k = -0.5;
        if (a <= 1) {
          return (k + 2) * a * a * a - (k + 3) * a * a + 1;
        }
        if (a < 2) {
          return k * a * a * a - 5 * k * a * a + 8 * k * a - 4 * k;
        }
        return 0;
    }
  }
}
