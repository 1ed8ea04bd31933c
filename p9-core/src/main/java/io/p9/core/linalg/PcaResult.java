package io.p9.core.linalg;

import java.io.Serializable;

/**
 * A principal component analysis of d-dimensional data: the mean and all d eigenpairs of the covariance,
 * eigenvalues sorted in decreasing order, eigenvectors of unit length with a deterministic sign (the
 * entry of largest magnitude is positive).
 */
public final class PcaResult implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * @param mean the d-dimensional mean
   * @param eigenvalues the d eigenvalues, decreasing, negative round-off clamped to 0
   * @param components d x d, column j is eigenvector j, column-major ({@code components[j * d + i]})
   */
  public PcaResult(double[] mean, double[] eigenvalues, double[] components) {
    throw new UnsupportedOperationException("TODO");
  }

  public int dim() {
    throw new UnsupportedOperationException("TODO");
  }

  public double[] mean() {
    throw new UnsupportedOperationException("TODO");
  }

  public double[] eigenvalues() {
    throw new UnsupportedOperationException("TODO");
  }

  /** Eigenvalue / sum of all eigenvalues, decreasing; sums to 1 (0 everywhere if the data is constant). */
  public double[] explainedVarianceRatio() {
    throw new UnsupportedOperationException("TODO");
  }

  /** Running sum of {@link #explainedVarianceRatio()}, non-decreasing, last entry 1 (up to round-off). */
  public double[] cumulativeExplainedVariance() {
    throw new UnsupportedOperationException("TODO");
  }

  /** The smallest k whose cumulative explained variance is >= target, target in (0, 1]. */
  public int kForVariance(double target) {
    throw new UnsupportedOperationException("TODO");
  }

  /** The first k components, d x k column-major (column j = eigenvector j). */
  public double[] components(int k) {
    throw new UnsupportedOperationException("TODO");
  }
}
