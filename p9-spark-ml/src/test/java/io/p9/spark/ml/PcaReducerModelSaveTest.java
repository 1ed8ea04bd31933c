package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.linalg.PcaResult;
import io.p9.spark.ml.testing.LogCapture;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving a model of CnnFeaturizer's size, all components kept: a 1280 x 1280 matrix, 13 MB of doubles. */
class PcaReducerModelSaveTest {
  private static final int D = 1280;

  @TempDir Path tmp;

  /**
   * Spark warns of a task over 1000 KiB (TaskSetManager) or a task binary it has to broadcast (DAGScheduler):
   * the model's numbers must reach the task that writes them some other way than inside it.
   */
  @Test
  void savingAFullSizeModelShipsNoLargeTaskAndLoadsItBackExactly() throws Exception {
    SparkSession spark = TestSpark.get();
    PcaReducerModel model = fullSizeModel(new Random(7));
    String path = tmp.resolve("full-size").toUri().toString();
    try (LogCapture log = new LogCapture("org.apache.spark.scheduler.TaskSetManager",
        "org.apache.spark.scheduler.DAGScheduler")) {
      model.write().save(path);
      assertThat(log.lines()).as("the scheduler's warnings while saving").isEmpty();
    }

    // the format as it was: data/ is one row of mean, scale, pc, eigenvalues and numRows, in one part file
    Dataset<Row> data = spark.read().parquet(path + "/data");
    assertThat(data.schema().fields()).extracting(StructField::name, StructField::dataType).containsExactly(
        tuple("mean", SQLDataTypes.VectorType()), tuple("scale", SQLDataTypes.VectorType()),
        tuple("pc", SQLDataTypes.MatrixType()), tuple("eigenvalues", SQLDataTypes.VectorType()),
        tuple("numRows", DataTypes.LongType));
    assertThat(data.count()).isEqualTo(1);
    assertThat(tmp.resolve("full-size/data").toFile().list((dir, name) -> name.endsWith(".parquet"))).hasSize(1);

    PcaReducerModel back = PcaReducerModel.load(path);
    assertThat(back.getK()).isEqualTo(D);
    assertThat(back.pc().toArray()).isEqualTo(model.pc().toArray());
    assertThat(back.mean().toArray()).isEqualTo(model.mean().toArray());
    assertThat(back.scaleFactors().toArray()).isEqualTo(model.scaleFactors().toArray());
    assertThat(back.eigenvalues().toArray()).isEqualTo(model.eigenvalues().toArray());
  }

  /**
   * Transforming with it, the components reach the tasks in a broadcast variable, not inside each task's
   * closure (which Spark then broadcasts itself, with a warning, for every stage): the same numbers as the
   * projection computed here.
   */
  @Test
  void transformingWithAFullSizeModelShipsNoLargeTask() {
    SparkSession spark = TestSpark.get();
    PcaReducerModel model = fullSizeModel(new Random(8));
    Random r = new Random(9);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rows.add(RowFactory.create(Vectors.dense(r.doubles(D).toArray())));
    }
    // from an RDD: Spark's optimizer computes a projection of a local list of rows on the driver, with no task
    Dataset<Row> in = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 2),
        new StructType().add("features", SQLDataTypes.VectorType()));
    List<Row> out;
    try (LogCapture log = new LogCapture("org.apache.spark.scheduler.TaskSetManager",
        "org.apache.spark.scheduler.DAGScheduler")) {
      out = model.transform(in).select("pcaFeatures").collectAsList();
      assertThat(log.lines()).as("the scheduler's warnings while transforming").isEmpty();
    }
    double[] pc = model.pc().toArray();
    double[] mean = model.mean().toArray();
    for (int n = 0; n < rows.size(); n++) {
      double[] x = ((Vector) rows.get(n).get(0)).toArray();
      double[] y = ((Vector) out.get(n).get(0)).toArray();
      for (int j = 0; j < D; j++) {
        double dot = 0;
        for (int i = 0; i < D; i++) {
          dot += (x[i] - mean[i]) * pc[j * D + i];
        }
        assertThat(y[j]).as("row %d, component %d", n, j).isCloseTo(dot, within(1e-9));
      }
    }
  }

  /**
   * A model with all D components of a random seeded orthonormal basis (a Householder reflection
   * I - 2 v v' / v'v), a random mean and decreasing eigenvalues, as if fitted on 5,000 rows.
   */
  private static PcaReducerModel fullSizeModel(Random r) {
    double[] v = r.doubles(D).map(x -> x - 0.5).toArray();
    double vv = Arrays.stream(v).map(x -> x * x).sum();
    double[] components = new double[D * D];
    for (int j = 0; j < D; j++) {
      for (int i = 0; i < D; i++) {
        components[j * D + i] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv;
      }
    }
    double[] mean = r.doubles(D).map(x -> 100 * x).toArray();
    double[] eigenvalues = r.doubles(D).map(x -> 10 * x).sorted().toArray();
    for (int i = 0; i < D / 2; i++) {
      double t = eigenvalues[i];
      eigenvalues[i] = eigenvalues[D - 1 - i];
      eigenvalues[D - 1 - i] = t;
    }
    double[] ones = new double[D];
    Arrays.fill(ones, 1);
    return new PcaReducerModel("pca_full_size", new PcaResult(mean, eigenvalues, components), ones, false, D, 5000);
  }
}
