package io.p9.spark.ml;

import io.p9.core.linalg.Pca;
import io.p9.core.linalg.PcaResult;
import io.p9.spark.ml.internal.OneRowParquet;
import io.p9.spark.ml.internal.P9Reader;
import io.p9.spark.ml.internal.P9Writer;
import io.p9.spark.ml.internal.SchemaChecks;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted {@link PcaReducer}: projects {@code inputCol} onto the first {@code k} principal components,
 * after subtracting the training mean ({@code center}, default true) and, if it was fitted with
 * {@code scale}, dividing by the training standard deviations. Null vectors give null. Row-wise, so it also
 * transforms streaming DataFrames. {@code k} can be lowered after the fit ({@code copy} or
 * {@code transform} with a {@code ParamMap}), or chosen again by a {@code minExplainedVariance} given so (from
 * the stored eigenvalues, as the fit chooses it): the first k components are used, shown and saved; a k above
 * the fitted one is refused, as is a {@code scale} other than the fitted one. Saves {@code metadata/} and a
 * one-row Parquet {@code data/} (mean, scale factors, the k components, all eigenvalues, row count); loading
 * refuses a {@code data/} no fit gives (sizes that do not fit together, NaN, an infinity, eigenvalues not
 * decreasing, components not orthonormal), naming the path and the first wrong value.
 */
