package io.p9.core.linalg;

import java.io.Serializable;

/**
 * One-pass, mergeable mean and covariance of d-dimensional rows, numerically stable (rows are centred per
 * block and blocks merged with the pairwise update of Chan, Golub and LeVeque), fast (rows are buffered and
 * added as a blocked rank-k update rather than one rank-1 update per row). Serializable, so Spark can
 * {@code treeAggregate} it: buffered rows are folded in before serialization.
 */
public final class CovarianceAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** An empty accumulator for rows of {@code dim} values. */
  public CovarianceAccumulator(int dim) {
    throw new UnsupportedOperationException("TODO");
  }

  public int dim() {
    throw new UnsupportedOperationException("TODO");
  }

  /** Adds one row; {@code row.length == dim()}. Returns this. */
  public CovarianceAccumulator add(double[] row) {
    throw new UnsupportedOperationException("TODO");
  }

  /** Adds another accumulator's rows into this one (same dim). Returns this. */
  public CovarianceAccumulator merge(CovarianceAccumulator other) {
    throw new UnsupportedOperationException("TODO");
  }

  public long count() {
    throw new UnsupportedOperationException("TODO");
  }

  /** The mean of the rows added so far (a copy). */
  public double[] mean() {
    throw new UnsupportedOperationException("TODO");
  }

  /** The unbiased sample covariance (divided by n - 1), d x d row-major (a copy); needs count() >= 2. */
  public double[] covariance() {
    throw new UnsupportedOperationException("TODO");
  }
}
