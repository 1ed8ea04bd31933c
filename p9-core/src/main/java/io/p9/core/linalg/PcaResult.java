package io.p9.core.linalg;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * A principal component analysis of d-dimensional data: the mean and all d eigenpairs of the covariance,
 * eigenvalues sorted in decreasing order, eigenvectors of unit length with a deterministic sign (the
 * entry of largest magnitude is positive).
 *
 * <p>Immutable: the constructor and every accessor copy arrays. Serializable (Java serialization; the
 * derived ratios are recomputed on read).
 */
public final class PcaResult implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Slack on the variance target of {@link #kForVariance}, so round-off in the running sum cannot add a component. */
  static final double VARIANCE_TARGET_SLACK = 1e-12;

  /** The d-dimensional mean. */
  private final double[] mean;
  /** The d eigenvalues, decreasing, each finite and &gt;= 0. */
  private final double[] eigenvalues;
  /** The d eigenvectors, d x d column-major: column j is eigenvector j. */
  private final double[] components;
  private transient double totalVariance;
  private transient double[] cumulative;

  /**
   * A PCA of the given mean and eigenpairs (copied, and checked as {@link #requireValidEigenvalues} does).
   *
   * @param mean the d-dimensional mean
   * @param eigenvalues the d eigenvalues, decreasing, negative round-off clamped to 0
   * @param components d x d, column j is eigenvector j, column-major ({@code components[j * d + i]})
   * @throws IllegalArgumentException if the lengths do not match or the eigenvalues are not finite, &gt;= 0,
   *     decreasing and of a finite total
   */
  public PcaResult(double[] mean, double[] eigenvalues, double[] components) {
    this(mean.clone(), eigenvalues.clone(), components.clone(), true);
  }

  /** Takes ownership of the arrays (no copy). */
  PcaResult(double[] mean, double[] eigenvalues, double[] components, boolean validate) {
    this.mean = Objects.requireNonNull(mean, "mean");
    this.eigenvalues = Objects.requireNonNull(eigenvalues, "eigenvalues");
    this.components = Objects.requireNonNull(components, "components");
    if (validate) {
      validate(mean, eigenvalues, components);
    }
    derive();
  }

  private static void validate(double[] mean, double[] eigenvalues, double[] components) {
    int d = mean.length;
    if (d == 0) {
      throw new IllegalArgumentException("mean must have at least 1 value");
    }
    if (eigenvalues.length != d) {
      throw new IllegalArgumentException("eigenvalues must have " + d + " values (the mean's), got "
          + eigenvalues.length);
    }
    if ((long) components.length != (long) d * d) {
      throw new IllegalArgumentException("components must have d * d = " + (long) d * d + " values, got "
          + components.length);
    }
    requireValidEigenvalues(eigenvalues);
  }