public final class PcaReducerModel extends Model<PcaReducerModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  /** The one row of {@code data/}. */
  private static final StructType DATA_SCHEMA = new StructType()
      .add("mean", SQLDataTypes.VectorType(), false)
      .add("scale", SQLDataTypes.VectorType(), false)
      .add("pc", SQLDataTypes.MatrixType(), false)
      .add("eigenvalues", SQLDataTypes.VectorType(), false)
      .add("numRows", DataTypes.LongType, false);

  /** The stage's unique id. */
  private final String uid;
  /** The params, shared in declaration with {@link PcaReducer}. */
  private final PcaParams p;
  /** The training mean, d values. */
  private final double[] mean;
  /** All d eigenvalues of the fit, decreasing. */
  private final double[] eigenvalues;
  /** Per-feature factors applied after centring (see {@link #scaleFactors()}). */
  private final double[] scale;
  /** Whether the fit standardized the features ({@link #scale} then holds 1/std): the value {@code scale} must keep. */
  private final boolean fittedScale;
  /** The fitted components, d x fittedK, column-major. */
  private final double[] components;
  /** The number of components the fit kept: {@code k} may be lowered to any number up to it. */
  private final int fittedK;
  /** Rows the model was fitted on. */
  private final long numRows;

  PcaReducerModel(String uid, PcaResult result, double[] scale, boolean fittedScale, int k, long numRows) {
    this(uid, result.mean(), scale, fittedScale, result.eigenvalues(), result.components(k), numRows);
    set(p.k, k);
    set(p.scale, fittedScale);
  }

  private PcaReducerModel(String uid, double[] mean, double[] scale, boolean fittedScale, double[] eigenvalues,
      double[] components, long numRows) {
    this.uid = uid;
    this.p = new PcaParams(this);
    p.setDefaults(this);
    this.mean = mean;
    this.scale = scale;
    this.fittedScale = fittedScale;
    this.eigenvalues = eigenvalues;
    this.components = components;
    this.fittedK = components.length / mean.length;
    this.numRows = numRows;
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
   * @return this model
   */
  public PcaReducerModel setInputCol(String v) {
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
   * @return this model
   */
  public PcaReducerModel setOutputCol(String v) {
    set(p.outputCol, v);
    return this;
  }

  /**
   * {@return the param {@code k}: the number of components this model keeps} Set by the fit, also when chosen by
   * variance; may be lowered, not raised. Where it is cleared, {@code minExplainedVariance} chooses the k used.
   */
  public IntParam k() {
    return p.k;
  }

  /**
   * {@return the number of principal components to keep: {@code k}, or where it is cleared, the number
   * {@code minExplainedVariance} chooses}
   */
  public int getK() {
    return isSet(p.k) ? (Integer) $(p.k) : keptK();
  }

  /**
   * {@code k}, checked against the components the fit kept and against {@code minExplainedVariance} where that
   * is set (set directly rather than through {@link #copy}, the two can disagree); where {@code k} is cleared
   * (Java sees Scala's protected {@code clear}), the k {@code minExplainedVariance} chooses, as {@link #copy}
   * chooses it.
   */
  private int keptK() {
    if (!isSet(p.k)) {
      if (isSet(p.minExplainedVariance)) {
        return kForVariance(getMinExplainedVariance());
      }
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": k is not set; set k or minExplainedVariance");
    }
    int k = (Integer) $(p.k);
    if (k > fittedK) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": k = " + k + " is larger than the "
          + fittedK + " components this model was fitted with (k can be lowered, not raised; refit for more)");
    }
    if (isSet(p.minExplainedVariance)) {
      requireAgreement(k, kForVariance(getMinExplainedVariance()));
    }
    return k;
  }

  /** The k the fit would have chosen for {@code target}, from the stored eigenvalues; refused above the kept k. */
  private int kForVariance(double target) {
    int k = PcaResult.kForVariance(eigenvalues, target);
    if (k > fittedK) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": minExplainedVariance = " + target
          + " needs k = " + k + " but this model was fitted with " + fittedK + " components (k can be lowered, not"
          + " raised; refit for more)");
    }
    return k;
  }

  private void requireAgreement(int k, int kForVariance) {
    if (k != kForVariance) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": k = " + k + " and minExplainedVariance = "
          + getMinExplainedVariance() + " (k = " + kForVariance + ") disagree; clear one of them, or give the one"
          + " wanted to copy or transform in a ParamMap, which replaces the other");
    }
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
   * {@return the param {@code scale}: whether each feature is divided by its standard deviation first, for a PCA
   * of the correlation matrix (default {@code false})}
   */
  public BooleanParam scale() {
    return p.scale;
  }

  /**
   * {@return whether features were standardized before the PCA} Fixed by the fit: the components are those of the
   * correlation or of the covariance matrix, so setting the other value (copy, transform with a
   * {@code ParamMap}) is refused.
   */
  public boolean getScale() {
    return (Boolean) $(p.scale);
  }

  /** {@code scale} as the fit left it. */
  private void checkScale() {
    if (getScale() != fittedScale) {
      throw new IllegalArgumentException(SchemaChecks.name(this) + ": scale = " + getScale() + " but this model "
          + "was fitted with scale = " + fittedScale + " (the components belong to the fit; refit to change it)");
    }
  }

  /**
   * {@return the per-feature factors applied after centring: 1/std with {@code scale} (0 for a feature whose std
   * is at most 2^-52 of the largest, as for a constant one), else 1}
   */
  public DenseVector scaleFactors() {
    return new DenseVector(scale.clone());
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
   * @return this model
   */
  public PcaReducerModel setCenter(boolean v) {
    set(p.center, v);
    return this;
  }

  private int dim() {
    return mean.length;
  }

  /** {@return the training mean (a copy)} */
  public DenseVector mean() {
    return new DenseVector(mean.clone());
  }

  /** {@return the principal components, d x k, one component per column} */
  public DenseMatrix pc() {
    int k = keptK();
    return new DenseMatrix(dim(), k, Arrays.copyOf(components, dim() * k));
  }

  /**
   * {@return all d eigenvalues of the training covariance (of the correlation matrix, the standardized data's
   * covariance, when {@code scale} is true), decreasing}
   */
  public DenseVector eigenvalues() {
    return new DenseVector(eigenvalues.clone());
  }

  /**
   * {@return the proportion of variance explained by each of the k kept components (Spark's
   * {@code explainedVariance})}
   */
  public DenseVector explainedVariance() {
    return new DenseVector(Arrays.copyOf(PcaResult.explainedVarianceRatio(eigenvalues), keptK()));
  }

  /**
   * {@return the cumulative explained variance over all d components (entry i: the first i+1)} The fit chose k
   * by {@code minExplainedVariance} from it: non-decreasing, at most 1, the last entry exactly 1 (all 0 for
   * constant data).
   */
  public DenseVector cumulativeExplainedVariance() {
    return new DenseVector(PcaResult.cumulativeExplainedVariance(eigenvalues));
  }

  /** {@return the variance explained by the k kept components together (exactly 1 for all d)} */
  public double totalExplainedVariance() {
    return cumulativeExplainedVariance().apply(keptK() - 1);
  }

  /** {@return the number of rows the model was fitted on (rows with a null vector not counted)} */
  public long numRows() {
    return numRows;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    checkScale();
    return p.validateAndTransform(this, schema, false, dim(), keptK());
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    int k = keptK();
    int d = dim();
    // (x - mean) * scale projected on V  ==  (x - mean) projected on diag(scale) V
    double[] comps = Arrays.copyOf(components, d * k);
    for (int j = 0; j < k; j++) {
      for (int i = 0; i < d; i++) {
        comps[j * d + i] *= scale[i];
      }
    }
    double[] m = getCenter() ? mean : new double[d];
    String where = SchemaChecks.name(this) + ", column '" + getInputCol() + "'";
    // in a broadcast, as Spark's Word2VecModel ships its vectors: inside the function, the d x k doubles would be
    // in every task's closure (Spark broadcasts a closure over 1 MiB itself, warning each stage). Spark's
    // ContextCleaner removes the broadcast once the plans using it are gone.
    Broadcast<double[]> bc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
        .broadcast(comps);
    UserDefinedFunction project = functions.udf((UDF1<Vector, Vector>) v -> {
      if (v == null) {
        return null;
      }
      if (v.size() != d) {
        throw new IllegalArgumentException(where + ": vector of size " + v.size() + ", expected " + d);
      }
      double[] out = new double[k];
      Pca.project(v.toArray(), m, bc.value(), k, out);
      return Vectors.dense(out);
    }, SQLDataTypes.VectorType());
    return dataset.toDF().withColumn(getOutputCol(), project.apply(SchemaChecks.column(getInputCol()))
        .as(getOutputCol(), new AttributeGroup(getOutputCol(), k).toMetadata()));
  }

  @Override
  public PcaReducerModel copy(ParamMap extra) {
    PcaReducerModel c = new PcaReducerModel(uid, mean, scale, fittedScale, eigenvalues, components, numRows);
    copyValues(c, extra);
    // as on the estimator, the one of k and minExplainedVariance given replaces the other
    if (extra.contains(p.minExplainedVariance)) {
      int k = c.kForVariance(c.getMinExplainedVariance());
      if (extra.contains(p.k)) {
        c.requireAgreement(c.getK(), k);
      }
      c.set(c.p.k, k);
    } else if (extra.contains(p.k)) {
      c.clear(c.p.minExplainedVariance);
    }
    c.keptK();
    c.checkScale();
    return c.setParent(parent());
  }

  @Override
  public MLWriter write() {
    checkScale();
    return new P9Writer(this, (path, session) -> {
      int d = dim();
      int k = keptK();
      long rows = numRows;
      double[] values = new double[d * (3 + k)];
      System.arraycopy(mean, 0, values, 0, d);
      System.arraycopy(scale, 0, values, d, d);
      System.arraycopy(eigenvalues, 0, values, 2 * d, d);
      System.arraycopy(components, 0, values, 3 * d, d * k);
      OneRowParquet.write(session, DATA_SCHEMA, values, v -> dataRow(v, d, k, rows),
          new Path(path, "data").toString());
      return Map.of("k", k, "dim", d);
    });
  }

  /**
   * {@return the row of {@code data/}} made of {@code values}: d mean values, d scale factors, d eigenvalues,
   * then the d x k components, column-major
   */
  private static Row dataRow(double[] values, int d, int k, long numRows) {
    return RowFactory.create(Vectors.dense(Arrays.copyOfRange(values, 0, d)),
        Vectors.dense(Arrays.copyOfRange(values, d, 2 * d)),
        new DenseMatrix(d, k, Arrays.copyOfRange(values, 3 * d, values.length)),
        Vectors.dense(Arrays.copyOfRange(values, 2 * d, 3 * d)), numRows);
  }

  /**
   * {@return a reader of models saved with {@link #write()}} Loading checks that the saved data is one a fit
   * gives, naming the path and the first wrong value.
   */
  public static MLReader<PcaReducerModel> read() {
    return P9Reader.withData(PcaReducerModel.class, (path, meta, reader) -> {
      // the schema is given, not inferred: inference is a Spark job whose result (the footers' schemas, with
      // the vector and matrix UDTs) goes through spark.serializer, which fails under Kryo's
      // registrationRequired unless every Spark SQL type in them is registered
      String data = new Path(path, "data").toString();
      Row row = reader.sparkSession().read().schema(DATA_SCHEMA).parquet(data).head();
      for (int i = 0; i < row.size(); i++) {
        if (row.isNullAt(i)) {
          throw new IllegalArgumentException("PcaReducerModel data at " + data + " has no value in column '"
              + DATA_SCHEMA.fields()[i].name() + "'");
        }
      }
      double[] mean = ((Vector) row.get(0)).toArray();
      double[] scale = ((Vector) row.get(1)).toArray();
      Matrix pc = (Matrix) row.get(2);
      double[] eigenvalues = ((Vector) row.get(3)).toArray();
      int d = mean.length;
      int savedD = meta.p9().path("dim").asInt(d);
      int savedK = meta.p9().path("k").asInt(pc.numCols());
      if (d == 0 || scale.length != d || eigenvalues.length != d || pc.numRows() != d || pc.numCols() < 1
          || pc.numCols() > d || savedD != d || savedK != pc.numCols()) {
        throw new IllegalArgumentException("PcaReducerModel data at " + data + " does not fit together: mean "
            + d + ", scale " + scale.length + ", eigenvalues " + eigenvalues.length + ", pc " + pc.numRows()
            + " x " + pc.numCols() + ", metadata dim " + savedD + " and k " + savedK + " (expected d values each,"
            + " pc d x k with 0 < k <= d)");
      }
      // toArray is column-major whatever the stored layout (values() of a transposed matrix is row-major)
      double[] comps = pc.toArray();
      // the fitted value of scale, as saved (the params are restored on the model afterwards)
      boolean fittedScale = meta.paramMap().path("scale").asBoolean(meta.defaultParamMap().path("scale")
          .asBoolean(false));
      try {
        requireFittedValues(mean, scale, fittedScale, eigenvalues, comps, row.getLong(4));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("PcaReducerModel data at " + data + ": " + e.getMessage(), e);
      }
      return new PcaReducerModel(meta.uid(), mean, scale, fittedScale, eigenvalues, comps, row.getLong(4));
    }, (model, path, meta, reader) -> {
      // saved before copy cleared minExplainedVariance where a k replaced it: the saved k is the one it used
      if (model.isSet(model.p.minExplainedVariance) && model.isSet(model.p.k)
          && PcaResult.kForVariance(model.eigenvalues, model.getMinExplainedVariance()) != model.getK()) {
        model.clear(model.p.minExplainedVariance);
      }
      return model;
    });
  }

  /** Tolerance of {@link #requireOrthonormal} on each dot product of two components (a fit's are within 1e-12). */
  private static final double ORTHONORMAL_TOLERANCE = 1e-6;

  /**
   * Fails unless the read-back numbers (shapes already checked) are ones a fit gives: a finite mean, scale factors
   * finite and &gt;= 0 (all 1 without {@code scale}), eigenvalues as {@link PcaResult#requireValidEigenvalues}
   * takes them, orthonormal components and at least 2 rows; the message names the first value that is not.
   */
  private static void requireFittedValues(double[] mean, double[] scale, boolean fittedScale, double[] eigenvalues,
      double[] comps, long numRows) {
    requireFinite("mean", mean);
    requireFinite("scale", scale);
    for (int i = 0; i < scale.length; i++) {
      if (scale[i] < 0) {
        throw new IllegalArgumentException("scale[" + i + "] is " + scale[i] + ", below 0 (a fit's factors are 1 /"
            + " std, or 0 for a constant feature)");
      }
      if (!fittedScale && scale[i] != 1) {
        throw new IllegalArgumentException("scale[" + i + "] is " + scale[i] + " but the model was fitted with"
            + " scale = false, whose factors are all 1");
      }
    }
    PcaResult.requireValidEigenvalues(eigenvalues);
    int d = mean.length;
    for (int i = 0; i < comps.length; i++) {
      if (!Double.isFinite(comps[i])) {
        throw new IllegalArgumentException("pc(" + i % d + ", " + i / d + ") is " + comps[i]);
      }
    }
    requireOrthonormal(comps, d);
    if (numRows < 2) {
      throw new IllegalArgumentException("numRows is " + numRows + ", but a fit needs at least 2 rows");
    }
  }

  private static void requireFinite(String name, double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException(name + "[" + i + "] is " + values[i]);
      }
    }
  }

  /** Fails unless the columns of {@code comps} (d rows, column-major) are orthonormal. */
  private static void requireOrthonormal(double[] comps, int d) {
    int k = comps.length / d;
    for (int a = 0; a < k; a++) {
      for (int b = a; b < k; b++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += comps[a * d + i] * comps[b * d + i];
        }
        double expected = a == b ? 1 : 0;
        if (!(Math.abs(dot - expected) <= ORTHONORMAL_TOLERANCE)) {
          throw new IllegalArgumentException("pc is not orthonormal: column " + a + " . column " + b + " = " + dot
              + ", expected " + (int) expected + " (within " + ORTHONORMAL_TOLERANCE + ")");
        }
      }
    }
  }

  /**
   * {@return the model saved at {@code path}}
   *
   * @param path where {@link #write()} saved it (a local path or Hadoop URI)
   */
  public static PcaReducerModel load(String path) {
    return read().load(path);
  }
}
