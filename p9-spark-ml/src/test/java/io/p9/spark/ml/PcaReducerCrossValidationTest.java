package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code minExplainedVariance} chosen by Spark's {@code CrossValidator} in a {@code PcaReducer ->
 * LogisticRegression} pipeline, and the {@code CrossValidatorModel} saved and loaded with the p9 stage inside.
 */
class PcaReducerCrossValidationTest {
  static SparkSession spark;
  static Dataset<Row> data;
  @TempDir static Path tmp;
  /** The variance targets of the grid: 0.6 and 0.9 keep only noise components, 0.99 the class's too. */
  static final double[] TARGETS = {0.6, 0.9, 0.99};

  /**
   * 300 rows of 5 features in 3 classes (seeded): three noise features of std 3, 2.5 and 2, the class (0, 1, 2)
   * plus noise of std 0.15 in the fourth (variance about 0.69), and noise of std 0.05 in the fifth. The spectrum's
   * cumulative explained variance is about 0.45, 0.76, 0.97, 0.9999, 1: only a target above 0.97 keeps the
   * component that tells the classes apart (k = 4).
   */
  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    Random rnd = new Random(20261206);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int label = i % 3;
      rows.add(RowFactory.create((double) label, Vectors.dense(3 * rnd.nextGaussian(), 2.5 * rnd.nextGaussian(),
          2 * rnd.nextGaussian(), label + 0.15 * rnd.nextGaussian(), 0.05 * rnd.nextGaussian())));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType, false)
        .add("features", SQLDataTypes.VectorType(), false);
    data = spark.createDataFrame(rows, schema).repartition(2).cache();
  }

  @Test
  void crossValidatorChoosesMinExplainedVarianceAndRoundTripsWithTheStageInside() throws Exception {
    // k set on the estimator: each map of the grid replaces it with its minExplainedVariance
    PcaReducer pca = new PcaReducer().setK(2);
    LogisticRegression lr = new LogisticRegression().setFeaturesCol("pcaFeatures").setMaxIter(30);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {pca, lr});
    ParamMap[] grid = new ParamGridBuilder().addGrid(pca.minExplainedVariance(), TARGETS).build();
    CrossValidator cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setNumFolds(2).setSeed(7);
    CrossValidatorModel fitted = cv.fit(data);

    double chosen = chosenTarget(fitted, pca);
    assertThat(chosen).isEqualTo(0.99);
    assertThat(fitted.avgMetrics()[2]).as("accuracy with the class's component").isGreaterThan(0.95);
    assertThat(fitted.avgMetrics()[0]).as("accuracy on noise components only").isLessThan(0.6);
    PcaReducerModel best = pcaStage(fitted);
    int k = new PcaReducer().setMinExplainedVariance(chosen).fit(data).getK();
    assertThat(k).isEqualTo(4);
    assertThat(best.getK()).isEqualTo(k);
    assertThat(best.getMinExplainedVariance()).isEqualTo(chosen);

    String path = tmp.resolve("cv-model").toUri().toString();
    fitted.write().save(path);
    CrossValidatorModel back = CrossValidatorModel.load(path);
    assertThat(back.avgMetrics()).containsExactly(fitted.avgMetrics());
    assertThat(chosenTarget(back, pca)).isEqualTo(chosen);
    PcaReducerModel bestBack = pcaStage(back);
    assertThat(bestBack.uid()).isEqualTo(best.uid());
    assertThat(bestBack.getK()).isEqualTo(k);
    assertThat(bestBack.getMinExplainedVariance()).isEqualTo(chosen);
    assertThat(back.transform(data).select("prediction").collectAsList())
        .isEqualTo(fitted.transform(data).select("prediction").collectAsList());

    // the unfitted CrossValidator too: its p9 stage and the grid over that stage's param
    String cvPath = tmp.resolve("cv").toUri().toString();
    cv.write().save(cvPath);
    CrossValidator cvBack = CrossValidator.load(cvPath);
    PcaReducer pcaBack = (PcaReducer) ((Pipeline) cvBack.getEstimator()).getStages()[0];
    assertThat(pcaBack.uid()).isEqualTo(pca.uid());
    assertThat(pcaBack.getK()).isEqualTo(2);
    assertThat(cvBack.getEstimatorParamMaps()).hasSize(TARGETS.length);
    for (int i = 0; i < TARGETS.length; i++) {
      assertThat(cvBack.getEstimatorParamMaps()[i].apply(pcaBack.minExplainedVariance())).isEqualTo(TARGETS[i]);
    }
  }

  /** The grid's minExplainedVariance with the best average metric (accuracy: larger is better). */
  static double chosenTarget(CrossValidatorModel m, PcaReducer pca) {
    double[] metrics = m.avgMetrics();
    int best = 0;
    for (int i = 1; i < metrics.length; i++) {
      if (metrics[i] > metrics[best]) {
        best = i;
      }
    }
    // Spark's params are equal by parent uid and name: also those of a loaded model's maps
    return (Double) m.getEstimatorParamMaps()[best].apply(pca.minExplainedVariance());
  }

  static PcaReducerModel pcaStage(CrossValidatorModel m) {
    return (PcaReducerModel) ((PipelineModel) m.bestModel()).stages()[0];
  }
}