  /**
   * Fails unless {@code eigenvalues} are as a fit gives them: each finite and &gt;= 0, decreasing, of a finite
   * total. For a holder of a fitted PCA that kept them, to check them where they were read back.
   *
   * @param eigenvalues the eigenvalues to check
   * @throws IllegalArgumentException naming the first eigenvalue that is not
   */
  public static void requireValidEigenvalues(double[] eigenvalues) {
    int d = eigenvalues.length;
    for (int j = 0; j < d; j++) {
      double v = eigenvalues[j];
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("eigenvalue " + j + " must be finite and >= 0, got " + v);
      }
      if (j > 0 && v > eigenvalues[j - 1]) {
        throw new IllegalArgumentException("eigenvalues must be decreasing, but eigenvalue " + j + " = " + v
            + " > eigenvalue " + (j - 1) + " = " + eigenvalues[j - 1]);
      }
    }
    double total = 0;
    for (double v : eigenvalues) {
      total += v;
    }
    if (Double.isInfinite(total)) {
      throw new IllegalArgumentException("eigenvalues must add up to a finite total, got " + total);
    }
  }

  /** Total variance and cumulative ratios. */
  private void derive() {
    double total = 0;
    for (double v : eigenvalues) {
      total += v;
    }
    this.totalVariance = total;
    this.cumulative = cumulativeExplainedVariance(eigenvalues);
  }

  /**
   * {@link #explainedVarianceRatio()} from the eigenvalues alone (decreasing, &gt;= 0), for a holder of a
   * fitted PCA that kept them and not the components: each over their sum, 0 everywhere if it is 0.
   *
   * @param eigenvalues the eigenvalues of a fit
   * @return the ratios, in the eigenvalues' order
   */
  public static double[] explainedVarianceRatio(double[] eigenvalues) {
    double total = 0;
    for (double v : eigenvalues) {
      total += v;
    }
    double[] ratio = new double[eigenvalues.length];
    if (total > 0) {
      for (int j = 0; j < ratio.length; j++) {
        ratio[j] = eigenvalues[j] / total;
      }
    }
    return ratio;
  }

  /**
   * {@link #cumulativeExplainedVariance()} from the eigenvalues alone (decreasing, &gt;= 0): the running sum of
   * the eigenvalues over their total, in the order the total is summed, so it never exceeds 1 and ends at
   * exactly 1 (adding up the ratios instead can end at 1.0000000000000002 or 0.9999999999999999); 0 everywhere
   * if the total is 0. {@link #kForVariance} reads these values.
   *
   * @param eigenvalues the eigenvalues of a fit
   * @return the cumulative ratios, in the eigenvalues' order
   */
  public static double[] cumulativeExplainedVariance(double[] eigenvalues) {
    int d = eigenvalues.length;
    double total = 0;
    double[] cum = new double[d];
    for (int j = 0; j < d; j++) {
      total += eigenvalues[j];
      cum[j] = total;
    }
    if (total > 0) {
      for (int j = 0; j < d; j++) {
        cum[j] /= total;
      }
    } else {
      Arrays.fill(cum, 0);
    }
    return cum;
  }

  /** {@return d, the number of values in a row of the data} */
  public int dim() {
    return mean.length;
  }

  /** {@return the mean of the data (a copy)} */
  public double[] mean() {
    return mean.clone();
  }

  /** {@return the d eigenvalues of the covariance, decreasing (a copy)} */
  public double[] eigenvalues() {
    return eigenvalues.clone();
  }

  /**
   * {@return the variance along each component, decreasing} The same as {@link #eigenvalues()} (scikit-learn's
   * {@code explained_variance_}; Spark's {@code PCAModel.explainedVariance} is the proportion, here
   * {@link #explainedVarianceRatio()}).
   */
  public double[] explainedVariance() {
    return eigenvalues();
  }

  /** {@return the sum of the eigenvalues: the total variance of the data (the trace of its covariance)} */
  public double totalVariance() {
    return totalVariance;
  }

  /**
   * {@return each eigenvalue over the sum of all eigenvalues, decreasing} They sum to 1 (0 everywhere if the
   * data is constant).
   */
  public double[] explainedVarianceRatio() {
    return explainedVarianceRatio(eigenvalues);
  }

  /**
   * {@return the running sum of {@link #explainedVarianceRatio()} (up to round-off)} Non-decreasing, at most 1,
   * last entry exactly 1 (0 everywhere if the data is constant).
   */
  public double[] cumulativeExplainedVariance() {
    return cumulative.clone();
  }

  /**
   * The smallest k whose cumulative explained variance is >= target, target in (0, 1]. A slack of 1e-12 on
   * the target absorbs round-off (so {@code kForVariance(1.0)} is the numerical rank, trailing eigenvalues
   * below 1e-12 of the total not counted). Constant data (total variance 0) gives 1.
   *
   * @param target the fraction of the total variance to keep
   * @return k, in [1, d]
   * @throws IllegalArgumentException if target is not in (0, 1]
   */
  public int kForVariance(double target) {
    return kForCumulative(cumulative, target);
  }

  /**
   * {@link #kForVariance(double)} from the eigenvalues alone (decreasing, &gt;= 0), for a holder of a fitted PCA
   * that kept them: the same k the fit chose for {@code target}.
   *
   * @param eigenvalues the eigenvalues of a fit
   * @param target the fraction of the total variance to keep, in (0, 1]
   * @return k, in [1, d]
   * @throws IllegalArgumentException if target is not in (0, 1]
   */
  public static int kForVariance(double[] eigenvalues, double target) {
    return kForCumulative(cumulativeExplainedVariance(eigenvalues), target);
  }

  private static int kForCumulative(double[] cumulative, double target) {
    if (!(target > 0 && target <= 1)) {
      throw new IllegalArgumentException("variance target must be in (0, 1], got " + target);
    }
    // all 0 where the total variance is 0 (constant data): 1 component
    if (cumulative.length == 0 || cumulative[cumulative.length - 1] == 0) {
      return 1;
    }
    double goal = target - VARIANCE_TARGET_SLACK;
    for (int j = 0; j < cumulative.length; j++) {
      if (cumulative[j] >= goal) {
        return j + 1;
      }
    }
    return cumulative.length;
  }

  /**
   * {@return the first k components, d x k column-major (column j = eigenvector j)}
   *
   * @param k the number of components
   * @throws IllegalArgumentException if k is not in [1, d]
   */
  public double[] components(int k) {
    int d = mean.length;
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("k must be in [1, " + d + "], got " + k);
    }
    return Arrays.copyOf(components, k * d);
  }

  /**
   * The centred projection of {@code x} onto the first k components (a new array of k values); see
   * {@link Pca#project} for the allocation-free form.
   *
   * @param x a row of d values
   * @param k the number of components, in [1, d]
   * @return the k projected values
   * @throws IllegalArgumentException if k is not in [1, d]
   */
  public double[] project(double[] x, int k) {
    int d = mean.length;
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("k must be in [1, " + d + "], got " + k);
    }
    double[] out = new double[k];
    Pca.project(x, mean, components, k, out);
    return out;
  }

  /**
   * Reads the fields, checks them as the constructor does, and derives the ratios again.
   *
   * @param in the stream
   * @throws java.io.IOException if the stream fails, or {@link InvalidObjectException} if the values are not a
   *     PCA's
   * @throws ClassNotFoundException if a class of the stream is not found
   */
  private void readObject(ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
    in.defaultReadObject();
    if (mean == null || eigenvalues == null || components == null) {
      throw new InvalidObjectException("PcaResult: missing mean, eigenvalues or components");
    }
    try {
      validate(mean, eigenvalues, components);
    } catch (IllegalArgumentException e) {
      throw (InvalidObjectException) new InvalidObjectException("PcaResult: " + e.getMessage()).initCause(e);
    }
    derive();
  }

  @Override
  public String toString() {
    int d = mean.length;
    int show = Math.min(d, 5);
    return "PcaResult[d=" + d + ", totalVariance=" + totalVariance + ", top eigenvalues="
        + Arrays.toString(Arrays.copyOf(eigenvalues, show)) + (d > show ? "..." : "") + "]";
  }
}
