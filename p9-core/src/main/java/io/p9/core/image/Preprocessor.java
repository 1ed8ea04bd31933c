package io.p9.core.image;

import io.p9.core.tensor.TensorLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Resizes, reorders and normalizes a {@link PixelImage} (1, 3 or 4 channels in ImageSchema BGR(A)/gray
 * order; 4-channel input is composited on white) straight into a float array in the model's layout. Resize
 * weights are computed once per source size and reused.
 *
 * <p>Resampling is separable with pixel-centre alignment: output pixel {@code i} samples source coordinate
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
 * <p>The two passes run in whichever order a cost model finds cheaper for the source size. Rows first (a
 * horizontal pass over each needed source row into float scratch rows, then a vertical pass that writes the
 * normalized output) suits enlarging, as for 100x100 Fruits-360 images; columns first (source rows
 * converted to float once and blended vertically, then a horizontal pass per output row) suits shrinking
 * large photos, where rows first would resample every source row horizontally.
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

  /** Which pass runs first; tests force each to check both against the reference. */
  enum Order {
    CHEAPER,
    ROWS_FIRST,
    COLUMNS_FIRST
  }

  private final PreprocessSpec spec;
  private final Order order;
  private final int outH;
  private final int outW;
  private final boolean nchw;
  private final boolean clamp;
  /** For output channel 0, 1, 2: the position of that colour in a BGR(A) source pixel. */
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

  /**
   * Horizontal pass output: the source rows the vertical pass needs, resampled to outW floats, one array
   * per row and channel (row r of channel c at {@code c * rowCount + r}). Separate arrays, not offsets
   * into one, let C2 vectorize the vertical pass.
   */
  private float[][] rows = new float[0][];
  /** One output row of one channel. */
  private final float[] acc;
  /** One source row as three float planes in output channel order. */
  private float[] line = new float[0];
  /** One NHWC output row (3 x outW), channels interleaved. */
  private final float[] pixelRow;
  /**
   * Columns first: converted source rows, slot {@code y % lineRing.length}, and the row each slot holds
   * (-1: none). At least as many slots as vertical taps, so the rows one output row needs never evict
   * each other; at most 16 MiB of them (see {@code Plan.columnsFirstIsCheaper}).
   */
  private float[][] lineRing = new float[0][];
  private int[] lineRow = new int[0];
  /** Columns first: the current output row's source rows blended, 3 x srcW floats. */
  private float[] blended = new float[0];
  /** Columns first: one output row, normalized, channel c at {@code c * outW}. */
  private float[] gathered = new float[0];

  /**
   * A preprocessor that writes inputs as {@code spec} describes.
   *
   * @param spec the input size, resizing, channel order, layout and normalization
   * @throws NullPointerException if {@code spec} is null
   */
  public Preprocessor(PreprocessSpec spec) {
    this(spec, Order.CHEAPER);
  }

  Preprocessor(PreprocessSpec spec, Order order) {
    this.order = Objects.requireNonNull(order, "order");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.outH = spec.height();
    this.outW = spec.width();
    this.nchw = spec.layout() == TensorLayout.NCHW;
    this.clamp = spec.interpolation() == Interpolation.BICUBIC;
    this.acc = new float[outW];
    this.pixelRow = nchw ? null : new float[3 * outW];
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

  /** {@return the spec this preprocessor writes inputs by} */
  public PreprocessSpec spec() {
    return spec;
  }

  /**
   * Writes {@code spec.floatsPerImage()} floats for {@code image} into {@code dst} from {@code offset}.
   *
   * @param image the decoded pixels, of any size
   * @param dst the batch array
   * @param offset the index of the image's first float in {@code dst}
   * @throws NullPointerException if {@code image} or {@code dst} is null
   * @throws IndexOutOfBoundsException if {@code dst} does not hold the image's floats from {@code offset}
   */
  public void pack(PixelImage image, float[] dst, int offset) {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(dst, "dst");
    Objects.checkFromIndexSize(offset, spec.floatsPerImage(), dst.length);
    pack(image, dst, null, offset);
  }

  /**
   * Writes {@code spec.floatsPerImage()} floats for {@code image} into {@code dst} from absolute index
   * {@code offsetFloats}, leaving the buffer's position unchanged. Each output row is computed in a small
   * array and written with one bulk put, so a direct buffer (what ONNX Runtime reads) is filled without an
   * image-sized intermediate copy.
   *
   * @param image the decoded pixels, of any size
   * @param dst the batch buffer
   * @param offsetFloats the absolute index of the image's first float in {@code dst}
   * @throws NullPointerException if {@code image} or {@code dst} is null
   * @throws IndexOutOfBoundsException if the image's floats from {@code offsetFloats} go past the buffer's limit
   */
  public void pack(PixelImage image, FloatBuffer dst, int offsetFloats) {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(dst, "dst");
    Objects.checkFromIndexSize(offsetFloats, spec.floatsPerImage(), dst.limit());
    pack(image, null, dst, offsetFloats);
  }

  /** Into {@code array}, or (when it is null) {@code buffer}, in the order the plan chose. */
  private void pack(PixelImage image, float[] array, FloatBuffer buffer, int offset) {
    Plan plan = plan(image.width(), image.height());
    if (plan.columnsFirst) {
      packColumnsFirst(image, plan, array, buffer, offset);
    } else {
      horizontalPass(image, plan);
      verticalPass(plan, array, buffer, offset);
    }
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
    p = new Plan(spec, srcW, srcH, order);
    plans[nextPlanSlot] = p;
    nextPlanSlot = (nextPlanSlot + 1) % plans.length;
    lastPlan = p;
    return p;
  }

  /**
   * Converts each needed source row to three float planes in the model's channel order (gray expanded,
   * alpha composited on white), then resamples it horizontally into {@link #rows}: channel c, row r at
   * {@code c * rowCount + r}.
   */
  private void horizontalPass(PixelImage image, Plan plan) {
    int n = 3 * plan.rowCount;
    if (rows.length < n) {
      float[][] grown = Arrays.copyOf(rows, n);
      for (int i = rows.length; i < n; i++) {
        grown[i] = new float[outW];
      }
      rows = grown;
    }
    if (image.channels() == 3) {
      horizontalPassBgr(image, plan);
      return;
    }
    int w = image.width();
    if (line.length < 3 * w) {
      line = new float[3 * w];
    }
    float[] src = line;
    int[] xi = plan.xIndex;
    float[] xw = plan.xWeight;
    int taps = plan.xTaps;
    for (int r = 0; r < plan.rowCount; r++) {
      toPlanarLine(image, plan.rowMin + r, src);
      for (int c = 0; c < 3; c++) {
        int so = c * w;
        float[] out = rows[c * plan.rowCount + r];
        for (int ox = 0, t = 0; ox < outW; ox++) {
          float sum = 0f;
          for (int k = 0; k < taps; k++, t++) {
            sum += xw[t] * src[so + xi[t]];
          }
          out[ox] = sum;
        }
      }
    }
  }

  /**
   * The common case, 3-channel input: samples the interleaved BGR bytes directly, each tap's index and
   * weight loaded once for all three channels.
   */
  private void horizontalPassBgr(PixelImage image, Plan plan) {
    byte[] px = image.data();
    int stride = image.width() * 3;
    int[] xi = plan.xIndex3;
    float[] xw = plan.xWeight;
    int taps = plan.xTaps;
    int p0 = c0;
    int p1 = c1;
    int p2 = c2;
    for (int r = 0; r < plan.rowCount; r++) {
      int base = (plan.rowMin + r) * stride;
      float[] out0 = rows[r];
      float[] out1 = rows[plan.rowCount + r];
      float[] out2 = rows[2 * plan.rowCount + r];
      if (plan.runEnd != null) {
        horizontalRunsBgr(px, base, plan, out0, out1, out2);
      } else if (taps == 2) {
        for (int ox = 0, t = 0; ox < outW; ox++, t += 2) {
          int a = base + xi[t];
          int b = base + xi[t + 1];
          float wa = xw[t];
          float wb = xw[t + 1];
          out0[ox] = wa * (px[a + p0] & 0xFF) + wb * (px[b + p0] & 0xFF);
          out1[ox] = wa * (px[a + p1] & 0xFF) + wb * (px[b + p1] & 0xFF);
          out2[ox] = wa * (px[a + p2] & 0xFF) + wb * (px[b + p2] & 0xFF);
        }
      } else {
        for (int ox = 0, t = 0; ox < outW; ox++) {
          float s0 = 0f;
          float s1 = 0f;
          float s2 = 0f;
          for (int k = 0; k < taps; k++, t++) {
            int a = base + xi[t];
            float wt = xw[t];
            s0 += wt * (px[a + p0] & 0xFF);
            s1 += wt * (px[a + p1] & 0xFF);
            s2 += wt * (px[a + p2] & 0xFF);
          }
          out0[ox] = s0;
          out1[ox] = s1;
          out2[ox] = s2;
        }
      }
    }
  }

  /**
   * Two-tap enlarging (bilinear upscale): consecutive outputs that read the same two source pixels form a
   * run, so each pixel pair is loaded and converted once per run instead of once per output. Same
   * arithmetic, in the same order, as the per-output loop.
   */
  private void horizontalRunsBgr(byte[] px, int base, Plan plan, float[] out0, float[] out1,
      float[] out2) {
    int[] left = plan.runLeft3;
    int[] right = plan.runRight3;
    int[] end = plan.runEnd;
    float[] wl = plan.xWeightLeft;
    float[] wr = plan.xWeightRight;
    int p0 = c0;
    int p1 = c1;
    int p2 = c2;
    for (int k = 0, ox = 0; k < end.length; k++) {
      int a = base + left[k];
      int b = base + right[k];
      float l0 = px[a + p0] & 0xFF;
      float l1 = px[a + p1] & 0xFF;
      float l2 = px[a + p2] & 0xFF;
      float r0 = px[b + p0] & 0xFF;
      float r1 = px[b + p1] & 0xFF;
      float r2 = px[b + p2] & 0xFF;
      for (int stop = end[k]; ox < stop; ox++) {
        float wa = wl[ox];
        float wb = wr[ox];
        out0[ox] = wa * l0 + wb * r0;
        out1[ox] = wa * l1 + wb * r1;
        out2[ox] = wa * l2 + wb * r2;
      }
    }
  }

  /** Source row {@code y} as three planes of {@code width} floats, in output channel order. */
  private void toPlanarLine(PixelImage image, int y, float[] dst) {
    byte[] px = image.data();
    int w = image.width();
    int channels = image.channels();
    int base = y * w * channels;
    if (channels == 3) {
      int p0 = c0;
      int p1 = c1;
      int p2 = c2;
      for (int x = 0, p = base; x < w; x++, p += 3) {
        dst[x] = px[p + p0] & 0xFF;
        dst[w + x] = px[p + p1] & 0xFF;
        dst[2 * w + x] = px[p + p2] & 0xFF;
      }
    } else if (channels == 1) {
      for (int x = 0; x < w; x++) {
        float v = px[base + x] & 0xFF;
        dst[x] = v;
        dst[w + x] = v;
        dst[2 * w + x] = v;
      }
    } else {
      int[] pos = {c0, c1, c2};
      for (int x = 0, p = base; x < w; x++, p += 4) {
        float alpha = ALPHA[px[p + 3] & 0xFF];
        float white = 255f * (1f - alpha);
        for (int c = 0; c < 3; c++) {
          dst[c * w + x] = (px[p + pos[c]] & 0xFF) * alpha + white;
        }
      }
    }
  }

  /**
   * Resamples vertically, clamps (bicubic), normalizes and writes one image in the model's layout, one
   * output row at a time, into {@code array} or (when it is null) {@code buffer}.
   */
  private void verticalPass(Plan plan, float[] array, FloatBuffer buffer, int offset) {
    int outPlane = outH * outW;
    float[] row = acc;
    for (int oy = 0; oy < outH; oy++) {
      if (nchw) {
        for (int c = 0; c < 3; c++) {
          outputRow(plan, oy, c, row);
          write(row, outW, array, buffer, offset + c * outPlane + oy * outW);
        }
      } else {
        float[] px = pixelRow;
        for (int c = 0; c < 3; c++) {
          outputRow(plan, oy, c, row);
          for (int x = 0, i = c; x < outW; x++, i += 3) {
            px[i] = row[x];
          }
        }
        write(px, 3 * outW, array, buffer, offset + oy * outW * 3);
      }
    }
  }

  private static void write(float[] src, int n, float[] array, FloatBuffer buffer, int at) {
    write(src, 0, n, array, buffer, at);
  }

  private static void write(float[] src, int from, int n, float[] array, FloatBuffer buffer, int at) {
    if (array != null) {
      System.arraycopy(src, from, array, at, n);
    } else {
      buffer.put(at, src, from, n);
    }
  }

  /** Output row {@code oy} of channel {@code c}, normalized, into {@code row}. */
  private void outputRow(Plan plan, int oy, int c, float[] row) {
    float[][] in = rows;
    int pc = c * plan.rowCount;
    int t = oy * plan.yTaps;
    int[] yo = plan.yOffset;
    float[] yw = plan.yWeight;
    float ac = c == 0 ? a0 : c == 1 ? a1 : a2;
    float bc = c == 0 ? b0 : c == 1 ? b1 : b2;
    int w = outW;
    if (plan.yTaps == 2 && !clamp) {
      // the common case (bilinear enlarging): one vectorizable loop
      float w0 = yw[t];
      float w1 = yw[t + 1];
      float[] s0 = in[pc + yo[t]];
      float[] s1 = in[pc + yo[t + 1]];
      for (int x = 0; x < w; x++) {
        row[x] = (w0 * s0[x] + w1 * s1[x]) * ac + bc;
      }
      return;
    }
    float w0 = yw[t];
    float[] s0 = in[pc + yo[t]];
    for (int x = 0; x < w; x++) {
      row[x] = w0 * s0[x];
    }
    for (int k = 1; k < plan.yTaps; k++) {
      float wk = yw[t + k];
      if (wk != 0f) {
        float[] sk = in[pc + yo[t + k]];
        for (int x = 0; x < w; x++) {
          row[x] += wk * sk[x];
        }
      }
    }
    if (clamp) {
      for (int x = 0; x < w; x++) {
        row[x] = Math.min(255f, Math.max(0f, row[x]));
      }
    }
    for (int x = 0; x < w; x++) {
      row[x] = row[x] * ac + bc;
    }
  }

  /**
   * Columns first: per output row, blends the source rows it needs ({@link #blendSourceLines}), then
   * resamples that blended row horizontally, clamps (bicubic), normalizes and writes it.
   */
  private void packColumnsFirst(PixelImage image, Plan plan, float[] array, FloatBuffer buffer, int offset) {
    int n = 3 * image.width();
    if (blended.length < n) {
      blended = new float[n];
    }
    if (lineRing.length < plan.yTaps) {
      lineRing = Arrays.copyOf(lineRing, plan.yTaps);
      lineRow = new int[plan.yTaps];
    }
    Arrays.fill(lineRow, -1);
    // 3-channel rows stay interleaved BGR (a plain widening copy); others become planes in output order
    boolean interleaved = image.channels() == 3;
    int[] xi = interleaved ? plan.xIndex3 : plan.xIndex;
    int o0 = interleaved ? c0 : 0;
    int o1 = interleaved ? c1 : image.width();
    int o2 = interleaved ? c2 : 2 * image.width();
    if (gathered.length < 3 * outW) {
      gathered = new float[3 * outW];
    }
    float[] g = gathered;
    int outPlane = outH * outW;
    for (int oy = 0; oy < outH; oy++) {
      blendSourceLines(image, plan, oy);
      gatherRow(plan, xi, o0, o1, o2, g);
      if (nchw) {
        for (int c = 0; c < 3; c++) {
          write(g, c * outW, outW, array, buffer, offset + c * outPlane + oy * outW);
        }
      } else {
        float[] px = pixelRow;
        for (int x = 0, i = 0; x < outW; x++, i += 3) {
          px[i] = g[x];
          px[i + 1] = g[outW + x];
          px[i + 2] = g[2 * outW + x];
        }
        write(px, 3 * outW, array, buffer, offset + oy * outW * 3);
      }
    }
  }

  /**
   * Columns first: {@link #blended} = the weighted sum of the source rows output row {@code oy} needs,
   * each converted once to floats and kept in a small ring while later output rows still need it. The
   * loops run over whole rows of floats, which C2 vectorizes.
   */
  private void blendSourceLines(PixelImage image, Plan plan, int oy) {
    int n = 3 * image.width();
    int taps = plan.yTaps;
    int t0 = oy * taps;
    float[] out = blended;
    boolean first = true;
    for (int k = 0; k < taps; k++) {
      float wk = plan.yWeight[t0 + k];
      if (wk == 0f && !(first && k == taps - 1)) {
        continue;
      }
      float[] src = sourceLine(image, plan.rowMin + plan.yOffset[t0 + k]);
      if (first) {
        for (int x = 0; x < n; x++) {
          out[x] = wk * src[x];
        }
        first = false;
      } else {
        for (int x = 0; x < n; x++) {
          out[x] += wk * src[x];
        }
      }
    }
  }

  /**
   * Source row {@code y} as floats (3-channel input interleaved as it is, otherwise three planes in output
   * channel order), from the ring or converted into it.
   */
  private float[] sourceLine(PixelImage image, int y) {
    int slot = y % lineRing.length;
    float[] line = lineRing[slot];
    int n = 3 * image.width();
    if (line == null || line.length < n) {
      line = new float[n];
      lineRing[slot] = line;
      lineRow[slot] = -1;
    }
    if (lineRow[slot] != y) {
      if (image.channels() == 3) {
        byte[] px = image.data();
        for (int i = 0, p = y * n; i < n; i++, p++) {
          line[i] = px[p] & 0xFF;
        }
      } else {
        toPlanarLine(image, y, line);
      }
      lineRow[slot] = y;
    }
    return line;
  }

  /**
   * Columns first: the three output channels of one row, resampled horizontally from {@link #blended}
   * (channel c of source column x at {@code oc + xi[tap]}), clamped (bicubic) and normalized, into
   * {@code g} at {@code c * outW}. Each tap's index and weight are loaded once for all three channels.
   */
  private void gatherRow(Plan plan, int[] xi, int o0, int o1, int o2, float[] g) {
    float[] src = blended;
    float[] xw = plan.xWeight;
    int taps = plan.xTaps;
    int w = outW;
    for (int ox = 0, t = 0; ox < w; ox++) {
      float s0 = 0f;
      float s1 = 0f;
      float s2 = 0f;
      for (int k = 0; k < taps; k++, t++) {
        int i = xi[t];
        float wt = xw[t];
        s0 += wt * src[o0 + i];
        s1 += wt * src[o1 + i];
        s2 += wt * src[o2 + i];
      }
      if (clamp) {
        s0 = Math.min(255f, Math.max(0f, s0));
        s1 = Math.min(255f, Math.max(0f, s1));
        s2 = Math.min(255f, Math.max(0f, s2));
      }
      g[ox] = s0 * a0 + b0;
      g[w + ox] = s1 * a1 + b1;
      g[2 * w + ox] = s2 * a2 + b2;
    }
  }

  private static final class Plan {
    final int srcW;
    final int srcH;
    /** Per horizontal tap: the source column, and 3 x that (its byte offset in a BGR row). */
    final int[] xIndex;
    final int[] xIndex3;
    final float[] xWeight;
    final int xTaps;
    /**
     * Two taps, enlarging: the runs of outputs that read the same source pair (their left and right byte
     * offsets, and each run's exclusive end), and the per-output weights split by tap; null otherwise.
     */
    final int[] runLeft3;
    final int[] runRight3;
    final int[] runEnd;
    final float[] xWeightLeft;
    final float[] xWeightRight;
    /** Per vertical tap: the horizontally resampled row it reads (0 = rowMin). */
    final int[] yOffset;
    final float[] yWeight;
    final int yTaps;
    final int rowMin;
    final int rowCount;
    /**
     * Resample columns of the source first (convert each needed row to floats once, blend rows with
     * vectorized loops, then gather horizontally per output row) instead of rows first. Cheaper when
     * shrinking a large image, where the row-first gather would run over every source row.
     */
    final boolean columnsFirst;

    Plan(PreprocessSpec spec, int srcW, int srcH, Order order) {
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
      xIndex = x.index.clone();
      xIndex3 = new int[xIndex.length];
      for (int i = 0; i < xIndex.length; i++) {
        xIndex3[i] = 3 * xIndex[i];
      }
      int runs = 0;
      if (xTaps == 2) {
        for (int i = 0; i < outW; i++) {
          if (startsRun(xIndex, i)) {
            runs++;
          }
        }
      }
      // Worth it only when runs are long enough to save loads: enlarging by a good margin.
      if (xTaps == 2 && 3 * runs <= 2 * outW) {
        runLeft3 = new int[runs];
        runRight3 = new int[runs];
        runEnd = new int[runs];
        xWeightLeft = new float[outW];
        xWeightRight = new float[outW];
        for (int i = 0, k = -1; i < outW; i++) {
          if (startsRun(xIndex, i)) {
            k++;
            runLeft3[k] = xIndex3[2 * i];
            runRight3[k] = xIndex3[2 * i + 1];
          }
          runEnd[k] = i + 1;
          xWeightLeft[i] = xWeight[2 * i];
          xWeightRight[i] = xWeight[2 * i + 1];
        }
      } else {
        runLeft3 = null;
        runRight3 = null;
        runEnd = null;
        xWeightLeft = null;
        xWeightRight = null;
      }
      yTaps = y.taps;
      yWeight = y.weight;
      rowMin = y.minIndex;
      rowCount = y.maxIndex - y.minIndex + 1;
      columnsFirst = order == Order.CHEAPER ? columnsFirstIsCheaper(outW, outH)
          : order == Order.COLUMNS_FIRST;
      yOffset = new int[y.index.length];
      for (int i = 0; i < yOffset.length; i++) {
        yOffset[i] = y.index[i] - rowMin;
      }
    }

    /** Whether two-tap output {@code i} reads another source pair than output {@code i - 1}. */
    private static boolean startsRun(int[] xIndex, int i) {
      return i == 0 || xIndex[2 * i] != xIndex[2 * i - 2] || xIndex[2 * i + 1] != xIndex[2 * i - 1];
    }

    /**
     * A cost model in units of one scalar gather-multiply-add (per channel): widening a byte to float costs
     * about half of one, a multiply-add in a vectorized whole-row loop about a tenth, a gather in a run of
     * the two-tap enlarging path about half (fitted to timings of both orders on 100x100 to 1600x1200
     * sources with Java 17 C2 on AVX-512). Columns first also needs {@code yTaps} converted rows in
     * memory; above 16 MiB of them it is not used.
     */
    private boolean columnsFirstIsCheaper(int outW, int outH) {
      double gather = runEnd != null ? 0.5 : 1.0;
      double rowsFirst = (double) rowCount * outW * 3 * xTaps * gather
          + (double) outH * outW * 3 * yTaps * 0.1;
      double columnsFirst = (double) rowCount * srcW * 3 * 0.5
          + (double) outH * srcW * 3 * yTaps * 0.1
          + (double) outH * outW * 3 * xTaps;
      return columnsFirst < rowsFirst && (long) yTaps * srcW * 3 <= (1L << 22);
    }
  }
}
