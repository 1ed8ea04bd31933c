package io.p9.core.linalg;

import java.util.Arrays;
import java.util.Objects;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * PCA from an accumulated covariance, and the centred projection.
 *
 * <p>{@link #fit} runs on the driver: EJML's symmetric QR algorithm (Householder tridiagonalization, then
 * implicit QR), about 3 s single-threaded for d = 1280, on the covariance scaled by a power of two to a largest
 * variance in [1, 2) (exact, so the result does not depend on the data's scale, subnormal variances included).
 * Variances adding up to more than the largest double are refused. Eigenvalues are sorted decreasing and negative
 * round-off is clamped to 0; each eigenvector is normalized and its sign fixed so that its entry of largest
 * magnitude is positive (among entries within a relative 1e-12 of the largest, the first one, so near-ties
 * do not flip with round-off). Eigenvectors of repeated eigenvalues are an arbitrary orthonormal basis of
 * their eigenspace, as with any eigensolver.
 */
public final class Pca {
  /**
   * {@link #fitStandardized} takes a feature whose std is at most this times the largest std as constant (factor
   * 0): 2^-52, double's epsilon.
   */
  public static final double CONSTANT_STD_RATIO = 0x1p-52;

  /** Entries within this relative distance of the largest magnitude count as tied for the sign rule. */
  private static final double SIGN_TIE = 1e-12;

  private Pca() {}

  /**
   * A lower bound of the heap {@link #fit} and {@link #fitStandardized} need for d features: three d x d
   * matrices of doubles live at once (the covariance, the eigensolver's working copy and its eigenvectors). The
   * whole fit needs more: at d = 2000 it ran out of memory under {@code -Xmx140m} and fitted under 160m, about
   * five such matrices. A heap below this bound cannot fit, whatever the collector frees.
   *
   * @param d the number of features
   * @return the bytes
   */
  public static long fitBytes(int d) {
    return 3L * d * d * Double.BYTES;
  }

  /**
   * Eigen-decomposes the accumulated covariance (needs at least 2 rows).
   *
   * @param acc the accumulated rows
   * @return the mean and all d eigenpairs
   * @throws IllegalArgumentException if the accumulator has fewer than 2 rows, its covariance is not finite
   *     (a row held NaN or an infinity; the message names the first such feature) or its variances add up to
   *     more than the largest double
   * @throws ArithmeticException if the eigensolver does not converge
   */
  public static PcaResult fit(CovarianceAccumulator acc) {
    Objects.requireNonNull(acc, "acc");
    long n = acc.count();
    if (n < 2) {
      throw new IllegalArgumentException("PCA needs at least 2 rows, got " + n);
    }
    return decompose(acc.mean(), acc.covariance());
  }

  /** PCA of a given mean and symmetric d x d row-major covariance (taken over and overwritten). */
  static PcaResult decompose(double[] mean, double[] covariance) {
    int d = mean.length;
    if ((long) covariance.length != (long) d * d) {
      throw new IllegalArgumentException("covariance must have d * d = " + (long) d * d + " values, got "
          + covariance.length);
    }
    requireFinite(covariance, d);
    // the solver works on the covariance times 2^-e, its largest variance in [1, 2): a power of two scales every
    // entry exactly, so the components are those of the data at any scale, and the solver's arithmetic stays in
    // the normal range (at variances near 1e-310 it did not converge); eigenvalues are scaled back
    int e = exponent(covariance, d);
    if (e != 0) {
      for (int i = 0; i < covariance.length; i++) {
        covariance[i] = Math.scalb(covariance[i], -e);
      }
    }
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
    if (!eig.decompose(DMatrixRMaj.wrap(d, d, covariance))) {
      throw new ArithmeticException("symmetric eigen-decomposition of the " + d + " x " + d
          + " covariance did not converge");
    }
    Integer[] order = new Integer[d];
    double[] raw = new double[d];
    for (int j = 0; j < d; j++) {
      order[j] = j;
      raw[j] = eig.getEigenvalue(j).getReal();
      if (!Double.isFinite(raw[j])) {
        throw new ArithmeticException("eigensolver returned the eigenvalue " + raw[j]);
      }
    }
    // Decreasing; ties keep the solver's order (Arrays.sort on objects is stable).
    Arrays.sort(order, (a, b) -> Double.compare(raw[b], raw[a]));
    double[] values = new double[d];
    double[] vectors = new double[d * d];
    for (int j = 0; j < d; j++) {
      int src = order[j];
      values[j] = Math.scalb(Math.max(0.0, raw[src]), e);
      DMatrixRMaj v = eig.getEigenVector(src);
      if (v == null) {
        throw new ArithmeticException("eigensolver returned no eigenvector for eigenvalue " + raw[src]);
      }
      normalizeAndOrient(v.data, vectors, j * d, d);
    }
    // the total variance, which ratios and explained variance divide by
    double total = 0;
    for (double value : values) {
      total += value;
    }
    if (total == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("the variances of the features add up to more than the largest double ("
          + Double.MAX_VALUE + "): the values are too large");
    }
    return new PcaResult(mean, values, vectors, false);
  }

  /** The binary exponent of the largest variance, 0 if all are 0. */
  private static int exponent(double[] covariance, int d) {
    double max = 0;
    for (int i = 0; i < d; i++) {
      max = Math.max(max, covariance[i * d + i]);
    }
    if (max == 0) {
      return 0;
    }
    // Math.getExponent gives Double.MIN_EXPONENT - 1 for every subnormal: scale those up first
    return max < Double.MIN_NORMAL ? Math.getExponent(Math.scalb(max, 64)) - 64 : Math.getExponent(max);
  }

  /**
   * Fails on a non-finite covariance, naming the feature: the diagonal first, since a NaN or an infinity in
   * feature i makes its variance NaN (and row and column i of the covariance), so the first off-diagonal
   * entry hit would name feature 0 as well.
   */
  private static void requireFinite(double[] covariance, int d) {
    for (int i = 0; i < d; i++) {
      double v = covariance[i * d + i];
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("the variance of feature " + i + " is " + v + ": "
            + (Double.isNaN(v) ? "a row holds NaN or an infinite value there" : "its values are too large to square"));
      }
    }
    for (int i = 0; i < covariance.length; i++) {
      if (!Double.isFinite(covariance[i])) {
        throw new IllegalArgumentException("covariance entry (" + i / d + ", " + i % d + ") is " + covariance[i]
            + ": the values are too large to multiply");
      }
    }
  }

  /** Copies {@code v} (length d) to {@code out[off..off+d)} with unit length and the sign rule applied. */
  private static void normalizeAndOrient(double[] v, double[] out, int off, int d) {
    double norm = 0;
    double max = 0;
    for (int i = 0; i < d; i++) {
      norm += v[i] * v[i];
      max = Math.max(max, Math.abs(v[i]));
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Double.isFinite(norm)) {
      throw new ArithmeticException("eigensolver returned an eigenvector of norm " + norm);
    }
    int pivot = 0;
    for (int i = 0; i < d; i++) {
      if (Math.abs(v[i]) >= max * (1 - SIGN_TIE)) {
        pivot = i;
        break;
      }
    }
    double scale = (v[pivot] < 0 ? -1.0 : 1.0) / norm;
    for (int i = 0; i < d; i++) {
      out[off + i] = v[i] * scale;
    }
  }

  /**
   * PCA of the standardized data: each feature divided by its sample standard deviation, i.e. the
   * eigen-decomposition of the correlation matrix, from the same single pass. Equivalent to Spark's
   * {@code StandardScaler(withMean = true, withStd = true)} followed by PCA. A constant feature (std 0) is
   * scaled by 0, as StandardScaler does, and so is a near-constant one, whose std is at most
   * {@link #CONSTANT_STD_RATIO} (2^-52, double's epsilon) times the largest std: its spread is below the
   * precision of the largest feature's, and 1 / std (up to 4.5e161 for a std of 2.2e-162, the smallest a double
   * variance gives) made any later value there far from its few training values dominate the scores or overflow
   * them to an infinity. Relative, so the choice does not depend on the data's unit. {@code scaleOut} (length d)
   * receives the per-feature factor {@code 1 / std} (or 0); project with {@code (x - mean) * scale} onto the
   * components.
   *
   * @param acc the accumulated rows (at least 2)
   * @param scaleOut receives the d scale factors
   * @return the mean (unscaled) and all d eigenpairs of the correlation matrix
   * @throws IllegalArgumentException as {@link #fit} does, or if {@code scaleOut} does not have d values
   * @throws ArithmeticException if the eigensolver does not converge
   */
  public static PcaResult fitStandardized(CovarianceAccumulator acc, double[] scaleOut) {
    Objects.requireNonNull(acc, "acc");
    long n = acc.count();
    if (n < 2) {
      throw new IllegalArgumentException("PCA needs at least 2 rows, got " + n);
    }
    int d = acc.dim();
    if (scaleOut.length != d) {
      throw new IllegalArgumentException("scaleOut has " + scaleOut.length + " values, expected " + d);
    }
    double[] cov = acc.covariance();
    requireFinite(cov, d);
    double maxVariance = 0;
    for (int i = 0; i < d; i++) {
      maxVariance = Math.max(maxVariance, cov[i * d + i]);
    }
    // on the stds, not the variances: the square of the ratio underflows where the variances are subnormal
    double floor = Math.sqrt(maxVariance) * CONSTANT_STD_RATIO;
    for (int i = 0; i < d; i++) {
      double std = Math.sqrt(cov[i * d + i]);
      scaleOut[i] = std > floor ? 1.0 / std : 0.0;
    }
    // (c * s_i) * s_j, not c * (s_i * s_j): the product of the factors overflows where the variances are
    // subnormal (1 / (std_i std_j) above 1.8e308), while |c_ij s_i| <= std_j keeps each step in range
    for (int i = 0; i < d; i++) {
      double si = scaleOut[i];
      for (int j = 0; j < d; j++) {
        cov[i * d + j] = cov[i * d + j] * si * scaleOut[j];
      }
    }
    return decompose(acc.mean(), cov);
  }

  /**
   * {@code out[j] = sum_i (x[i] - mean[i]) * components[j * d + i]} for {@code j < k}: the centred projection
   * onto the first k components ({@code components} d x k column-major as {@link PcaResult#components}).
   *
   * <p>No allocation; d = {@code x.length}. Four components per pass over x, so each centred value is
   * computed once per four outputs.
   *
   * @param x a row of d values
   * @param mean the d-dimensional mean
   * @param components at least k eigenvectors, d x k column-major
   * @param k the number of components to project onto
   * @param out receives the k projected values
   * @throws IllegalArgumentException if the lengths do not fit: {@code mean.length != d},
   *     {@code components.length < k * d} or {@code out.length < k}
   */
  public static void project(double[] x, double[] mean, double[] components, int k, double[] out) {
    int d = x.length;
    if (mean.length != d) {
      throw new IllegalArgumentException("x has " + d + " values but the mean has " + mean.length);
    }
    if (k < 0 || (long) k * d > components.length || out.length < k) {
      throw new IllegalArgumentException("cannot project onto " + k + " components: components has "
          + components.length + " values (needs k * d = " + (long) k * d + "), out has " + out.length);
    }
    int j = 0;
    for (; j + 3 < k; j += 4) {
      int b0 = j * d;
      int b1 = b0 + d;
      int b2 = b1 + d;
      int b3 = b2 + d;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int i = 0; i < d; i++) {
        double c = x[i] - mean[i];
        s0 += c * components[b0 + i];
        s1 += c * components[b1 + i];
        s2 += c * components[b2 + i];
        s3 += c * components[b3 + i];
      }
      out[j] = s0;
      out[j + 1] = s1;
      out[j + 2] = s2;
      out[j + 3] = s3;
    }
    for (; j < k; j++) {
      int b = j * d;
      double s = 0;
      for (int i = 0; i < d; i++) {
        s += (x[i] - mean[i]) * components[b + i];
      }
      out[j] = s;
    }
  }
}
