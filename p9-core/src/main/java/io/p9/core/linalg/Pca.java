package io.p9.core.linalg;

/** PCA from an accumulated covariance, and the centred projection. */
public final class Pca {
  private Pca() {}

  /** Eigen-decomposes the accumulated covariance (needs at least 2 rows). */
  public static PcaResult fit(CovarianceAccumulator acc) {
    throw new UnsupportedOperationException("TODO");
  }

  /**
   * {@code out[j] = sum_i (x[i] - mean[i]) * components[j * d + i]} for j < k: the centred projection
   * onto the first k components ({@code components} d x k column-major as {@link PcaResult#components}).
   */
  public static void project(double[] x, double[] mean, double[] components, int k, double[] out) {
    throw new UnsupportedOperationException("TODO");
  }
}
