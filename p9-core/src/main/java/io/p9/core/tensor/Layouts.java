package io.p9.core.tensor;

import java.util.Arrays;

/**
 * Pure functions on flat image batches. Every method returns a new array and leaves its input unchanged.
 * Dimensions are the batch size {@code n}, channels {@code c}, height {@code h} and width {@code w}; the
 * array length must be exactly {@code n * c * h * w}.
 */
public final class Layouts {
  private Layouts() {}

  /**
   * {@return {@code src}, a batch laid out {@code [n][c][h][w]}, laid out {@code [n][h][w][c]}}
   *
   * @param src the batch, {@code n * c * h * w} floats
   * @param n images in the batch (&ge; 0)
   * @param c channels (&gt; 0)
   * @param h height (&gt; 0)
   * @param w width (&gt; 0)
   * @throws IllegalArgumentException if a dimension is out of range or {@code src} has another length
   */
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

  /**
   * {@return {@code src}, a batch laid out {@code [n][h][w][c]}, laid out {@code [n][c][h][w]}}
   *
   * @param src the batch, {@code n * c * h * w} floats
   * @param n images in the batch (&ge; 0)
   * @param c channels (&gt; 0)
   * @param h height (&gt; 0)
   * @param w width (&gt; 0)
   * @throws IllegalArgumentException if a dimension is out of range or {@code src} has another length
   */
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

  /**
   * {@return a copy of item {@code index} of a batch whose items each take {@code floatsPerItem} floats}
   *
   * @param batch the items one after the other
   * @param index the item, from 0
   * @param floatsPerItem the floats of one item (&gt; 0)
   * @throws IllegalArgumentException if {@code floatsPerItem} is not positive
   * @throws IndexOutOfBoundsException if the item lies outside {@code batch}
   */
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
