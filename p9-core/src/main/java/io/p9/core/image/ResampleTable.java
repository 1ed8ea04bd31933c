package io.p9.core.image;

/**
 * Resampling weights for one axis: for every output sample, {@link #taps} source indices (already clamped
 * to the image, which replicates the edge) and their weights (summing to 1).
 *
 * <p>Output sample {@code i} is centred on source coordinate {@code (i + offset + 0.5) * srcPerDst - 0.5}
 * (half-pixel alignment, as OpenCV {@code INTER_LINEAR}, PIL and torchvision). {@code offset} shifts the
 * window in output pixels, which is how a centre crop is taken without materialising the resized image.
 * When shrinking ({@code srcPerDst > 1}) the kernel is stretched by {@code srcPerDst} and the weights
 * renormalized, as PIL does, so the output does not alias. Zero weights at both ends are trimmed; shorter
 * rows are padded with weight 0 on a valid index.
 */
final class ResampleTable {
  final int srcSize;
  final int dstSize;
  final int taps;
  /** {@code dstSize * taps} source indices in {@code [0, srcSize)}. */
  final int[] index;
  /** {@code dstSize * taps} weights. */
  final float[] weight;
  final int minIndex;
  final int maxIndex;

  private ResampleTable(int srcSize, int dstSize, int taps, int[] index, float[] weight) {
    this.srcSize = srcSize;
    this.dstSize = dstSize;
    this.taps = taps;
    this.index = index;
    this.weight = weight;
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    for (int v : index) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    this.minIndex = lo;
    this.maxIndex = hi;
  }

  static ResampleTable create(Interpolation filter, int srcSize, int dstSize, double srcPerDst,
      double offset) {
    if (srcSize <= 0 || dstSize <= 0 || !(srcPerDst > 0) || Double.isInfinite(srcPerDst)) {
      throw new IllegalArgumentException("bad resample axis: " + srcSize + " -> " + dstSize + ", scale "
          + srcPerDst);
    }
    double stretch = Math.max(srcPerDst, 1.0);
    double radius = support(filter) * stretch;
    int window = (int) Math.ceil(2 * radius) + 3;
    double[] w = new double[window];
    int[] start = new int[dstSize];
    int[] count = new int[dstSize];
    double[] all = new double[dstSize * window];
    int taps = 1;
    for (int i = 0; i < dstSize; i++) {
      double centre = (i + offset + 0.5) * srcPerDst - 0.5;
      int lo = (int) Math.floor(centre - radius);
      int hi = (int) Math.ceil(centre + radius);
      // Source indices may be negative here (before clamping), so "none yet" is lo - 1.
      int first = lo - 1;
      int last = lo - 1;
      double sum = 0;
      for (int j = lo; j <= hi; j++) {
        double v = kernel(filter, (j - centre) / stretch);
        w[j - lo] = v;
        if (v != 0) {
          sum += v;
          if (first < lo) {
            first = j;
          }
          last = j;
        }
      }
      if (first < lo || sum == 0) {
        // Cannot happen for these kernels; fall back to the nearest sample rather than divide by zero.
        first = last = (int) Math.round(centre);
        w[first - lo] = sum = 1;
      }
      start[i] = first;
      count[i] = last - first + 1;
      taps = Math.max(taps, count[i]);
      for (int j = first; j <= last; j++) {
        all[i * window + (j - first)] = w[j - lo] / sum;
      }
    }
    int[] index = new int[dstSize * taps];
    float[] weight = new float[dstSize * taps];
    int maxSrc = srcSize - 1;
    for (int i = 0; i < dstSize; i++) {
      int clampedLast = 0;
      for (int k = 0; k < taps; k++) {
        int t = i * taps + k;
        if (k < count[i]) {
          clampedLast = Math.min(Math.max(start[i] + k, 0), maxSrc);
          weight[t] = (float) all[i * window + k];
        }
        index[t] = clampedLast;
      }
    }
    return new ResampleTable(srcSize, dstSize, taps, index, weight);
  }

  static double support(Interpolation filter) {
    return switch (filter) {
      case NEAREST -> 0.5;
      case BILINEAR -> 1.0;
      case BICUBIC -> 2.0;
    };
  }

  /** Box, triangle, or Keys cubic with a = -0.5 (the Catmull-Rom spline PIL and OpenCV use). */
  static double kernel(Interpolation filter, double x) {
    switch (filter) {
      case NEAREST:
        return x >= -0.5 && x < 0.5 ? 1.0 : 0.0;
      case BILINEAR: {
        double ax = Math.abs(x);
        return ax < 1.0 ? 1.0 - ax : 0.0;
      }
      default: {
        double ax = Math.abs(x);
        if (ax < 1.0) {
          return (1.5 * ax - 2.5) * ax * ax + 1.0;
        }
        if (ax < 2.0) {
          return ((-0.5 * ax + 2.5) * ax - 4.0) * ax + 2.0;
        }
        return 0.0;
      }
    }
  }
}
