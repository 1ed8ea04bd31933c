package io.p9.core.linalg;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;

/** Naive references and data generators for the linalg tests. */
final class Reference {
  private Reference() {}

  /** Two-pass mean. */
  static double[] mean(double[][] rows) {
    int d = rows[0].length;
    double[] m = new double[d];
    for (double[] r : rows) {
      for (int i = 0; i < d; i++) {
        m[i] += r[i];
      }
    }
    for (int i = 0; i < d; i++) {
      m[i] /= rows.length;
    }
    return m;
  }

  /** Two-pass unbiased covariance, d x d row-major. */
  static double[] covariance(double[][] rows) {
    int d = rows[0].length;
    double[] m = mean(rows);
    double[] c = new double[d * d];
    for (double[] r : rows) {
      for (int i = 0; i < d; i++) {
        double a = r[i] - m[i];
        for (int j = 0; j < d; j++) {
          c[i * d + j] += a * (r[j] - m[j]);
        }
      }
    }
    for (int i = 0; i < c.length; i++) {
      c[i] /= rows.length - 1;
    }
    return c;
  }

  /** The textbook one-pass formula (sum xxᵀ - n m mᵀ) / (n - 1), which cancels catastrophically. */
  static double[] naiveCovariance(double[][] rows) {
    int d = rows[0].length;
    int n = rows.length;
    double[] s = new double[d];
    double[] ss = new double[d * d];
    for (double[] r : rows) {
      for (int i = 0; i < d; i++) {
        s[i] += r[i];
        for (int j = 0; j < d; j++) {
          ss[i * d + j] += r[i] * r[j];
        }
      }
    }
    double[] c = new double[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        c[i * d + j] = (ss[i * d + j] - s[i] * s[j] / n) / (n - 1);
      }
    }
    return c;
  }

  /**
   * n rows {@code x = offset + A z}, z standard normal of dimension {@code rank}, A d x rank with columns of
   * decaying scale, so the covariance A Aᵀ has a spread spectrum (and rank {@code min(rank, d)}).
   */
  static double[][] correlatedRows(Random rnd, int n, int d, int rank, double offsetScale) {
    double[] offset = new double[d];
    for (int i = 0; i < d; i++) {
      offset[i] = offsetScale * (2 * rnd.nextDouble() - 1);
    }
    double[][] a = new double[d][rank];
    for (int i = 0; i < d; i++) {
      for (int m = 0; m < rank; m++) {
        a[i][m] = rnd.nextGaussian() * Math.pow(0.7, m) * (0.5 + rnd.nextDouble());
      }
    }
    double[][] rows = new double[n][d];
    double[] z = new double[rank];
    for (double[] row : rows) {
      for (int m = 0; m < rank; m++) {
        z[m] = rnd.nextGaussian();
      }
      for (int i = 0; i < d; i++) {
        double v = offset[i];
        for (int m = 0; m < rank; m++) {
          v += a[i][m] * z[m];
        }
        row[i] = v;
      }
    }
    return rows;
  }

  static CovarianceAccumulator accumulate(int d, double[][] rows, int from, int to) {
    CovarianceAccumulator acc = new CovarianceAccumulator(d);
    for (int k = from; k < to; k++) {
      acc.add(rows[k]);
    }
    return acc;
  }

  static byte[] serialize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  @SuppressWarnings("unchecked")
  static <T> T deserialize(byte[] data) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(data))) {
      return (T) in.readObject();
    }
  }

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
    return (T) deserialize(serialize(o));
  }

  /**
   * Asserts {@code |actual - expected| <= rel * sqrt(expected_ii * expected_jj)} entry by entry: relative to
   * the scale of the covariance entry, so near-zero correlations are not held to a pure relative bound.
   */
  static void assertCovarianceClose(double[] actual, double[] expected, int d, double rel) {
    if (actual.length != d * d) {
      throw new AssertionError("covariance has " + actual.length + " values, expected " + d * d);
    }
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double e = expected[i * d + j];
        double a = actual[i * d + j];
        double tol = rel * Math.sqrt(expected[i * d + i] * expected[j * d + j]);
        if (!(Math.abs(a - e) <= tol)) {
          throw new AssertionError("covariance(" + i + ", " + j + ") = " + a + ", expected " + e + " within " + tol
              + " (relative error " + Math.abs(a - e) / Math.sqrt(expected[i * d + i] * expected[j * d + j]) + ")");
        }
      }
    }
  }

  /** Asserts {@code |actual_i - expected_i| <= tol} for all i. */
  static void assertArrayClose(String what, double[] actual, double[] expected, double tol) {
    if (actual.length != expected.length) {
      throw new AssertionError(what + " has " + actual.length + " values, expected " + expected.length);
    }
    for (int i = 0; i < actual.length; i++) {
      if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
        throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " within " + tol);
      }
    }
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
