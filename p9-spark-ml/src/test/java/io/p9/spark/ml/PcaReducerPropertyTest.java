package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.p9.spark.ml.testing.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Properties of a {@link PcaReducer} fit and its model's transform over seeded random data, through Spark
 * (several partitions, an empty one and a null row), with and without {@code scale}. Each case prints its seed
 * on failure; rerun one case by setting {@code base + i} as the seed.
 */
class PcaReducerPropertyTest {
  private static final int CASES = 6;

  /** Rows x = mu + A z, features of very different scales, maybe a constant one; plus a null row. */
  static Dataset<Row> randomData(SparkSession spark, Random rnd, int n, int d, boolean withConstant) {
    double[][] a = new double[d][d];
    for (int i = 0; i < d; i++) {
      double magnitude = Math.pow(10, 4 * rnd.nextDouble() - 2);
      for (int j = 0; j < d; j++) {
        a[i][j] = magnitude * rnd.nextGaussian();
      }
    }
    int constant = withConstant ? rnd.nextInt(d) : -1;
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = rnd.nextGaussian();
      }
      double[] x = new double[d];
      for (int i = 0; i < d; i++) {
        x[i] = 50 * i;
        if (i != constant) {
          for (int j = 0; j < d; j++) {
            x[i] += a[i][j] * z[j];
          }
        }
      }
      rows.add(RowFactory.create(r, Vectors.dense(x)));
    }
    rows.add(RowFactory.create(-1, null));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Row> rdd = jsc.parallelize(List.<Row>of(), 1).union(jsc.parallelize(rows, 3));
    StructType schema = new StructType().add("id", "int").add("features", SQLDataTypes.VectorType(), true);
    return spark.createDataFrame(rdd, schema);
  }

  /**
   * The components are orthonormal; the explained variance is sorted, each in [0, 1]; the cumulative one
   * non-decreasing, at most 1 and ending at exactly 1; and the scores of the training rows are centred,
   * uncorrelated, with the eigenvalues as their variances (those of the correlation matrix with {@code scale}).
   */
  @Test
  void componentsOrthonormalVarianceSortedAndScoresDecorrelated() {
    SparkSession spark = TestSpark.get();
    long base = 9_000;
    for (int t = 0; t < CASES; t++) {
      long seed = base + t;
      Random rnd = new Random(seed);
      int d = 2 + rnd.nextInt(7);
      int n = d + 2 + rnd.nextInt(150);
      boolean scale = t % 2 == 1;
      boolean withConstant = t >= CASES - 2;
      Dataset<Row> data = randomData(spark, rnd, n, d, withConstant);
      String why = "seed " + seed + " d=" + d + " n=" + n + " scale=" + scale + " constant feature=" + withConstant
          + ": ";
      assertThat(data.rdd().getNumPartitions()).isEqualTo(4);

      PcaReducerModel m = new PcaReducer().setK(d).setScale(scale).setOutputCol("z").fit(data);
      assertThat(m.numRows()).as(why + "rows fitted").isEqualTo(n);
      double[] v = m.pc().toArray();
      for (int a = 0; a < d; a++) {
        for (int b = 0; b < d; b++) {
          double dot = 0;
          for (int i = 0; i < d; i++) {
            dot += v[a * d + i] * v[b * d + i];
          }
          assertThat(dot).as(why + "pc%d·pc%d", a, b).isCloseTo(a == b ? 1 : 0, within(1e-9));
        }
      }
      double[] ratio = m.explainedVariance().toArray();
      double[] cum = m.cumulativeExplainedVariance().toArray();
      double[] values = m.eigenvalues().toArray();
      assertThat(ratio).as(why + "explained variance").hasSize(d);
      for (int j = 0; j < d; j++) {
        assertThat(ratio[j]).as(why + "explained variance %d", j).isBetween(0.0, 1.0);
        assertThat(cum[j]).as(why + "cumulative %d", j).isBetween(0.0, 1.0);
        if (j > 0) {
          assertThat(ratio[j]).as(why + "explained variance %d", j).isLessThanOrEqualTo(ratio[j - 1]);
          assertThat(values[j]).as(why + "eigenvalue %d", j).isLessThanOrEqualTo(values[j - 1]);
          assertThat(cum[j]).as(why + "cumulative %d", j).isGreaterThanOrEqualTo(cum[j - 1]);
        }
      }
      assertThat(cum[d - 1]).as(why + "cumulative at d").isEqualTo(1.0);
      assertThat(m.totalExplainedVariance()).as(why + "total").isEqualTo(1.0);

      List<Row> out = m.transform(data).select("id", "z").collectAsList();
      assertThat(out).as(why + "rows out").hasSize(n + 1);
      double[] sum = new double[d];
      double[][] cross = new double[d][d];
      for (Row r : out) {
        if (r.getInt(0) < 0) {
          assertThat(r.isNullAt(1)).as(why + "the null row's scores").isTrue();
          continue;
        }
        double[] z = ((Vector) r.get(1)).toArray();
        assertThat(z).as(why + "scores of row %d", r.getInt(0)).hasSize(d);
        for (int a = 0; a < d; a++) {
          sum[a] += z[a];
          for (int b = 0; b < d; b++) {
            cross[a][b] += z[a] * z[b];
          }
        }
      }
      double top = values[0];
      for (int a = 0; a < d; a++) {
        assertThat(sum[a] / n).as(why + "mean score %d", a).isCloseTo(0, within(1e-9 * Math.sqrt(top)));
        for (int b = 0; b < d; b++) {
          double cov = (cross[a][b] - sum[a] * sum[b] / n) / (n - 1);
          assertThat(cov).as(why + "covariance of scores %d and %d", a, b)
              .isCloseTo(a == b ? values[a] : 0, within(1e-8 * top));
        }
      }
      if (scale) {
        double trace = 0;
        for (double x : values) {
          trace += x;
        }
        // the trace of a correlation matrix: one per non-constant feature
        assertThat(trace).as(why + "sum of the eigenvalues with scale")
            .isCloseTo(withConstant ? d - 1 : d, within(1e-9));
      }
    }
  }
}
