package io.p9.core.image;

import io.p9.core.tensor.TensorLayout;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Resizes, reorders and normalizes a {@link PixelImage} (1, 3 or 4 channels in ImageSchema BGR(A)/gray
 * order; 4-channel input is composited on white) straight into a float array in the model's layout. Resize
 * weights are computed once per source size and reused.
 *
 * <p>Resampling is separable (a horizontal pass into a float scratch, then a vertical pass that writes
 * the normalized output) with pixel-centre alignment: output pixel {@code i} samples source coordinate
 * {@code (i + 0.5) * src / dst - 0.5}, the OpenCV {@code INTER_LINEAR} / PIL / torchvision convention.
 * Borders replicate the edge pixel. {@link Interpolation#NEAREST} is a box filter (nearest neighbour when
 * enlarging, the mean of the covered pixels when shrinking); {@link Interpolation#BILINEAR} a triangle and
 * {@link Interpolation#BICUBIC} the Keys cubic with {@code a = -0.5}. When shrinking, the filter widens by
 * the scale factor (antialiasing, as PIL does). Intermediate values stay in float (no rounding to 8 bits
 * between passes); bicubic results are clamped to [0, 255] before normalization, since its negative lobes
 * overshoot. {@link ResizeMode#CENTER_CROP} is folded into the weight tables: the image is scaled, with its
 * aspect ratio kept, so each axis covers at least {@code round(target / cropFraction)} pixels, and the
 * centred target-sized window is sampled.
 *
 * <p>Each output value is {@code x * scale / std[c] - mean[c] / std[c]} with the statistics of
 * {@link Normalization} mapped to the model's channel order.
 *
 * <p>Not thread-safe (it caches weight tables and scratch rows): use one per thread or partition.
 */
public final class Preprocessor {
  private static final int PLAN_CACHE_SIZE = 8;
  private static final float[] ALPHA = new float[256];

  static {
    for (int i = 0; i < 256; i++) {
      ALPHA[i] = i / 255f;
    }
  }

  private final PreprocessSpec spec;
  private final int outH;
  private final int outW;
  private final boolean nchw;
  private final boolean clamp;
  /** For output channel 0, 1, 2: the position of that colour in the BGR scratch rows. */
  private final int c0;
  private final int c1;
  private final int c2;
  private final float a0;
  private final float a1;
  private final float a2;
  private final float b0;
  private final float b1;
  private final float b2;

  private final Plan[] plans = new Plan[PLAN_CACHE_SIZE];
  private int nextPlanSlot;
  private Plan lastPlan;

  /** Horizontal pass output: the source rows the vertical pass needs, {@code outW * 3} floats each. */
  private float[] rows = new float[0];
  /** One output row, BGR interleaved. */
  private final float[] acc;
  /** One source row converted to BGR floats (gray and BGRA input). */
  private float[] line = new float[0];
  /** For {@link #pack(PixelImage, FloatBuffer, int)}. */
  private float[] bufferScratch;

  public Preprocessor(PreprocessSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.outH = spec.height();
    this.outW = spec.width();
    this.nchw = spec.layout() == TensorLayout.NCHW;
    this.clamp = spec.interpolation() == Interpolation.BICUBIC;
    this.acc = new float[outW * 3];
    Normalization n = spec.normalization();
    float[] mean = n.mean();
    float[] std = n.std();
    int[] bgrPos = new int[3];
    float[] a = new float[3];
    float[] b = new float[3];
    for (int c = 0; c < 3; c++) {
      int rgb = spec.channelOrder() == ChannelOrder.RGB ? c : 2 - c;
      bgrPos[c] = 2 - rgb;
      a[c] = (float) ((double) n.scale() / std[rgb]);
      b[c] = (float) (-(double) mean[rgb] / std[rgb]);
    }
    c0 = bgrPos[0];
    c1 = bgrPos[1];
    c2 = bgrPos[2];
    a0 = a[0];
    a1 = a[1];
    a2 = a[2];
    b0 = b[0];
    b1 = b[1];
    b2 = b[2];
  }

  public PreprocessSpec spec() {
    return spec;
  }

  /** Writes {@code spec.floatsPerImage()} floats for {@code image} into {@code dst} from {@code offset}. */
  public void pack(PixelImage image, float[] dst, int offset) {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(dst, "dst");
    Objects.checkFromIndexSize(offset, spec.floatsPerImage(), dst.length);
    Plan plan = plan(image.width(), image.height());
    horizontalPass(image, plan);
    verticalPass(plan, dst, offset);
  }

  /**
   * Writes {@code spec.floatsPerImage()} floats for {@code image} into {@code dst} from absolute index
   * {@code offsetFloats}, leaving the buffer's position unchanged (packs into an internal array, then one
   * bulk put).
   */
  public void pack(PixelImage image, FloatBuffer dst, int offsetFloats) {
    Objects.requireNonNull(dst, "dst");
    int n = spec.floatsPerImage();
    Objects.checkFromIndexSize(offsetFloats, n, dst.limit());
    if (bufferScratch == null) {
      bufferScratch = new float[n];
    }
    pack(image, bufferScratch, 0);
    dst.put(offsetFloats, bufferScratch, 0, n);
  }

  private Plan plan(int srcW, int srcH) {
    Plan p = lastPlan;
    if (p != null && p.srcW == srcW && p.srcH == srcH) {
      return p;
    }
    for (Plan q : plans) {
      if (q != null && q.srcW == srcW && q.srcH == srcH) {
        lastPlan = q;
        return q;
      }
    }
    p = new Plan(spec, srcW, srcH);
    plans[nextPlanSlot] = p;
    nextPlanSlot = (nextPlanSlot + 1) % plans.length;
    lastPlan = p;
    return p;
  }

  private void horizontalPass(PixelImage image, Plan plan) {
    int rowLen = outW * 3;
    int needed = plan.rowCount * rowLen;
    if (rows.length < needed) {
      rows = new float[needed];
    }
    byte[] px = image.data();
    int w = image.width();
    int channels = image.channels();
    if (channels != 3 && line.length < w * 3) {
      line = new float[w * 3];
    }
    float[] out = rows;
    int[] xo = plan.xOffset;
    float[] xw = plan.xWeight;
    int taps = plan.xTaps;
    for (int r = 0; r < plan.rowCount; r++) {
      int y = plan.rowMin + r;
      int o = r * rowLen;
      if (channels == 3) {
        int base = y * w * 3;
        for (int ox = 0, t = 0; ox < outW; ox++) {
          float s0 = 0f;
          float s1 = 0f;
          float s2 = 0f;
          for (int k = 0; k < taps; k++, t++) {
            int p = base + xo[t];
            float wt = xw[t];
            s0 += wt * (px[p] & 0xFF);
            s1 += wt * (px[p + 1] & 0xFF);
            s2 += wt * (px[p + 2] & 0xFF);
          }
          out[o++] = s0;
          out[o++] = s1;
          out[o++] = s2;
        }
      } else {
        float[] src = line;
        toBgrLine(px, y, w, channels, src);
        for (int ox = 0, t = 0; ox < outW; ox++) {
          float s0 = 0f;
          float s1 = 0f;
          float s2 = 0f;
          for (int k = 0; k < taps; k++, t++) {
            int p = xo[t];
            float wt = xw[t];
            s0 += wt * src[p];
            s1 += wt * src[p + 1];
            s2 += wt * src[p + 2];
          }
          out[o++] = s0;
          out[o++] = s1;
          out[o++] = s2;
        }
      }
    }
  }

  /** Gray is replicated; BGRA is composited on white ({@code c * a + 255 * (1 - a)}). */
  private static void toBgrLine(byte[] px, int y, int w, int channels, float[] dst) {
    if (channels == 1) {
      int s = y * w;
      for (int x = 0, d = 0; x < w; x++) {
        float g = px[s + x] & 0xFF;
        dst[d++] = g;
        dst[d++] = g;
        dst[d++] = g;
      }
    } else {
      int s = y * w * 4;
      for (int x = 0, d = 0; x < w; x++, s += 4) {
        float a = ALPHA[px[s + 3] & 0xFF];
        float white = 255f * (1f - a);
        dst[d++] = (px[s] & 0xFF) * a + white;
        dst[d++] = (px[s + 1] & 0xFF) * a + white;
        dst[d++] = (px[s + 2] & 0xFF) * a + white;
      }
    }
  }

  private void verticalPass(Plan plan, float[] dst, int offset) {
    int rowLen = outW * 3;
    int plane = outH * outW;
    float[] in = rows;
    float[] row = acc;
    int[] yo = plan.yOffset;
    float[] yw = plan.yWeight;
    int taps = plan.yTaps;
    for (int oy = 0; oy < outH; oy++) {
      int t = oy * taps;
      float w0 = yw[t];
      int o0 = yo[t];
      for (int x = 0; x < rowLen; x++) {
        row[x] = w0 * in[o0 + x];
      }
      for (int k = 1; k < taps; k++) {
        float wk = yw[t + k];
        if (wk != 0f) {
          int ok = yo[t + k];
          for (int x = 0; x < rowLen; x++) {
            row[x] += wk * in[ok + x];
          }
        }
      }
      if (clamp) {
        for (int x = 0; x < rowLen; x++) {
          row[x] = Math.min(255f, Math.max(0f, row[x]));
        }
      }
      if (nchw) {
        int d = offset + oy * outW;
        for (int ox = 0, s = 0; ox < outW; ox++, s += 3) {
          dst[d + ox] = row[s + c0] * a0 + b0;
          dst[d + plane + ox] = row[s + c1] * a1 + b1;
          dst[d + 2 * plane + ox] = row[s + c2] * a2 + b2;
        }
      } else {
        int d = offset + oy * rowLen;
        for (int s = 0; s < rowLen; s += 3) {
          dst[d++] = row[s + c0] * a0 + b0;
          dst[d++] = row[s + c1] * a1 + b1;
          dst[d++] = row[s + c2] * a2 + b2;
        }
      }
    }
  }

  /** Weight tables for one source size, in the form the two passes read them. */
  private static final class Plan {
    final int srcW;
    final int srcH;
    /** Per horizontal tap: offset of the source pixel in a row of 3-float (or 3-byte) pixels. */
    final int[] xOffset;
    final float[] xWeight;
    final int xTaps;
    /** Per vertical tap: offset of the horizontally resampled row in the scratch. */
    final int[] yOffset;
    final float[] yWeight;
    final int yTaps;
    final int rowMin;
    final int rowCount;

    Plan(PreprocessSpec spec, int srcW, int srcH) {
      this.srcW = srcW;
      this.srcH = srcH;
      int outW = spec.width();
      int outH = spec.height();
      double xScale;
      double yScale;
      double xOff = 0;
      double yOff = 0;
      if (spec.resizeMode() == ResizeMode.CENTER_CROP) {
        long rw = Math.round(outW / (double) spec.cropFraction());
        long rh = Math.round(outH / (double) spec.cropFraction());
        if ((double) rw / srcW >= (double) rh / srcH) {
          xScale = srcW / (double) rw;
          yScale = xScale;
          xOff = (rw - outW) / 2.0;
          yOff = (srcH / yScale - outH) / 2.0;
        } else {
          yScale = srcH / (double) rh;
          xScale = yScale;
          yOff = (rh - outH) / 2.0;
          xOff = (srcW / xScale - outW) / 2.0;
        }
      } else {
        xScale = srcW / (double) outW;
        yScale = srcH / (double) outH;
      }
      Interpolation f = spec.interpolation();
      ResampleTable x = ResampleTable.create(f, srcW, outW, xScale, xOff);
      ResampleTable y = ResampleTable.create(f, srcH, outH, yScale, yOff);
      xTaps = x.taps;
      xWeight = x.weight;
      xOffset = new int[x.index.length];
      for (int i = 0; i < xOffset.length; i++) {
        xOffset[i] = x.index[i] * 3;
      }
      yTaps = y.taps;
      yWeight = y.weight;
      rowMin = y.minIndex;
      rowCount = y.maxIndex - y.minIndex + 1;
      int rowLen = outW * 3;
      yOffset = new int[y.index.length];
      for (int i = 0; i < yOffset.length; i++) {
        yOffset[i] = (y.index[i] - rowMin) * rowLen;
      }
    }
  }
}
