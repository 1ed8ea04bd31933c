package io.p9.core.linalg;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Objects;

/**
 * One-pass, mergeable mean and covariance of d-dimensional rows, numerically stable (rows are centred per
 * block and blocks merged with the pairwise update of Chan, Golub and LeVeque), fast (rows are buffered and
 * added as a blocked rank-k update rather than one rank-1 update per row). Serializable, so Spark can
 * {@code treeAggregate} it: buffered rows are folded in before serialization.
 *
 * <p>How: {@link #add} copies the row into a buffer of {@value #BLOCK_ROWS} rows. A full buffer (or any
 * query, merge or serialization) is folded in: the block mean is computed (with a second, corrective pass),
 * the running mean (a double-double, so a large offset costs no digits) is updated, and the block, centred
 * at {@code blockMean - sqrt(na/n)·δ} ({@code δ = blockMean - runningMean}), goes through one symmetric
 * rank-k update of the upper triangle of the comoment: its Gram matrix is exactly the block's comoment plus
 * the between-means term {@code δδᵀ·na·nb/n} of the pairwise formula. Memory: {@code d(d+1)/2} doubles for
 * the comoment (6.6 MB at d = 1280) plus the buffer ({@value #BLOCK_ROWS} rows, 1.3 MB at d = 1280), both
 * allocated on the first row, so an empty accumulator (Spark's {@code zeroValue}) is a few bytes.
 *
 * <p>Serialization: Java serialization writes a compact form (count, mean, packed upper triangle) after
 * folding the buffered rows; the buffer is never written. A field-by-field serializer (Kryo's default
 * {@code FieldSerializer}) also gives a correct copy, buffered rows included, since no state is transient.
 *
 * <p>Not thread-safe: one instance per task, as in {@code aggregate}/{@code treeAggregate}.
 */
