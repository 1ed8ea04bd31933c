package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.linalg.PcaResult;
import io.p9.spark.ml.testing.RoundTrip;
import io.p9.spark.ml.testing.StageContract;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.feature.PCAModel;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcaReducerTest {
  static SparkSession spark;
  static Dataset<Row> data;
  @TempDir static Path tmp;
  static final int D = 12;

  /** 500 rows x 12 with a decaying spectrum and a large offset (so centring matters), 5 partitions + 1 empty. */
  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    long seed = 42;
    Random r = new Random(seed);
    double[][] mix = new double[D][D];
    for (double[] row : mix) {
      for (int j = 0; j < D; j++) {
        row[j] = r.nextGaussian();
      }
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      double[] z = new double[D];
      for (int j = 0; j < D; j++) {
        z[j] = r.nextGaussian() * Math.pow(0.6, j);
      }
      double[] x = new double[D];
      for (int a = 0; a < D; a++) {
        x[a] = 100 + a;
        for (int b = 0; b < D; b++) {
          x[a] += mix[a][b] * z[b];
        }
      }
      rows.add(RowFactory.create(i, Vectors.dense(x)));
    }
    rows.add(RowFactory.create(-1, null));
    StructType schema = new StructType().add("id", "int").add("features", SQLDataTypes.VectorType(), true);
    data = spark.createDataFrame(rows, schema).repartition(6).cache();
  }

  @Test
  void contract() {
    StageContract.check(new PcaReducer().setK(3));
    StageContract.check(new PcaReducer().setMinExplainedVariance(0.9).fit(data));
  }

  @Test
  void gettersAndSettersUseTheirOwnParam() {
    StageContract.checkAccessors(new PcaReducer(), Map.of("inputCol", "x", "outputCol", "z", "k", 2,
        "minExplainedVariance", 0.9, "scale", true, "center", false));
    StageContract.checkAccessors(new PcaReducer().setK(2).fit(data), Map.of("inputCol", "x", "outputCol", "z",
        "center", false));
  }

  @Test
  void kByVarianceIsTheSmallestReachingTheTarget() {
    PcaReducerModel m = new PcaReducer().setMinExplainedVariance(0.95).fit(data);
    double[] cum = m.cumulativeExplainedVariance().toArray();
    int k = m.getK();
    assertThat(cum[k - 1]).isGreaterThanOrEqualTo(0.95);
    if (k > 1) {
      assertThat(cum[k - 2]).isLessThan(0.95);
    }
    assertThat(m.totalExplainedVariance()).isEqualTo(cum[k - 1]);
    assertThat(m.explainedVariance().size()).isEqualTo(k);
    assertThat(cum[D - 1]).isCloseTo(1.0, within(1e-9));
    assertThat(m.numRows()).isEqualTo(500);
  }

  /** A model of 3-d data with the given eigenvalues (axis-aligned components), keeping k of them. */
  static PcaReducerModel withEigenvalues(double[] eigenvalues, int k) {
    double[] identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    PcaResult result = new PcaResult(new double[3], eigenvalues, identity);
    return new PcaReducerModel("pcaReducer_cum", result, new double[] {1, 1, 1}, false, k, 17);
  }

  /**
   * The cumulative explained variance is the one k is chosen by: at most 1 and ending at exactly 1. Each
   * eigenvalue divided by the total, then added up, ends at 1.0000000000000002 for eigenvalues 18, 9, 1, and at
   * 0.9999999999999999 for 3, 2, 1, below the target 1.0 for which the fit keeps all 3.
   */
  @Test
  void cumulativeExplainedVarianceEndsAtExactlyOne() {
    PcaReducerModel above = withEigenvalues(new double[] {18, 9, 1}, 3);
    assertThat(above.cumulativeExplainedVariance().toArray()).containsExactly(18 / 28.0, 27 / 28.0, 1.0);
    assertThat(above.totalExplainedVariance()).isEqualTo(1.0);

    double[] eigenvalues = {3, 2, 1};
    int k = new PcaResult(new double[3], eigenvalues, new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}).kForVariance(1.0);
    assertThat(k).isEqualTo(3);
    PcaReducerModel below = withEigenvalues(eigenvalues, k);
    assertThat(below.totalExplainedVariance()).as("the variance of the k chosen for a target of 1").isEqualTo(1.0);
    assertThat(below.cumulativeExplainedVariance().toArray()).containsExactly(0.5, 5 / 6.0, 1.0);
    assertThat(below.explainedVariance().toArray()).containsExactly(0.5, 2 / 6.0, 1 / 6.0);
  }

  @Test
  void transformIsCentredAndMatchesSparkPcaUpToSignAndOffset() {
    int k = 4;
    PcaReducerModel ours = new PcaReducer().setK(k).fit(data);
    PCAModel sparks = new PCA().setK(k).setInputCol("features").setOutputCol("s")
        .fit(data.na().drop());
    List<Row> rows = sparks.transform(ours.transform(data.na().drop())).select("pcaFeatures", "s")
        .collectAsList();
    double[] meanOurs = new double[k];
    for (Row r : rows) {
      double[] a = ((Vector) r.get(0)).toArray();
      for (int j = 0; j < k; j++) {
        meanOurs[j] += a[j] / rows.size();
      }
    }
    for (double m : meanOurs) {
      assertThat(m).as("centred scores have mean 0").isCloseTo(0, within(1e-8));
    }
    // Spark's scores are uncentred: ours = ±(spark - spark's projection of the mean)
    DenseMatrix pcS = sparks.pc();
    DenseMatrix pcO = ours.pc();
    for (int j = 0; j < k; j++) {
      double dot = 0;
      for (int i = 0; i < D; i++) {
        dot += pcS.apply(i, j) * pcO.apply(i, j);
      }
      assertThat(Math.abs(dot)).as("component %d agrees with Spark's", j).isCloseTo(1.0, within(1e-6));
    }
    assertThat(ours.explainedVariance().toArray())
        .containsExactly(sparks.explainedVariance().toArray(), within(1e-9));
  }

  @Test
  void scaleEqualsSparksStandardScalerInFrontButIsNullSafe() {
    Dataset<Row> nonNull = data.na().drop();
    PipelineModel spark2 = new Pipeline().setStages(new PipelineStage[] {
        new org.apache.spark.ml.feature.StandardScaler().setInputCol("features").setOutputCol("std")
            .setWithMean(true).setWithStd(true),
        new PcaReducer().setInputCol("std").setK(3)}).fit(nonNull);
    PcaReducerModel ours = new PcaReducer().setScale(true).setK(3).fit(data);
    PcaReducerModel theirs = (PcaReducerModel) spark2.stages()[1];
    assertThat(ours.eigenvalues().toArray()).containsExactly(theirs.eigenvalues().toArray(), within(1e-9));
    List<Row> a = ours.transform(nonNull).select("id", "pcaFeatures").orderBy("id").collectAsList();
    List<Row> b = spark2.transform(nonNull).select("id", "pcaFeatures").orderBy("id").collectAsList();
    for (int i = 0; i < a.size(); i++) {
      assertThat(((Vector) a.get(i).get(1)).toArray())
          .containsExactly(((Vector) b.get(i).get(1)).toArray(), within(1e-7));
    }
    assertThat(ours.transform(data).filter("id = -1").select("pcaFeatures").head().isNullAt(0)).isTrue();
    assertThat(java.util.Arrays.stream(ours.scaleFactors().toArray()).allMatch(f -> f > 0)).isTrue();
  }

  @Test
  void nullRowsAreIgnoredByFitAndPassThroughTransform() {
    PcaReducerModel m = new PcaReducer().setK(2).fit(data);
    Row nullRow = m.transform(data).filter("id = -1").select("pcaFeatures").head();
    assertThat(nullRow.isNullAt(0)).isTrue();
  }

  @Test
  void refusesAmbiguousOrImpossibleSettings() {
    PcaReducer both = new PcaReducer().setK(2);
    both.set(both.minExplainedVariance(), 0.9);
    assertThatThrownBy(() -> both.fit(data)).hasMessageContaining("set exactly one of k and minExplainedVariance");
    assertThatThrownBy(() -> new PcaReducer().fit(data)).hasMessageContaining("set exactly one");
    assertThatThrownBy(() -> new PcaReducer().setK(D + 1).fit(data)).hasMessageContaining("larger than");
    assertThatThrownBy(() -> new PcaReducer().setK(2).setInputCol("id").fit(data))
        .hasMessageContaining("column 'id' must be vector but was int");
  }

  /**
   * A ParamMap (a ParamGridBuilder grid in CrossValidator, {@code fit(data, paramMap)}) that sets one of k and
   * minExplainedVariance replaces the other, as the setters do; the estimator itself is unchanged.
   */
  @Test
  void aParamGridOverKOrMinExplainedVarianceReplacesTheOther() {
    PcaReducer byVariance = new PcaReducer().setMinExplainedVariance(0.99);
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {byVariance});
    for (ParamMap grid : new ParamGridBuilder().addGrid(byVariance.k(), new int[] {2, 3}).build()) {
      PcaReducerModel m = (PcaReducerModel) pipe.fit(data, grid).stages()[0];
      assertThat(m.getK()).isEqualTo(grid.apply(byVariance.k()));
      assertThat(m.isSet(m.minExplainedVariance())).isFalse();
    }
    assertThat(byVariance.isSet(byVariance.k())).isFalse();
    assertThat(byVariance.getMinExplainedVariance()).isEqualTo(0.99);

    PcaReducer fixed = new PcaReducer().setK(D);
    int kFor90 = fixed.fit(data, new ParamMap().put(fixed.minExplainedVariance().w(0.9))).getK();
    assertThat(kFor90).isEqualTo(new PcaReducer().setMinExplainedVariance(0.9).fit(data).getK()).isLessThan(D);
    assertThat(fixed.getK()).isEqualTo(D);
    assertThat(fixed.isSet(fixed.minExplainedVariance())).isFalse();
    // a ParamMap that sets both is as ambiguous as setting both
    assertThatThrownBy(() -> fixed.fit(data, new ParamMap().put(fixed.k().w(2))
        .put(fixed.minExplainedVariance().w(0.9)))).hasMessageContaining("set exactly one");
  }

  /**
   * Vectors of the old {@code org.apache.spark.mllib.linalg} API have the same simple type name, "vector", as
   * the {@code ml} ones; the message says which is which and how to convert.
   */
  @Test
  void oldMllibVectorsAreRefusedSayingWhichVectorTypeIsWhich() {
    StructType schema = new StructType().add("id", "int")
        .add("features", new org.apache.spark.mllib.linalg.VectorUDT(), true);
    Dataset<Row> old = spark.createDataFrame(List.of(
        RowFactory.create(1, org.apache.spark.mllib.linalg.Vectors.dense(1, 2)),
        RowFactory.create(2, org.apache.spark.mllib.linalg.Vectors.dense(3, 1))), schema);
    String expected = "column 'features' must be vector (org.apache.spark.ml.linalg.VectorUDT) but was vector"
        + " (org.apache.spark.mllib.linalg.VectorUDT)";
    assertThatThrownBy(() -> new PcaReducer().setK(1).fit(old)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(expected).hasMessageContaining("MLUtils.convertVectorColumnsToML");
    PcaReducerModel m = new PcaReducer().setK(1).fit(data);
    assertThatThrownBy(() -> m.transform(old)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(expected);
  }

  /**
   * A numeric array column (Parquet from pandas or Arrow, a UDF's output) is refused saying how to make it a
   * vector column, as old mllib vectors are.
   */
  @Test
  void arrayColumnsAreRefusedSayingHowToConvertThem() {
    String hint = "convert an array column with org.apache.spark.ml.functions.array_to_vector";
    Dataset<Row> doubles = data.withColumn("features",
        org.apache.spark.ml.functions.vector_to_array(data.col("features"), "float64"));
    assertThatThrownBy(() -> new PcaReducer().setK(1).fit(doubles)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'features' must be vector but was array<double>; " + hint);
    Dataset<Row> floats = data.withColumn("features",
        org.apache.spark.ml.functions.vector_to_array(data.col("features"), "float32"));
    PcaReducerModel m = new PcaReducer().setK(1).fit(data);
    assertThatThrownBy(() -> m.transform(floats)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'features' must be vector but was array<float>; " + hint);
    assertThatThrownBy(() -> m.transform(data.withColumn("features", functions.array(functions.lit("x")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("but was array<string>");
  }

  /** {@code rows} of {@code range(0, n, 1, partitions)} whose id >= {@code from}, vectorized by a counting UDF. */
  static Dataset<Row> counted(org.apache.spark.util.LongAccumulator calls, int n, int partitions, int from) {
    org.apache.spark.sql.expressions.UserDefinedFunction vec = org.apache.spark.sql.functions.udf(
        (org.apache.spark.sql.api.java.UDF1<Long, Vector>) id -> {
          calls.add(1);
          return Vectors.dense(id, id % 7, Math.sin(id));
        }, SQLDataTypes.VectorType());
    return spark.range(0, n, 1, partitions).filter("id >= " + from)
        .withColumn("features", vec.apply(org.apache.spark.sql.functions.col("id")));
  }

  @Test
  void fitIsOnePassOverAnUncachedInputEvenWithLeadingEmptyPartitions() {
    org.apache.spark.util.LongAccumulator calls = spark.sparkContext().longAccumulator("pca fit input rows");
    PcaReducerModel m = new PcaReducer().setK(2).fit(counted(calls, 200, 4, 0));
    assertThat(m.numRows()).isEqualTo(200);
    assertThat(calls.value()).as("each row computed once").isEqualTo(200);

    calls.reset();
    // range splits 0-49, 50-99, ...: the first two partitions are empty after the filter
    m = new PcaReducer().setK(2).fit(counted(calls, 200, 4, 100));
    assertThat(m.numRows()).isEqualTo(100);
    assertThat(calls.value()).isEqualTo(100);

    calls.reset();
    // enough partitions for tree aggregation to shuffle partial results (null ones included) once
    m = new PcaReducer().setK(2).fit(counted(calls, 400, 20, 300));
    assertThat(m.numRows()).isEqualTo(100);
    assertThat(calls.value()).isEqualTo(100);
    assertThat(m.mean().toArray()[0]).isCloseTo(349.5, within(1e-9));
  }

  /**
   * A k above the vector size fails at the first vector, as Spark's {@code PCA} does (it checks k against
   * {@code first()}), not after a pass over the whole input: upstream of the fit there is usually a CNN.
   */
  @Test
  void kAboveTheVectorSizeFailsAtTheFirstVector() {
    org.apache.spark.util.LongAccumulator calls = spark.sparkContext().longAccumulator("pca fit input rows");
    PcaReducer pca = new PcaReducer().setK(4);
    assertThatThrownBy(() -> pca.fit(counted(calls, 200, 1, 0)))
        .hasStackTraceContaining("PcaReducer[" + pca.uid() + "]: k = 4 is larger than the input dimension 3");
    // the failed task's own count is dropped (Spark merges no user accumulator of a failed task)
    assertThat(calls.value()).as("input rows computed before the failure").isLessThan(200);
  }

  /**
   * Where the input column records its vector size (an ML attribute group, as CnnFeaturizer's output and
   * VectorAssembler's do), a k above it, or a model's input of another size, fails in transformSchema on the
   * driver, before any row is computed: in a Pipeline, before the CNN runs at all.
   */
  @Test
  void aRecordedInputSizeIsCheckedBeforeAnyRowIsComputed() {
    org.apache.spark.util.LongAccumulator calls = spark.sparkContext().longAccumulator("pca fit input rows");
    Dataset<Row> sized = counted(calls, 200, 2, 0).withColumn("features", functions.col("features")
        .as("features", new AttributeGroup("features", 3).toMetadata()));
    PcaReducer pca = new PcaReducer().setK(4);
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {pca});
    assertThatThrownBy(() -> pipe.fit(sized)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PcaReducer[" + pca.uid() + "]: k = 4 is larger than the input dimension 3 (the size column"
            + " 'features' records)");
    assertThat(calls.value()).as("input rows computed").isZero();

    PcaReducerModel m = new PcaReducer().setK(2).fit(data);
    assertThatThrownBy(() -> m.transform(sized)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PcaReducerModel[" + m.uid() + "]: column 'features' records vectors of size 3, expected " + D);
    assertThat(calls.value()).as("input rows computed").isZero();
    assertThat(new PcaReducer().setK(3).fit(sized).getK()).isEqualTo(3);
  }

  /**
   * A recorded size PCA cannot take (HashingTF's default 2^18 features, above CovarianceAccumulator.MAX_DIM)
   * fails in transformSchema too, before any row is computed, as a k above the recorded size does; it failed
   * in the fit's first task, after the stages upstream had computed its first rows.
   */
  @Test
  void aRecordedSizeAbovePcasLimitFailsBeforeAnyRowIsComputed() {
    org.apache.spark.util.LongAccumulator calls = spark.sparkContext().longAccumulator("pca fit input rows");
    org.apache.spark.sql.expressions.UserDefinedFunction words = functions.udf(
        (org.apache.spark.sql.api.java.UDF1<Long, String[]>) id -> {
          calls.add(1);
          return new String[] {"w" + id, "w" + id % 7};
        }, org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.StringType));
    Dataset<Row> text = spark.range(0, 40, 1, 2).withColumn("words", words.apply(functions.col("id")));
    org.apache.spark.ml.feature.HashingTF tf = new org.apache.spark.ml.feature.HashingTF().setInputCol("words")
        .setOutputCol("features");
    PcaReducer pca = new PcaReducer().setMinExplainedVariance(0.9);
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {tf, pca});
    assertThatThrownBy(() -> pipe.fit(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PcaReducer[" + pca.uid() + "], column 'features': vectors of size 262144; PCA takes sizes 1"
            + " to " + io.p9.core.linalg.CovarianceAccumulator.MAX_DIM);
    assertThat(calls.value()).as("input rows computed").isZero();
  }

  /** A size whose d x d matrices this JVM's heap cannot hold: three of them (Pca.fitBytes) above maxMemory. */
  static int sizeTheDriverCannotDecompose() {
    return (int) Math.ceil(Math.sqrt(Runtime.getRuntime().maxMemory() / 24.0)) + 1;
  }

  /**
   * 10 rows in 2 partitions of vectors of size d (column metadata {@code meta}); only the first row of each
   * partition can be computed, the others throw "row N computed", so that no fit runs out of memory.
   */
  static Dataset<Row> firstRowsOnly(int d, org.apache.spark.sql.types.Metadata meta) {
    org.apache.spark.sql.expressions.UserDefinedFunction vec = functions.udf(
        (org.apache.spark.sql.api.java.UDF1<Long, Vector>) id -> {
          if (id % 5 != 0) {
            throw new IllegalStateException("row " + id + " computed");
          }
          return Vectors.sparse(d, new int[] {0}, new double[] {id});
        }, SQLDataTypes.VectorType());
    return spark.range(0, 10, 1, 2).withColumn("features", vec.apply(functions.col("id")).as("features", meta));
  }

  /**
   * A recorded size whose d x d matrices the driver cannot hold (a feature map flattened before its pooling:
   * 7 x 7 x 512 = 25,088 values for VGG16) fails in transformSchema, naming the memory, before any row is
   * computed: the fit ran the stages upstream (a CNN) over the whole input, then ran out of memory. The size
   * is chosen from this JVM's heap; an IllegalArgumentException, not a failed job, shows that no row was
   * computed.
   */
  @Test
  void aRecordedSizeTheDriverCannotDecomposeFailsBeforeAnyRowIsComputed() {
    long heap = Runtime.getRuntime().maxMemory();
    int d = sizeTheDriverCannotDecompose();
    Dataset<Row> wide = firstRowsOnly(d, new AttributeGroup("features", d).toMetadata());
    PcaReducer pca = new PcaReducer().setK(2);
    assertThatThrownBy(() -> new Pipeline().setStages(new PipelineStage[] {pca}).fit(wide))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("PcaReducer[" + pca.uid() + "], column 'features': a PCA of vectors of size " + d
            + " needs more than " + String.format(java.util.Locale.ROOT, "%.1f", 24.0 * d * d / (1 << 30))
            + " GiB of driver memory")
        .hasMessageContaining("the driver has " + String.format(java.util.Locale.ROOT, "%.1f", heap
            / (double) (1 << 30)) + " GiB");
  }

  /**
   * Where the size is not recorded, a size whose d x d matrices the driver cannot hold fails at the first vector
   * of each task, as a k above the size does, before the task builds its d x d partial fit: the fit passed over
   * the whole input, the tasks each built one, then the driver ran out of memory.
   */
  @Test
  void anUnrecordedSizeTheDriverCannotDecomposeFailsAtTheFirstVector() {
    int d = sizeTheDriverCannotDecompose();
    Dataset<Row> wide = firstRowsOnly(d, org.apache.spark.sql.types.Metadata.empty());
    PcaReducer pca = new PcaReducer().setK(2);
    assertThatThrownBy(() -> pca.fit(wide))
        .hasStackTraceContaining("PcaReducer[" + pca.uid() + "], column 'features': a PCA of vectors of size " + d
            + " needs more than")
        .satisfies(e -> assertThat(e).hasStackTraceContaining("but the driver has"))
        .satisfies(e -> assertThat(org.apache.commons.lang3.exception.ExceptionUtils.getStackTrace(e))
            .doesNotContain("computed"));
  }

  /**
   * Each fit task builds a partial fit of 4 d (d + 1) bytes (the covariance triangle) at its first vector; where
   * that is above the heap of the executor running the task, the task fails there, naming the executor's memory,
   * rather than in an OutOfMemoryError that loses the executor (and its cached blocks) and is retried. Checked
   * before the driver's bound, which in local mode (one JVM) is the tighter one. The size is chosen from this
   * JVM's heap, below 8.6 GB, where a size PCA takes (up to 46,340) has such a triangle.
   */
  @Test
  void aSizeWhosePartialFitIsAboveTheExecutorsHeapFailsAtTheFirstVector() {
    long heap = Runtime.getRuntime().maxMemory();
    int d = (int) Math.ceil(Math.sqrt(heap / 4.0));
    assertThat(d).as("a size whose triangle passes this heap").isLessThanOrEqualTo(46340);
    Dataset<Row> wide = firstRowsOnly(d, org.apache.spark.sql.types.Metadata.empty());
    PcaReducer pca = new PcaReducer().setK(2);
    assertThatThrownBy(() -> pca.fit(wide))
        .hasStackTraceContaining("PcaReducer[" + pca.uid() + "], column 'features': each task of a PCA fit of "
            + "vectors of size " + d + " holds a partial fit of " + String.format(java.util.Locale.ROOT, "%.1f",
            4.0 * d * (d + 1) / (1 << 30)) + " GiB")
        .satisfies(e -> assertThat(e).hasStackTraceContaining("but the executor running it has "
            + String.format(java.util.Locale.ROOT, "%.1f", heap / (double) (1 << 30)) + " GiB"))
        .satisfies(e -> assertThat(org.apache.commons.lang3.exception.ExceptionUtils.getStackTrace(e))
            .doesNotContain("computed"));
  }

  /**
   * Each partition's partial result is a d x d triangle (6.6 MB at d = 1280); a depth-2 tree sent about
   * sqrt(partitions) of them to the driver, past {@code spark.driver.maxResultSize} (1g) from about 24,000
   * partitions at d = 1280. The last merge runs on an executor, so one result reaches the driver. Scaled down
   * here: d = 200 (160 KB per partial), 64 partitions (merged to 8 on local[2], which the old tree brought down
   * to 2 partials for the driver), a 250 KB limit.
   */
  @Test
  void fitSendsOnePartialResultToTheDriverWhateverThePartitionCount() {
    Random r = new Random(3);
    double[][] rows = new double[128][200];
    for (double[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian();
      }
    }
    Vector[] vs = java.util.Arrays.stream(rows).map(Vectors::dense).toArray(Vector[]::new);
    Dataset<Row> wide = vectors(vs).repartition(64);
    // the limit is read from the SparkContext's conf for each stage; restored below
    org.apache.spark.SparkConf conf = spark.sparkContext().conf();
    conf.set("spark.driver.maxResultSize", "250k");
    try {
      PcaReducerModel m = new PcaReducer().setK(2).fit(wide);
      assertThat(m.numRows()).isEqualTo(128);
    } finally {
      conf.remove("spark.driver.maxResultSize");
    }
  }

  /**
   * Each partition's partial fit is a d(d+1)/2 triangle whatever its rows (6.6 MB at d = 1280), and the tree
   * shuffles one per partition: at ImageFiles' 128 images per partition, 50 times the bytes of the rows (1.3 GB
   * written for 25,600 rows of 1280 in 200 partitions, 52 GB for a million images). The fit merges partitions
   * first, to at most 4 per core. Scaled down here: 64 partitions of 16 rows, d = 100, local[2].
   */
  @Test
  void fitShufflesAFewPartialFitsPerCoreWhateverThePartitionCount() throws Exception {
    Random r = new Random(11);
    Vector[] vs = new Vector[1024];
    for (int i = 0; i < vs.length; i++) {
      double[] x = new double[100];
      for (int j = 0; j < x.length; j++) {
        x[j] = r.nextGaussian() * (j + 1);
      }
      vs[i] = Vectors.dense(x);
    }
    Dataset<Row> many = vectors(vs).repartition(64).cache();
    assertThat(many.count()).isEqualTo(1024);
    long[] written = new long[2];
    org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
        if (end.taskMetrics() != null) {
          written[0] += end.taskMetrics().shuffleWriteMetrics().recordsWritten();
          written[1] += end.taskMetrics().shuffleWriteMetrics().bytesWritten();
        }
      }
    };
    spark.sparkContext().addSparkListener(listener);
    PcaReducerModel m;
    try {
      m = new PcaReducer().setK(3).fit(many);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    int cores = spark.sparkContext().defaultParallelism();
    // the first level shuffles one partial fit per task, the levels after it fewer
    assertThat(written[0]).as("partial fits shuffled (%d bytes)", written[1]).isLessThanOrEqualTo(2 * 4 * cores);
    assertThat(written[1]).as("bytes shuffled, against the rows' %d", 1024 * 100 * 8).isLessThan(1024 * 100 * 8);
    PcaReducerModel two = new PcaReducer().setK(3).fit(vectors(vs));
    assertThat(m.numRows()).isEqualTo(1024);
    assertThat(m.explainedVariance().toArray()).containsExactly(two.explainedVariance().toArray(), within(1e-12));
    many.unpersist();
  }

  @Test
  void vectorsOfDifferentSizesFailNamingStageAndColumnWithinAndAcrossPartitions() {
    StructType schema = new StructType().add("id", "int").add("features", SQLDataTypes.VectorType(), true);
    List<Row> rows = List.of(RowFactory.create(1, Vectors.dense(1, 2)), RowFactory.create(2, Vectors.dense(3, 4)),
        RowFactory.create(3, Vectors.dense(5, 6, 7)));
    PcaReducer pca = new PcaReducer().setK(1);
    String prefix = "PcaReducer[" + pca.uid() + "], column 'features': vectors of different sizes ";
    Dataset<Row> onePartition = spark.createDataFrame(rows, schema).coalesce(1);
    assertThatThrownBy(() -> pca.fit(onePartition)).hasStackTraceContaining(prefix + "2 and 3");
    // ids 1 and 2 in one partition, 3 in the other; partitions merge in task completion order
    Dataset<Row> split = spark.createDataFrame(rows, schema).repartitionByRange(2, org.apache.spark.sql.functions
        .col("id").leq(2));
    assertThat(split.rdd().getNumPartitions()).isEqualTo(2);
    Throwable across = org.assertj.core.api.Assertions.catchThrowable(() -> pca.fit(split));
    java.io.StringWriter trace = new java.io.StringWriter();
    across.printStackTrace(new java.io.PrintWriter(trace));
    assertThat(trace.toString()).containsPattern(java.util.regex.Pattern.quote(prefix) + "(2 and 3|3 and 2)");
  }

  static Dataset<Row> vectors(Vector... vs) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < vs.length; i++) {
      rows.add(RowFactory.create(i, vs[i]));
    }
    StructType schema = new StructType().add("id", "int").add("features", SQLDataTypes.VectorType(), true);
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  /** Data errors name the stage, the column and, for a NaN or an infinity, the feature. */
  @Test
  void dataErrorsNameStageColumnAndFeature() {
    Dataset<Row> nan = vectors(Vectors.dense(1, 2, 3), Vectors.dense(2, Double.NaN, 0), Vectors.dense(4, 4, 1),
        Vectors.dense(0, 3, 2));
    Dataset<Row> inf = vectors(Vectors.dense(1, 2, 3), Vectors.dense(2, 1, Double.NEGATIVE_INFINITY),
        Vectors.dense(4, 4, 1));
    for (boolean scale : new boolean[] {false, true}) {
      PcaReducer pca = new PcaReducer().setK(1).setScale(scale);
      String prefix = "PcaReducer[" + pca.uid() + "], column 'features': ";
      assertThatThrownBy(() -> pca.fit(nan)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(prefix + "the variance of feature 1 is NaN");
      assertThatThrownBy(() -> pca.fit(inf)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(prefix + "the variance of feature 2 is NaN");
    }
    PcaReducer pca = new PcaReducer().setK(1);
    assertThatThrownBy(() -> pca.fit(vectors(Vectors.dense(new double[0]), Vectors.dense(new double[0]))))
        .hasStackTraceContaining("PcaReducer[" + pca.uid() + "], column 'features': vectors of size 0");
    PcaReducerModel m = new PcaReducer().setK(2).fit(data);
    assertThatThrownBy(() -> m.transform(vectors(Vectors.dense(1, 2, 3))).collect())
        .hasStackTraceContaining("PcaReducerModel[" + m.uid() + "], column 'features': vector of size 3, expected "
            + D);
  }

  /**
   * Data whose variances are subnormal (about 1e-312) fits: the eigensolver works on the covariance scaled to unit
   * size (it did not converge on this data before). Explained variance and scores are finite, and the scores, a
   * projection onto orthonormal components, no longer than the centred vector and not all 0.
   */
  @Test
  void subnormalVariancesFitAndGiveFiniteScores() {
    java.util.Random rnd = new java.util.Random(20261205);
    Vector[] tiny = new Vector[20];
    for (int i = 0; i < tiny.length; i++) {
      double[] x = new double[6];
      for (int j = 0; j < x.length; j++) {
        x[j] = rnd.nextGaussian() * 1e-156;
      }
      tiny[i] = Vectors.dense(x);
    }
    PcaReducerModel m = new PcaReducer().setMinExplainedVariance(0.9).fit(vectors(tiny));
    assertThat(m.getK()).isBetween(1, 6);
    for (double c : m.cumulativeExplainedVariance().toArray()) {
      assertThat(c).isBetween(0.0, 1.0);
    }
    assertThat(m.totalExplainedVariance()).isGreaterThanOrEqualTo(0.9 - 1e-12);
    double[] mean = m.mean().toArray();
    double scores = 0;
    for (Row r : m.transform(vectors(tiny)).select("features", "pcaFeatures").collectAsList()) {
      double[] x = ((Vector) r.get(0)).toArray();
      double[] z = ((Vector) r.get(1)).toArray();
      double centred = 0;
      double projected = 0;
      // squares taken at 1e150 times the values, which are about 1e-156
      for (int j = 0; j < x.length; j++) {
        double c = (x[j] - mean[j]) * 1e150;
        centred += c * c;
      }
      for (double v : z) {
        assertThat(v).isFinite();
        projected += (v * 1e150) * (v * 1e150);
      }
      assertThat(projected).isLessThanOrEqualTo(centred * (1 + 1e-9));
      scores += projected;
    }
    assertThat(scores).isPositive();
  }

  /**
   * With {@code scale}, a feature that is 0 but in one training row, where it is 1e-160, has a std of about
   * 7e-162 and a factor 1 / std of 1.4e161: a later row holding 1e150 there scored Infinity. Its std is below
   * 2^-52 of the largest std, so it is taken as constant (factor 0, as StandardScaler takes std 0): the scores do
   * not depend on its value and are finite.
   */
  @Test
  void scaleTakesAFeatureWhoseStdIsBelowEpsilonOfTheLargestAsConstant() {
    Random rnd = new Random(20261206);
    Vector[] train = new Vector[200];
    for (int i = 0; i < train.length; i++) {
      double a = rnd.nextGaussian();
      train[i] = Vectors.dense(a, 0.5 * a + rnd.nextGaussian(), i == 0 ? 1e-160 : 0);
    }
    PcaReducerModel m = new PcaReducer().setScale(true).setK(2).fit(vectors(train));
    double tinyMean = m.mean().apply(2);
    List<Row> scored = m.transform(vectors(Vectors.dense(0.3, -0.2, 1e150), Vectors.dense(0.3, -0.2, tinyMean)))
        .orderBy("id").select("pcaFeatures").collectAsList();
    double[] far = ((Vector) scored.get(0).get(0)).toArray();
    assertThat(java.util.Arrays.stream(far).allMatch(Double::isFinite)).as("finite scores: %s",
        java.util.Arrays.toString(far)).isTrue();
    assertThat(far).containsExactly(((Vector) scored.get(1).get(0)).toArray());
    assertThat(m.scaleFactors().apply(2)).isZero();
  }

  /**
   * Column names are taken as they are, as the schema checks take them: a dot in a name is part of it, not a
   * path into a struct.
   */
  @Test
  void columnNamesWithADotAreColumnsNotStructFields() {
    Dataset<Row> dotted = data.withColumnRenamed("features", "cnn.features");
    PcaReducerModel m = new PcaReducer().setInputCol("cnn.features").setOutputCol("pca.features").setK(2)
        .fit(dotted);
    PcaReducerModel plain = new PcaReducer().setK(2).fit(data);
    assertThat(m.pc().toArray()).containsExactly(plain.pc().toArray(), within(1e-12));
    Dataset<Row> out = m.transform(dotted);
    assertThat(out.columns()).endsWith("cnn.features", "pca.features");
    assertThat(out.schema().apply("pca.features").metadata().json()).contains("\"num_attrs\":2");
    assertThat(out.filter("id = 7").select("`pca.features`").head().get(0))
        .isEqualTo(plain.transform(data).filter("id = 7").select("pcaFeatures").head().get(0));
    // and a struct field is not taken for a column of that name
    Dataset<Row> nested = data.select(functions.col("id"), functions.struct(functions.col("features")).as("cnn"));
    assertThatThrownBy(() -> new PcaReducer().setInputCol("cnn.features").setK(2).fit(nested))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column 'cnn.features' does not exist");
  }

  @Test
  void fitNeedsTwoNonNullRows() {
    assertThatThrownBy(() -> new PcaReducer().setK(1).fit(data.filter("id = -1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no non-null rows in column 'features'");
    assertThatThrownBy(() -> new PcaReducer().setK(1).fit(data.filter("id = -1").limit(0)))
        .hasMessageContaining("no non-null rows");
    assertThatThrownBy(() -> new PcaReducer().setK(1).fit(data.filter("id <= 0")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PCA needs at least 2 rows, got 1");
  }

  @Test
  void kCanBeLoweredAfterTheFitButNotRaised() {
    PcaReducerModel m = new PcaReducer().setK(3).fit(data);
    String tooMany = "PcaReducerModel[" + m.uid() + "]: k = 4 is larger than the 3 components this model was "
        + "fitted with";
    assertThatThrownBy(() -> m.transform(data, new ParamMap().put(m.k(), 4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(tooMany);
    assertThatThrownBy(() -> m.copy(new ParamMap().put(m.k(), 4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(tooMany);

    PcaReducerModel two = m.copy(new ParamMap().put(m.k(), 2));
    assertThat(two.getK()).isEqualTo(2);
    assertThat(two.pc().numCols()).isEqualTo(2);
    assertThat(two.pc().toArray()).containsExactly(java.util.Arrays.copyOf(m.pc().toArray(), 2 * D));
    assertThat(two.explainedVariance().toArray())
        .containsExactly(java.util.Arrays.copyOf(m.explainedVariance().toArray(), 2));
    List<Row> three = m.transform(data.na().drop()).select("id", "pcaFeatures").orderBy("id").collectAsList();
    List<Row> lowered = m.transform(data.na().drop(), new ParamMap().put(m.k(), 2)).select("id", "pcaFeatures")
        .orderBy("id").collectAsList();
    for (int i = 0; i < three.size(); i++) {
      assertThat(((Vector) lowered.get(i).get(1)).toArray())
          .containsExactly(java.util.Arrays.copyOf(((Vector) three.get(i).get(1)).toArray(), 2));
    }
    PcaReducerModel back = RoundTrip.saveAndLoad(two, tmp.resolve("lowered"), PcaReducerModel::load);
    assertThat(back.pc().toArray()).isEqualTo(two.pc().toArray());
    assertThatThrownBy(() -> back.copy(new ParamMap().put(back.k(), 3))).hasMessageContaining("k = 3 is larger "
        + "than the 2 components");
  }

  /**
   * {@code minExplainedVariance} given to a fitted model (copy, transform with a ParamMap, as a CrossValidator
   * grid or a PipelineModel passes it) chooses k again from the stored eigenvalues, as the fit would have, where
   * the model kept enough components; a target that needs more is refused, and a k given instead replaces it.
   */
  @Test
  void minExplainedVarianceOnAFittedModelChoosesKAgainFromTheStoredVariance() {
    PcaReducerModel all = new PcaReducer().setK(D).fit(data);
    int k90 = new PcaReducer().setMinExplainedVariance(0.9).fit(data).getK();
    assertThat(k90).isGreaterThan(1).isLessThan(D);
    PcaReducerModel m = all.copy(new ParamMap().put(all.minExplainedVariance(), 0.9));
    assertThat(m.getK()).isEqualTo(k90);
    assertThat(m.pc().numCols()).isEqualTo(k90);
    assertThat(m.explainedVariance().size()).isEqualTo(k90);
    Row first = all.transform(data.na().drop(), new ParamMap().put(all.minExplainedVariance(), 0.9))
        .select("id", "pcaFeatures").orderBy("id").first();
    assertThat(((Vector) first.get(1)).size()).isEqualTo(k90);
    assertThat(all.getK()).isEqualTo(D);

    PcaReducerModel few = m.copy(new ParamMap().put(m.k(), k90 - 1));
    assertThat(few.getK()).isEqualTo(k90 - 1);
    assertThat(few.isSet(few.minExplainedVariance())).as("k replaces minExplainedVariance").isFalse();
    PcaReducerModel fitted = new PcaReducer().setK(k90 - 1).fit(data);
    assertThatThrownBy(() -> fitted.copy(new ParamMap().put(fitted.minExplainedVariance(), 0.9)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PcaReducerModel[" + fitted.uid()
            + "]: minExplainedVariance = 0.9 needs k = " + k90 + " but this model was fitted with " + (k90 - 1)
            + " components");
    assertThatThrownBy(() -> all.copy(new ParamMap().put(all.k(), 1).put(all.minExplainedVariance(), 0.9)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k = 1 and minExplainedVariance = 0.9"
            + " (k = " + k90 + ") disagree");
    // the params a grid fitted it with, given back, change nothing
    assertThat(m.copy(m.extractParamMap()).getK()).isEqualTo(k90);
    // set directly (Java sees Scala's protected set): refused rather than ignored
    PcaReducerModel raw = all.copy(ParamMap.empty());
    raw.set(raw.minExplainedVariance(), 0.9);
    assertThatThrownBy(() -> raw.transform(data)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("disagree; clear one of them");
    PcaReducerModel back = RoundTrip.saveAndLoad(m, tmp.resolve("variance-after-fit"), PcaReducerModel::load);
    assertThat(back.getK()).isEqualTo(k90);
    assertThat(back.getMinExplainedVariance()).isEqualTo(0.9);
  }

  /**
   * Set directly, as a Java caller can (Scala's protected set and clear), a model's k cleared and its
   * minExplainedVariance set choose k from the stored variance, as copy does, also saved and loaded; with neither,
   * the model says so, naming itself, rather than failing in Spark's getter.
   */
  @Test
  void aFittedModelWhoseKIsClearedChoosesItByMinExplainedVariance() {
    PcaReducerModel all = new PcaReducer().setK(D).fit(data);
    int k90 = all.copy(new ParamMap().put(all.minExplainedVariance(), 0.9)).getK();
    PcaReducerModel raw = all.copy(ParamMap.empty());
    raw.set(raw.minExplainedVariance(), 0.9);
    raw.clear(raw.k());
    assertThat(raw.getK()).isEqualTo(k90);
    assertThat(raw.pc().numCols()).isEqualTo(k90);
    assertThat(raw.explainedVariance().size()).isEqualTo(k90);
    Dataset<Row> out = raw.transform(data.na().drop());
    assertThat(AttributeGroup.fromStructField(out.schema().apply("pcaFeatures")).size()).isEqualTo(k90);
    List<Row> expected = all.transform(data.na().drop(), new ParamMap().put(all.k(), k90))
        .select("id", "pcaFeatures").orderBy("id").collectAsList();
    assertThat(out.select("id", "pcaFeatures").orderBy("id").collectAsList()).isEqualTo(expected);
    PcaReducerModel back = RoundTrip.saveAndLoad(raw, tmp.resolve("k-cleared"), PcaReducerModel::load);
    assertThat(back.getK()).isEqualTo(k90);
    assertThat(back.pc().toArray()).isEqualTo(raw.pc().toArray());
    assertThat(back.transform(data.na().drop()).select("id", "pcaFeatures").orderBy("id").collectAsList())
        .isEqualTo(expected);

    PcaReducerModel none = all.copy(ParamMap.empty());
    none.clear(none.k());
    assertThatThrownBy(none::getK).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("k is not set; set k or minExplainedVariance");
    assertThatThrownBy(() -> none.transform(data)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PcaReducerModel[" + none.uid() + "]: k is not set; set k or minExplainedVariance");
  }

  /**
   * A model saved before a k given to a copy cleared {@code minExplainedVariance} holds both, disagreeing: it loads
   * with the k it was saved with (the one its transform used), not refused by the check the two now pass.
   */
  @Test
  void aModelSavedWithALoweredKAndTheFitsVarianceTargetLoadsWithItsK() throws Exception {
    PcaReducerModel byVariance = new PcaReducer().setMinExplainedVariance(0.9).fit(data);
    PcaReducerModel lowered = byVariance.copy(new ParamMap().put(byVariance.k(), 1));
    String path = tmp.resolve("legacy-variance").toString();
    lowered.write().save(path);
    Path meta = Path.of(path, "metadata", "part-00000");
    String json = Files.readString(meta);
    assertThat(json).contains("\"paramMap\":{").doesNotContain("minExplainedVariance");
    Files.writeString(meta, json.replace("\"paramMap\":{", "\"paramMap\":{\"minExplainedVariance\":0.9,"));
    Files.delete(meta.resolveSibling(".part-00000.crc"));
    PcaReducerModel back = PcaReducerModel.load(path);
    assertThat(back.getK()).isEqualTo(1);
    assertThat(back.isSet(back.minExplainedVariance())).isFalse();
    assertThat(((Vector) back.transform(data.na().drop()).first().getAs("pcaFeatures")).size()).isEqualTo(1);
  }

  /**
   * {@code scale} is decided by the fit (the components are those of the correlation or of the covariance
   * matrix), so a model refuses another value rather than keep transforming as fitted while reporting it.
   */
  @Test
  void scaleIsFixedByTheFit() {
    PcaReducerModel plain = new PcaReducer().setK(2).fit(data);
    PcaReducerModel scaled = new PcaReducer().setK(2).setScale(true).fit(data);
    for (PcaReducerModel m : List.of(plain, scaled)) {
      boolean other = !m.getScale();
      String msg = "PcaReducerModel[" + m.uid() + "]: scale = " + other + " but this model was fitted with scale = "
          + m.getScale();
      assertThatThrownBy(() -> m.copy(new ParamMap().put(m.scale(), other)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(msg);
      assertThatThrownBy(() -> m.transform(data, new ParamMap().put(m.scale(), other)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(msg);
      PcaReducerModel same = m.copy(new ParamMap().put(m.scale(), m.getScale()));
      assertThat(same.getScale()).isEqualTo(m.getScale());
      PcaReducerModel back = RoundTrip.saveAndLoad(m, tmp.resolve("scale-" + m.getScale()), PcaReducerModel::load);
      assertThat(back.getScale()).isEqualTo(m.getScale());
      assertThatThrownBy(() -> back.copy(new ParamMap().put(back.scale(), other))).hasMessageContaining(
          "but this model was fitted with scale = " + m.getScale());
    }
  }

  /**
   * The reader takes the components in any layout Spark's MatrixUDT stores: here {@code data/} is rewritten
   * with the same d x k matrix held row-major ({@code isTransposed}), as another writer may leave it.
   */
  @Test
  void loadReadsComponentsStoredRowMajor() throws Exception {
    PcaReducerModel m = new PcaReducer().setK(3).fit(data);
    String path = tmp.resolve("row-major").toUri().toString();
    m.write().save(path);
    String dataPath = path + "/data";
    Row saved = spark.read().parquet(dataPath).head();
    DenseMatrix pc = m.pc();
    DenseMatrix rowMajor = new DenseMatrix(pc.numRows(), pc.numCols(), pc.transpose().toArray(), true);
    assertThat(rowMajor.isTransposed()).isTrue();
    assertThat(rowMajor.toArray()).isEqualTo(pc.toArray());
    Row rewritten = RowFactory.create(saved.get(0), saved.get(1), rowMajor, saved.get(3), saved.get(4));
    spark.createDataFrame(List.of(rewritten), spark.read().parquet(dataPath).schema()).repartition(1).write()
        .mode("overwrite").parquet(dataPath);
    PcaReducerModel back = PcaReducerModel.load(path);
    assertThat(back.pc().toArray()).isEqualTo(pc.toArray());
    assertThat(back.transform(data).select("id", "pcaFeatures").orderBy("id").collectAsList())
        .isEqualTo(m.transform(data).select("id", "pcaFeatures").orderBy("id").collectAsList());
  }

  /**
   * A {@code data/} whose parts do not fit together (hand-edited, or from another writer) is refused on load,
   * naming the path and the sizes, rather than loading a model with a wrong layout.
   */
  @Test
  void loadRefusesDataWhoseSizesDoNotFitTogether() throws Exception {
    PcaReducerModel m = new PcaReducer().setK(3).fit(data);
    double[] pc = m.pc().toArray();
    Vector shortVector = Vectors.dense(new double[D - 1]);
    String shortMean = savedWithData(m, "short-mean", 0, shortVector);
    assertThatThrownBy(() -> PcaReducerModel.load(shortMean))
        .hasMessageContaining("PcaReducerModel data at " + shortMean + "/data does not fit together")
        .hasMessageContaining("mean 11, scale 12, eigenvalues 12, pc 12 x 3");
    String shortEigenvalues = savedWithData(m, "short-eigenvalues", 3, shortVector);
    assertThatThrownBy(() -> PcaReducerModel.load(shortEigenvalues))
        .hasMessageContaining("mean 12, scale 12, eigenvalues 11, pc 12 x 3");
    // two components where the metadata says k = 3
    DenseMatrix twoPc = new DenseMatrix(D, 2, java.util.Arrays.copyOf(pc, 2 * D));
    String twoColumns = savedWithData(m, "two-columns", 2, twoPc);
    assertThatThrownBy(() -> PcaReducerModel.load(twoColumns))
        .hasMessageContaining("pc 12 x 2, metadata dim 12 and k 3");
    // the same values as a 18 x 2 matrix
    String reshaped = savedWithData(m, "reshaped", 2, new DenseMatrix(18, 2, pc));
    assertThatThrownBy(() -> PcaReducerModel.load(reshaped)).hasMessageContaining("pc 18 x 2");
  }

  /**
   * A {@code data/} whose numbers no fit gives (edited or corrupted: NaN, an infinity, a negative or increasing
   * eigenvalue, a negative scale factor, factors other than 1 on a model fitted without scale, components that
   * are not orthonormal, fewer than 2 rows) is refused on load, naming the path and the first wrong value, rather
   * than loading a model whose scores are garbage.
   */
  @Test
  void loadRefusesDataWhoseNumbersNoFitGives() throws Exception {
    PcaReducerModel m = new PcaReducer().setK(3).fit(data);
    PcaReducerModel scaled = new PcaReducer().setK(3).setScale(true).fit(data);
    double[] mean = m.mean().toArray();
    mean[4] = Double.NaN;
    assertLoadRefused(savedWithData(m, "nan-mean", 0, Vectors.dense(mean)), "mean[4] is NaN");
    double[] pc = m.pc().toArray();
    pc[D + 5] = Double.POSITIVE_INFINITY;
    assertLoadRefused(savedWithData(m, "infinite-pc", 2, new DenseMatrix(D, 3, pc)), "pc(5, 1) is Infinity");
    double[] factors = scaled.scaleFactors().toArray();
    factors[2] = Double.NaN;
    assertLoadRefused(savedWithData(scaled, "nan-scale", 1, Vectors.dense(factors)), "scale[2] is NaN");
    factors[2] = -1;
    assertLoadRefused(savedWithData(scaled, "negative-scale", 1, Vectors.dense(factors)),
        "scale[2] is -1.0, below 0");
    double[] ones = m.scaleFactors().toArray();
    ones[7] = 2;
    assertLoadRefused(savedWithData(m, "unscaled-factor", 1, Vectors.dense(ones)),
        "scale[7] is 2.0 but the model was fitted with scale = false");
    double[] eigenvalues = m.eigenvalues().toArray();
    eigenvalues[D - 1] = Double.NEGATIVE_INFINITY;
    assertLoadRefused(savedWithData(m, "infinite-eigenvalue", 3, Vectors.dense(eigenvalues)),
        "eigenvalue 11 must be finite and >= 0, got -Infinity");
    eigenvalues = m.eigenvalues().toArray();
    eigenvalues[1] = eigenvalues[0] * 2;
    assertLoadRefused(savedWithData(m, "increasing-eigenvalues", 3, Vectors.dense(eigenvalues)),
        "eigenvalues must be decreasing");
    pc = m.pc().toArray();
    pc[D + 5] += 0.5;
    assertLoadRefused(savedWithData(m, "skewed-pc", 2, new DenseMatrix(D, 3, pc)), "pc is not orthonormal");
    assertLoadRefused(savedWithData(m, "one-row", 4, 1L), "numRows is 1");
    // the values as saved load
    assertThat(PcaReducerModel.load(savedWithData(m, "as-saved", 4, m.numRows())).pc().toArray())
        .isEqualTo(m.pc().toArray());
  }

  static void assertLoadRefused(String path, String what) {
    assertThatThrownBy(() -> PcaReducerModel.load(path)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PcaReducerModel data at " + path + "/data: ").hasMessageContaining(what);
  }

  /** Saves {@code m} under {@code name} with column {@code column} of its {@code data/} row replaced. */
  static String savedWithData(PcaReducerModel m, String name, int column, Object value) throws Exception {
    String path = tmp.resolve(name).toString();
    m.write().save(path);
    String dataPath = path + "/data";
    Dataset<Row> saved = spark.read().parquet(dataPath);
    Object[] values = new Object[saved.columns().length];
    Row row = saved.head();
    for (int i = 0; i < values.length; i++) {
      values[i] = i == column ? value : row.get(i);
    }
    spark.createDataFrame(List.of(RowFactory.create(values)), saved.schema()).repartition(1).write()
        .mode("overwrite").parquet(dataPath);
    return path;
  }

  @SuppressWarnings("unchecked")
  static <T> T javaRoundTrip(T o) throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void estimatorAndModelSurviveJavaSerialization() throws Exception {
    PcaReducer est = new PcaReducer().setK(3).setOutputCol("z").setScale(true);
    PcaReducer estBack = javaRoundTrip(est);
    assertThat(estBack.uid()).isEqualTo(est.uid());
    assertThat(estBack.getK()).isEqualTo(3);
    assertThat(estBack.getOutputCol()).isEqualTo("z");
    assertThat(estBack.getScale()).isTrue();

    PcaReducerModel m = est.fit(data);
    PcaReducerModel mBack = javaRoundTrip(m);
    assertThat(mBack.uid()).isEqualTo(m.uid());
    assertThat(mBack.getK()).isEqualTo(3);
    assertThat(mBack.pc().toArray()).isEqualTo(m.pc().toArray());
    assertThat(mBack.transform(data).select("id", "z").orderBy("id").collectAsList())
        .isEqualTo(m.transform(data).select("id", "z").orderBy("id").collectAsList());
  }

  /** {@code data/} is written with the session given to the writer (its SQL conf), as Spark's writers do. */
  @Test
  void saveWritesTheDataWithTheWritersSession() throws Exception {
    PcaReducerModel m = new PcaReducer().setK(2).fit(data);
    SparkSession other = spark.newSession();
    other.conf().set("spark.sql.parquet.compression.codec", "gzip");
    Path dir = tmp.resolve("writer-session");
    m.write().session(other).save(dir.toString());
    try (Stream<Path> files = Files.list(dir.resolve("data"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".parquet")).toList())
          .isNotEmpty().allMatch(n -> n.endsWith(".gz.parquet"));
    }
    assertThat(PcaReducerModel.load(dir.toString()).pc().toArray()).isEqualTo(m.pc().toArray());
  }

  @Test
  void loadNamesAColumnMissingFromTheSavedData() throws Exception {
    // data/ is read with its known schema (no inference job): a column that is not there reads as null
    PcaReducerModel m = new PcaReducer().setK(2).fit(data);
    Path dir = tmp.resolve("noScale");
    m.write().save(dir.toString());
    Path other = tmp.resolve("noScaleData");
    spark.read().parquet(dir.resolve("data").toString()).drop("scale").write().parquet(other.toString());
    try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    Files.move(other, dir.resolve("data"));
    assertThatThrownBy(() -> PcaReducerModel.load(dir.toString()))
        .hasMessageContaining("has no value in column 'scale'");
  }

  /**
   * transformSchema gives the schema transform gives, the vector size (ML attribute group) included, as Spark's
   * PCAModel does: a PipelineModel's transformSchema then tells the stages after it the size.
   */
  @Test
  void transformSchemaIsTheSchemaOfTheOutputWithItsVectorSize() {
    PcaReducerModel m = new PcaReducer().setK(3).fit(data);
    StructType out = m.transformSchema(data.schema());
    assertThat(AttributeGroup.fromStructField(out.apply("pcaFeatures")).size()).isEqualTo(3);
    assertThat(out).isEqualTo(m.transform(data).schema());
    PcaReducerModel two = m.copy(new ParamMap().put(m.k().w(2)));
    assertThat(two.transformSchema(data.schema())).isEqualTo(two.transform(data).schema());
    assertThat(AttributeGroup.fromStructField(two.transformSchema(data.schema()).apply("pcaFeatures")).size())
        .isEqualTo(2);
    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {new PcaReducer().setK(3)}).fit(data);
    assertThat(pm.transformSchema(data.schema())).isEqualTo(pm.transform(data).schema());
  }

  /**
   * With k set, the estimator's transformSchema records the output size, as Spark's PCA does: an unfitted
   * Pipeline's transformSchema then gives the schema its fitted model's transform gives. With
   * minExplainedVariance the size is not known before the fit.
   */
  @Test
  void theEstimatorsTransformSchemaRecordsAFixedK() {
    PcaReducer fixed = new PcaReducer().setK(3);
    StructType out = fixed.transformSchema(data.schema());
    PCA sparks = new PCA().setK(3).setInputCol("features").setOutputCol("pcaFeatures");
    assertThat(out.apply("pcaFeatures").metadata())
        .isEqualTo(sparks.transformSchema(data.schema()).apply("pcaFeatures").metadata());
    assertThat(AttributeGroup.fromStructField(out.apply("pcaFeatures")).size()).isEqualTo(3);
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {fixed});
    assertThat(pipe.transformSchema(data.schema())).isEqualTo(pipe.fit(data).transform(data).schema());
    StructType byVariance = new PcaReducer().setMinExplainedVariance(0.9).transformSchema(data.schema());
    assertThat(AttributeGroup.fromStructField(byVariance.apply("pcaFeatures")).size()).isEqualTo(-1);
  }

  @Test
  void theModelHasSetTheParamsTheEstimatorHadSetAndDefaultsTheOthers() {
    PcaReducer est = new PcaReducer().setOutputCol("z").setMinExplainedVariance(0.9);
    PcaReducerModel m = est.fit(data);
    // as Spark's estimators copy params: a default stays a default (k and scale are the fit's own)
    for (String name : List.of("inputCol", "center")) {
      assertThat(m.isSet(m.getParam(name))).as("%s set on the model", name).isFalse();
    }
    assertThat(m.isSet(m.outputCol())).isTrue();
    assertThat(m.isSet(m.minExplainedVariance())).isTrue();
    assertThat(m.explainParam(m.center())).endsWith("(default: true)");
    PcaReducerModel back = RoundTrip.saveAndLoad(m, tmp.resolve("setOrDefault"), PcaReducerModel::load);
    assertThat(back.isSet(back.center())).isFalse();
  }

  @Test
  void roundTripOfEstimatorModelAndPipeline() {
    PcaReducer est = new PcaReducer().setMinExplainedVariance(0.8).setOutputCol("z").setScale(true);
    PcaReducer estBack = RoundTrip.saveAndLoad(est, tmp.resolve("est"), PcaReducer::load);
    PcaReducerModel m = est.fit(data);
    assertThat(m.uid()).isEqualTo(est.uid());
    assertThat(m.parent()).isSameAs(est);
    PcaReducerModel mBack = RoundTrip.saveAndLoad(m, tmp.resolve("model"), PcaReducerModel::load);
    assertThat(mBack.getK()).isEqualTo(m.getK());
    assertThat(mBack.pc().toArray()).isEqualTo(m.pc().toArray());
    assertThat(mBack.eigenvalues().toArray()).isEqualTo(m.eigenvalues().toArray());
    assertThat(mBack.transform(data).select("id", "z").orderBy("id").collectAsList())
        .isEqualTo(m.transform(data).select("id", "z").orderBy("id").collectAsList());
    // a refit merges partitions in task completion order: equal up to floating-point round-off
    assertThat(estBack.fit(data).pc().toArray()).containsExactly(m.pc().toArray(), within(1e-12));

    PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {est}).fit(data);
    String p = tmp.resolve("pm").toUri().toString();
    try {
      pm.write().save(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(PipelineModel.load(p).transform(data).select("id", "z").orderBy("id").collectAsList())
        .isEqualTo(pm.transform(data).select("id", "z").orderBy("id").collectAsList());

    // inside an unfitted Pipeline: the loaded estimator fits the same model, up to round-off
    PcaReducer inPipeline = RoundTrip.saveAndLoadInPipeline(est, tmp.resolve("pipeline"));
    PcaReducerModel refit =
        (PcaReducerModel) new Pipeline().setStages(new PipelineStage[] {inPipeline}).fit(data).stages()[0];
    assertThat(refit.getK()).isEqualTo(m.getK());
    assertThat(refit.pc().toArray()).containsExactly(m.pc().toArray(), within(1e-12));
    List<Row> expected = m.transform(data).select("id", "z").orderBy("id").collectAsList();
    List<Row> got = refit.transform(data).select("id", "z").orderBy("id").collectAsList();
    assertThat(got).hasSameSizeAs(expected);
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).getInt(0)).isEqualTo(expected.get(i).getInt(0));
      if (expected.get(i).isNullAt(1)) {
        assertThat(got.get(i).isNullAt(1)).as("row %d", i).isTrue();
        continue;
      }
      assertThat(((Vector) got.get(i).get(1)).toArray()).as("row %d", i)
          .containsExactly(((Vector) expected.get(i).get(1)).toArray(), within(1e-9));
    }
  }
}
