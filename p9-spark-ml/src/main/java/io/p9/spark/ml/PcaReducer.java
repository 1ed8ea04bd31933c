package io.p9.spark.ml;

import io.p9.core.linalg.CovarianceAccumulator;
import io.p9.core.linalg.Pca;
import io.p9.core.linalg.PcaResult;
import io.p9.spark.ml.internal.P9Reader;
import io.p9.spark.ml.internal.P9Writer;
import io.p9.spark.ml.internal.SchemaChecks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Principal component analysis as an Estimator: fits on a vector column and produces a
 * {@link PcaReducerModel} whose transform is <b>mean-centred</b> (Spark's own {@code PCA} is not).
 *
 * <p>Choose the number of components with {@code k}, or with {@code minExplainedVariance} (e.g. 0.95): the
 * smallest k whose cumulative explained variance reaches it, from the same single fit. The fit is one pass
 * over the data: each partition accumulates its mean and centred covariance in blocks, partitions are
 * merged by tree aggregation (the last merge on an executor, so the driver receives one partial result
 * whatever the number of partitions), and the d x d covariance is eigen-decomposed on the driver (d = 1280
 * for MobileNetV2 features). A partial result is a d x d triangle whatever its rows (6.6 MB at d = 1280), so
 * the input's partitions are first merged without a shuffle, to at most 4 tasks per core
 * ({@code defaultParallelism}) or one per 64 partitions where that is more: the fit's tasks, and those of an
 * upstream it computes (a CNN not persisted), are that many. The driver holds at least three d x d matrices of
 * doubles at once, 39 MB at d = 1280, 9.6 GB at d = 20,000: a size the driver's heap cannot hold is refused
 * before any row is computed where the input column records it, else at the first vector of each task. Rows
 * with a null vector are ignored; a NaN or an infinite value fails the fit, naming the feature (the model's
 * transform gives non-finite scores for such a row: NaN for a NaN, NaN or an infinity for an infinity, as
 * Spark's {@code PCA} does).
 * Explained and cumulative variance are exposed on the model and saved with it. With {@code scale},
 * features are standardized first (PCA of the correlation matrix), which replaces a StandardScaler stage: one
 * pass fewer, and rows with a null vector (kept failures) pass through as null where Spark's StandardScaler
 * throws.
 */
public final class PcaReducer extends Estimator<PcaReducerModel> implements MLWritable {
  private static final long serialVersionUID = 1L;

  /** Partial fits per core (defaultParallelism) at most: the partitions of the input are merged down to them. */
  static final int PARTIALS_PER_CORE = 4;

  /** The stage's unique id. */
  private final String uid;
  /** The params, shared in declaration with {@link PcaReducerModel}. */
  private final PcaParams p;

  /** An estimator with a random uid ({@code pcaReducer_...}) and the default params. */
  public PcaReducer() {
    this(Identifiable.randomUID("pcaReducer"));
  }

  /**
   * An estimator with the default params.
   *
   * @param uid its unique id
   */
  public PcaReducer(String uid) {
    this.uid = uid;
    this.p = new PcaParams(this);
    p.setDefaults(this);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** {@return the param {@code inputCol}: the input vector column (default {@code features})} */
  public Param<String> inputCol() {
    return p.inputCol;
  }

  /** {@return the input vector column (default {@code features})} */
  public String getInputCol() {
    return $(p.inputCol);
  }

  /**
   * Sets the input vector column.
   *
   * @param v a vector column of the input
   * @return this stage
   */
  public PcaReducer setInputCol(String v) {
    set(p.inputCol, v);
    return this;
  }

  /**
   * {@return the param {@code outputCol}: the output column of principal component scores (default
   * {@code pcaFeatures})}
   */
  public Param<String> outputCol() {
    return p.outputCol;
  }

  /** {@return the output column of principal component scores (default {@code pcaFeatures})} */
  public String getOutputCol() {
    return $(p.outputCol);
  }

  /**
   * Sets the output column of principal component scores.
   *
   * @param v a column name the input does not have
   * @return this stage
   */
  public PcaReducer setOutputCol(String v) {
    set(p.outputCol, v);
    return this;
  }

  /** {@return the param {@code k}: the number of principal components to keep} */
  public IntParam k() {
    return p.k;
  }

  /** {@return the number of principal components to keep} */
  public int getK() {
    return (Integer) $(p.k);
  }

  /**
   * Fixes the number of components (clears {@code minExplainedVariance}).
   *
   * @param v the number of components (&gt; 0)
   * @return this stage
   */
  public PcaReducer setK(int v) {
    set(p.k, v);
    clear(p.minExplainedVariance);
    return this;
  }

  /**
   * {@return the param {@code minExplainedVariance}: the cumulative explained variance that chooses k, the smallest
   * number of components that reaches it}
   */
  public DoubleParam minExplainedVariance() {
    return p.minExplainedVariance;
  }

  /** {@return the cumulative explained variance that chooses k, the smallest number of components that reaches it} */
  public double getMinExplainedVariance() {
    return (Double) $(p.minExplainedVariance);
  }

  /**
   * Chooses k by explained variance (clears {@code k}).
   *
   * @param v the cumulative explained variance to reach, in (0, 1]
   * @return this stage
   */
  public PcaReducer setMinExplainedVariance(double v) {
    set(p.minExplainedVariance, v);
    clear(p.k);
    return this;
  }

  /**
   * {@return the param {@code scale}: whether each feature is divided by its standard deviation first, for a PCA
   * of the correlation matrix (default {@code false})}
   */
  public BooleanParam scale() {
    return p.scale;
  }

  /**
   * {@return whether each feature is divided by its standard deviation first, for a PCA of the correlation matrix
   * (default {@code false})}
   */
  public boolean getScale() {
    return (Boolean) $(p.scale);
  }

  /**
   * Sets whether each feature is divided by its standard deviation first, for a PCA of the correlation matrix.
   *
   * @param v whether to standardize
   * @return this stage
   */
  public PcaReducer setScale(boolean v) {
    set(p.scale, v);
    return this;
  }

  /** {@return the param {@code center}: whether the mean is subtracted before projecting (default {@code true})} */
  public BooleanParam center() {
    return p.center;
  }

  /** {@return whether the mean is subtracted before projecting (default {@code true})} */
  public boolean getCenter() {
    return (Boolean) $(p.center);
  }

  /**
   * Sets whether the mean is subtracted before projecting.
   *
   * @param v whether to subtract it
   * @return this stage
   */
  public PcaReducer setCenter(boolean v) {
    set(p.center, v);
    return this;
  }

  /**
   * Checks the params and the input column; the schema with the output column added, its vector size recorded
   * (as Spark's {@code PCA} records it) when {@code k} is set, unknown before the fit with
   * {@code minExplainedVariance}.
   */
  @Override
  public StructType transformSchema(StructType schema) {
    return p.validateAndTransform(this, schema, true, -1, isSet(p.k) ? getK() : -1);
  }

  @Override
  public PcaReducerModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    String where = SchemaChecks.name(this) + ", column '" + getInputCol() + "'";
    // checked by transformSchema where the column records its size, else against the first vector of each
    // partition, as Spark's PCA checks it against first(): a k too large fails the first task, not the driver
    // after a pass over the whole input (often a CNN's output)
    int fixedK = isSet(p.k) ? getK() : 0;
    // the same for a size whose d x d matrices the driver cannot hold, before each task builds its d x d part
    long driverHeap = Runtime.getRuntime().maxMemory();
    String name = SchemaChecks.name(this);
    // one job: partitions fold their rows into an accumulator (null while a partition has none) and the tree
    // merges them; nothing checks for emptiness first, which would compute the leading partitions twice. The
    // last merge runs on an executor (finalAggregateOnExecutor), so the driver receives one d x d triangle
    // rather than ~sqrt(partitions) of them, which pass spark.driver.maxResultSize on large inputs
    JavaRDD<Row> rows = dataset.select(SchemaChecks.column(getInputCol())).toJavaRDD();
    // a partition's partial fit is a d x d triangle whatever its rows (6.6 MB at d = 1280), and the tree shuffles
    // one per partition: at ImageFiles' 128 images per partition, 50 times the bytes of the rows. Merged
    // partitions (no shuffle) fold their rows into one; still at least one task per 64 partitions, so that an
    // upstream computed here (a CNN not persisted) keeps its tasks where defaultParallelism is low at first
    int most = Math.max(PARTIALS_PER_CORE * rows.context().defaultParallelism(),
        (rows.getNumPartitions() + 63) / 64);
    if (rows.getNumPartitions() > most) {
      rows = rows.coalesce(most);
    }
    CovarianceAccumulator total = rows.treeAggregate(null,
        (CovarianceAccumulator acc, Row r) -> {
          if (r.isNullAt(0)) {
            return acc;
          }
          double[] x = ((Vector) r.get(0)).toArray();
          if (acc == null) {
            PcaParams.requireFittableSize(where, x.length);
            // this executor's heap: in local mode the driver's, whose bound below is tighter
            PcaParams.requireExecutorMemory(where, x.length, Runtime.getRuntime().maxMemory());
            PcaParams.requireDriverMemory(where, x.length, driverHeap);
            if (fixedK > x.length) {
              throw new IllegalArgumentException(name + ": k = " + fixedK + " is larger than the input dimension "
                  + x.length);
            }
            return new CovarianceAccumulator(x.length).add(x);
          }
          requireSameSize(where, acc.dim(), x.length);
          return acc.add(x);
        },
        (a, b) -> {
          if (a == null || b == null) {
            return a == null ? b : a;
          }
          requireSameSize(where, a.dim(), b.dim());
          return a.merge(b);
        }, 2, true);
    if (total == null) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": no non-null rows in column '"
          + getInputCol() + "' to fit on");
    }
    if (total.count() < 2) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": PCA needs at least 2 rows, got "
          + total.count());
    }
    double[] scale = new double[total.dim()];
    PcaResult result;
    try {
      if (getScale()) {
        result = Pca.fitStandardized(total, scale);
      } else {
        java.util.Arrays.fill(scale, 1.0);
        result = Pca.fit(total);
      }
    } catch (IllegalArgumentException e) {
      // a NaN or an infinity in the rows, or variances adding up to more than the largest double
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    } catch (ArithmeticException e) {
      // the eigensolver did not converge
      ArithmeticException named = new ArithmeticException(where + ": " + e.getMessage());
      named.initCause(e);
      throw named;
    }
    int k = fixedK > 0 ? fixedK : result.kForVariance(getMinExplainedVariance());
    PcaReducerModel model = new PcaReducerModel(uid, result, scale, getScale(), k, total.count());
    copyValues(model, ParamMap.empty());
    model.set(model.k(), k);
    model.setParent(this);
    return model;
  }

  private static void requireSameSize(String where, int a, int b) {
    if (a != b) {
      throw new IllegalArgumentException(where + ": vectors of different sizes " + a + " and " + b);
    }
  }

  /**
   * A copy with {@code extra} applied. As with {@link #setK} and {@link #setMinExplainedVariance}, an
   * {@code extra} that sets one of the two clears the other in the copy, so that a {@code ParamGridBuilder} grid
   * (or {@code fit(dataset, paramMap)}) over either works whichever one the estimator has set.
   */
  @Override
  public PcaReducer copy(ParamMap extra) {
    PcaReducer c = defaultCopy(extra);
    if (extra.contains(p.k) && !extra.contains(p.minExplainedVariance)) {
      c.clear(c.p.minExplainedVariance);
    } else if (extra.contains(p.minExplainedVariance) && !extra.contains(p.k)) {
      c.clear(c.p.k);
    }
    return c;
  }

  @Override
  public MLWriter write() {
    return new P9Writer(this);
  }

  /** {@return a reader of estimators saved with {@link #write()}} */
  public static MLReader<PcaReducer> read() {
    return new P9Reader<>(PcaReducer.class, PcaReducer::new);
  }

  /**
   * {@return the estimator saved at {@code path}}
   *
   * @param path where {@link #write()} saved it (a local path or Hadoop URI)
   */
  public static PcaReducer load(String path) {
    return read().load(path);
  }
}