public final class CovarianceAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Rows buffered before a fold; each fold costs {@code BLOCK_ROWS·d²/2} multiply-adds. */
  static final int BLOCK_ROWS = 128;

  /** The number of values in a row. */
  private final int dim;
  /** Rows folded into {@link #mean} and {@link #comoment}. */
  private long count;
  /**
   * Mean of the folded rows, as the unevaluated sum {@code mean[i] + meanLo[i]} (double-double): with a large
   * offset (1e8 + unit noise) a plain double mean is off by up to half an ulp of the offset, and that error
   * enters the comoment linearly through {@code δ} at every fold. Null while {@code count == 0}.
   */
  private double[] mean;
  /** The low parts of the double-double mean (see {@link #mean}). Null while {@code count == 0}. */
  private double[] meanLo;
  /**
   * Sum over folded rows of {@code (x - mean)(x - mean)ᵀ}, upper triangle: row {@code i} holds columns
   * {@code j >= i} at {@code j - i}. Null while {@code count == 0}.
   */
  private double[][] comoment;
  /** Buffered rows, row-major, {@code BLOCK_ROWS} rows. */
  private double[] block;
  /** Rows in {@link #block} not yet folded. */
  private int pending;

  /**
   * A lower bound of the heap an accumulator of {@code dim} values takes once it holds a row: the comoment's upper
   * triangle of doubles, 4 d (d + 1) bytes (its row buffer and mean come on top).
   *
   * @param dim the number of values in a row
   * @return the bytes
   */
  public static long triangleBytes(int dim) {
    return 4L * dim * (dim + 1);
  }

  /** The largest dim: the d x d {@link #covariance()} must fit one Java array. */
  public static final int MAX_DIM = 46340;

  /**
   * An empty accumulator.
   *
   * @param dim the number of values in a row, {@code 0 < dim <= MAX_DIM}
   * @throws IllegalArgumentException if {@code dim} is out of that range
   */
  public CovarianceAccumulator(int dim) {
    if (dim <= 0 || dim > MAX_DIM) {
      throw new IllegalArgumentException("dim must be in [1, " + MAX_DIM + "], got " + dim);
    }
    this.dim = dim;
  }

  /** A deep copy, buffered rows folded. */
  private CovarianceAccumulator(CovarianceAccumulator other) {
    other.fold();
    this.dim = other.dim;
    this.count = other.count;
    this.mean = other.mean == null ? null : other.mean.clone();
    this.meanLo = other.meanLo == null ? null : other.meanLo.clone();
    this.comoment = copy(other.comoment);
  }

  /** {@return the number of values in a row} */
  public int dim() {
    return dim;
  }

  /**
   * Adds one row (copied into the buffer).
   *
   * @param row {@link #dim()} values
   * @return this
   * @throws IllegalArgumentException if {@code row} has another length
   */
  public CovarianceAccumulator add(double[] row) {
    Objects.requireNonNull(row, "row");
    if (row.length != dim) {
      throw new IllegalArgumentException("row must have " + dim + " values, got " + row.length);
    }
    if (block == null) {
      block = new double[BLOCK_ROWS * dim];
    }
    System.arraycopy(row, 0, block, pending * dim, dim);
    if (++pending == BLOCK_ROWS) {
      fold();
    }
    return this;
  }

  /**
   * Adds another accumulator's rows into this one (same dim). Returns this. {@code other} keeps its rows
   * (its buffered rows may be folded); merging an accumulator into itself doubles every row.
   *
   * @param other an accumulator of the same dim
   * @return this
   * @throws IllegalArgumentException if {@code other} has another dim
   */
  public CovarianceAccumulator merge(CovarianceAccumulator other) {
    Objects.requireNonNull(other, "other");
    if (other.dim != dim) {
      throw new IllegalArgumentException("cannot merge an accumulator of dim " + other.dim + " into one of dim " + dim);
    }
    if (other == this) {
      other = new CovarianceAccumulator(this);
    }
    fold();
    other.fold();
    long nb = other.count;
    if (nb == 0) {
      return this;
    }
    if (count == 0) {
      count = nb;
      mean = other.mean.clone();
      meanLo = other.meanLo.clone();
      comoment = copy(other.comoment);
      return this;
    }
    long na = count;
    double n = (double) na + nb;
    double[] delta = new double[dim];
    for (int i = 0; i < dim; i++) {
      delta[i] = (other.mean[i] - mean[i]) + (other.meanLo[i] - meanLo[i]);
    }
    double f = (double) na * nb / n;
    for (int i = 0; i < dim; i++) {
      double[] ci = comoment[i];
      double[] oi = other.comoment[i];
      double fi = f * delta[i];
      for (int j = i; j < dim; j++) {
        ci[j - i] += oi[j - i] + fi * delta[j];
      }
    }
    double step = nb / n;
    for (int i = 0; i < dim; i++) {
      addToMean(i, delta[i] * step);
    }
    count = na + nb;
    return this;
  }

  /** {@return the number of rows added (directly or by merge)} */
  public long count() {
    return count + pending;
  }

  /**
   * {@return the mean of the rows added so far (a copy)}
   *
   * @throws IllegalStateException if no row was added
   */
  public double[] mean() {
    fold();
    if (count == 0) {
      throw new IllegalStateException("the mean needs at least 1 row, got 0");
    }
    double[] out = new double[dim];
    for (int i = 0; i < dim; i++) {
      out[i] = mean[i] + meanLo[i];
    }
    return out;
  }

  /**
   * {@return the unbiased sample covariance (divided by n - 1), d x d row-major (a copy)}
   *
   * @throws IllegalStateException if fewer than 2 rows were added
   */
  public double[] covariance() {
    fold();
    if (count < 2) {
      throw new IllegalStateException("the covariance needs at least 2 rows, got " + count);
    }
    double scale = 1.0 / (count - 1);
    double[] out = new double[dim * dim];
    for (int i = 0; i < dim; i++) {
      double[] ci = comoment[i];
      for (int j = i; j < dim; j++) {
        double v = ci[j - i] * scale;
        out[i * dim + j] = v;
        out[j * dim + i] = v;
      }
    }
    return out;
  }

  /** Folds the buffered rows into the running mean and comoment. */
  private void fold() {
    int r = pending;
    if (r == 0) {
      return;
    }
    int d = dim;
    double[] b = block;
    // Block mean bm + corr: a first pass, then the mean of the rows centred on it (~0 up to round-off), kept
    // apart so that the block mean is exact to well below the ulp of a large offset (1e8 + noise).
    double[] bm = new double[d];
    for (int k = 0; k < r; k++) {
      int o = k * d;
      for (int i = 0; i < d; i++) {
        bm[i] += b[o + i];
      }
    }
    for (int i = 0; i < d; i++) {
      bm[i] /= r;
    }
    double[] corr = new double[d];
    for (int k = 0; k < r; k++) {
      int o = k * d;
      for (int i = 0; i < d; i++) {
        double v = b[o + i] - bm[i];
        b[o + i] = v;
        corr[i] += v;
      }
    }
    for (int i = 0; i < d; i++) {
      corr[i] /= r;
    }
    // Centre at c = blockMean - sqrt(na/n)·δ (δ = blockMean - mean) rather than at the block mean: then
    // Σ(x - c)(x - c)ᵀ = M2b + r·(na/n)·δδᵀ = M2b + δδᵀ·na·nb/n, the whole pairwise update of Chan et al.
    // in the one rank-r update, with no extra row or pass over the comoment.
    double[] shift = corr;
    if (count == 0) {
      mean = bm;
      meanLo = corr.clone();
      comoment = new double[d][];
      for (int i = 0; i < d; i++) {
        comoment[i] = new double[d - i];
      }
    } else {
      double n = (double) count + r;
      double s = Math.sqrt(count / n);
      double step = r / n;
      shift = new double[d];
      for (int i = 0; i < d; i++) {
        double delta = (bm[i] - mean[i]) + (corr[i] - meanLo[i]);
        shift[i] = corr[i] - s * delta;
        addToMean(i, delta * step);
      }
    }
    for (int k = 0; k < r; k++) {
      int o = k * d;
      for (int i = 0; i < d; i++) {
        b[o + i] -= shift[i];
      }
    }
    GramKernel.addUpperGram(b, r, d, comoment);
    count += r;
    pending = 0;
  }

  /** {@code (mean[i], meanLo[i]) += inc} in double-double arithmetic (TwoSum, then renormalize). */
  private void addToMean(int i, double inc) {
    double hi = mean[i];
    double s = hi + inc;
    double bv = s - hi;
    double err = (hi - (s - bv)) + (inc - bv);
    double lo = meanLo[i] + err;
    double h = s + lo;
    meanLo[i] = lo - (h - s);
    mean[i] = h;
  }

  private static int packedLength(int d) {
    return (int) ((long) d * (d + 1) / 2);
  }

  private static double[][] copy(double[][] m) {
    if (m == null) {
      return null;
    }
    double[][] c = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      c[i] = m[i].clone();
    }
    return c;
  }

  // ---- Java serialization: a compact proxy (Effective Java, item 90) ----

  /**
   * Folds the buffered rows and serializes a {@code SerializedForm} instead: dim, count, mean and the packed
   * upper triangle of the comoment.
   *
   * @return the serialized form
   */
  private Object writeReplace() {
    fold();
    double[] packed = null;
    if (count > 0) {
      packed = new double[packedLength(dim)];
      int p = 0;
      for (int i = 0; i < dim; i++) {
        System.arraycopy(comoment[i], 0, packed, p, dim - i);
        p += dim - i;
      }
    }
    return new SerializedForm(dim, count, mean, meanLo, packed);
  }

  /**
   * Refuses a stream that holds this class itself rather than its serialized form (a forged one).
   *
   * @param in the stream
   * @throws InvalidObjectException always
   */
  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("CovarianceAccumulator is deserialized through its SerializedForm");
  }

  /** Count, mean (both parts) and the packed upper triangle of the comoment; what goes over the wire. */
  private static final class SerializedForm implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dim;
    private final long count;
    private final double[] mean;
    private final double[] meanLo;
    private final double[] packedComoment;

    SerializedForm(int dim, long count, double[] mean, double[] meanLo, double[] packedComoment) {
      this.dim = dim;
      this.count = count;
      this.mean = mean;
      this.meanLo = meanLo;
      this.packedComoment = packedComoment;
    }

    private Object readResolve() throws InvalidObjectException {
      if (dim <= 0 || dim > MAX_DIM || count < 0) {
        throw new InvalidObjectException("bad CovarianceAccumulator: dim " + dim + ", count " + count);
      }
      CovarianceAccumulator acc = new CovarianceAccumulator(dim);
      if (count == 0) {
        return acc;
      }
      if (mean == null || mean.length != dim || meanLo == null || meanLo.length != dim || packedComoment == null
          || packedComoment.length != packedLength(dim)) {
        throw new InvalidObjectException("bad CovarianceAccumulator: mean or comoment does not match dim " + dim);
      }
      acc.count = count;
      acc.mean = mean.clone();
      acc.meanLo = meanLo.clone();
      acc.comoment = new double[dim][];
      int p = 0;
      for (int i = 0; i < dim; i++) {
        acc.comoment[i] = new double[dim - i];
        System.arraycopy(packedComoment, p, acc.comoment[i], 0, dim - i);
        p += dim - i;
      }
      return acc;
    }
  }
}
