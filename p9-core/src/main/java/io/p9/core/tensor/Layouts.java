package io.p9.core.tensor;

import java.util.Arrays;

/**
 * Pure functions on flat image batches. Every method returns a new array and leaves its input unchanged.
 * Dimensions are the batch size {@code n}, channels {@code c}, height {@code h} and width {@code w}; the
 * array length must be exactly {@code n * c * h * w}.
 */
public final class Layouts {
  private Layouts() {}

  /** {@code [n][c][h][w]} to {@code [n][h][w][c]}. */
  public static float[] nchwToNhwc(float[] src, int n, int c, int h, int w) {
    checkShape(src, n, c, h, w);
    float[] dst = new float[src.length];
    int plane = h * w;
    int item = c * plane;
    for (int b = 0; b < n; b++) {
      int base = b * item;
      for (int ch = 0; ch < c; ch++) {
        int s = base + ch * plane;
        int d = base + ch;
        for (int p = 0; p < plane; p++, d += c) {
          dst[d] = src[s + p];
        }
      }
    }
    return dst;
  }

  /** {@code [n][h][w][c]} to {@code [n][c][h][w]}. */
  public static float[] nhwcToNchw(float[] src, int n, int c, int h, int w) {
    checkShape(src, n, c, h, w);
    float[] dst = new float[src.length];
    int plane = h * w;
    int item = c * plane;
    for (int b = 0; b < n; b++) {
      int base = b * item;
      for (int ch = 0; ch < c; ch++) {
        int s = base + ch;
        int d = base + ch * plane;
        for (int p = 0; p < plane; p++, s += c) {
          dst[d + p] = src[s];
        }
      }
    }
    return dst;
  }

  /** Item {@code index} of a batch whose items each take {@code floatsPerItem} floats (a copy). */
  public static float[] slice(float[] batch, int index, int floatsPerItem) {
    if (floatsPerItem <= 0) {
      throw new IllegalArgumentException("floatsPerItem must be > 0, was " + floatsPerItem);
    }
    if (index < 0 || (long) (index + 1) * floatsPerItem > batch.length) {
      throw new IndexOutOfBoundsException("item " + index + " of " + floatsPerItem
          + " floats is outside a batch of " + batch.length + " floats");
    }
    int from = index * floatsPerItem;
    return Arrays.copyOfRange(batch, from, from + floatsPerItem);
  }

  private static void checkShape(float[] src, int n, int c, int h, int w) {
    if (n < 0 || c <= 0 || h <= 0 || w <= 0) {
      throw new IllegalArgumentException("shape must be non-negative (n) and positive (c, h, w), was ["
          + n + ", " + c + ", " + h + ", " + w + "]");
    }
    long expected = (long) n * c * h * w;
    if (src.length != expected) {
      throw new IllegalArgumentException("array has " + src.length + " floats, shape [" + n + ", " + c + ", "
          + h + ", " + w + "] needs " + expected);
    }
  }
}
