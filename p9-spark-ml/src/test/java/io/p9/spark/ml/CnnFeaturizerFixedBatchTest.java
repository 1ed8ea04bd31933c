package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.p9.core.testing.FailingOnnx;
import io.p9.core.testing.FixedBatchOnnx;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
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
 * CnnFeaturizer over ONNX models exported with a fixed batch dimension ([1,3,S,S] and [4,3,S,S], as PyTorch
 * exports without {@code dynamic_axes}): real ONNX Runtime models ({@link FailingOnnx}: the per-channel means,
 * failing on a batch with a value >= 0.9) whose batch axis {@link FixedBatchOnnx} fixes. Every row gets the
 * features the same graph with a dynamic batch gives, whatever batchSize says.
 */
class CnnFeaturizerFixedBatchTest {
  static final int SIZE = 8;
  static final String WHITE = "file:/img/04-white.png";
  static SparkSession spark;
  @TempDir static Path tmp;
  static String dynamic;
  static String fixed1;
  static String fixed4;
  /** Eleven dark images and one white one (row 4), in three partitions of four. */
  static Dataset<Row> in;
  static List<String> paths;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
    byte[] model = FailingOnnx.failsAtOrAbove(SIZE, 0.9f);
    dynamic = Files2.write(tmp.resolve("dynamic.onnx"), model).toString();
    fixed1 = Files2.write(tmp.resolve("fixed1.onnx"), FixedBatchOnnx.fixBatch(model, 1)).toString();
    fixed4 = Files2.write(tmp.resolve("fixed4.onnx"), FixedBatchOnnx.fixBatch(model, 4)).toString();
    Random rnd = new Random(7);
    List<Row> rows = new ArrayList<>();
    paths = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String path = i == 4 ? WHITE : String.format("file:/img/%02d-dark.png", i);
      byte[] bgr = new byte[SIZE * SIZE * 3];
      for (int p = 0; p < bgr.length; p++) {
        bgr[p] = (byte) (path.equals(WHITE) ? 255 : rnd.nextInt(151));
      }
      rows.add(RowFactory.create(path, RowFactory.create(path, SIZE, SIZE, 3, 16, bgr)));
      paths.add(path);
    }
    StructType schema = new StructType().add("path", DataTypes.StringType)
        .add("image", ImageSchema.columnSchema(), true);
    in = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 3), schema).cache();
  }

  static Dataset<Row> dark() {
    return in.filter(in.col("path").notEqual(WHITE));
  }

  static CnnFeaturizer featurizer(String model) {
    return new CnnFeaturizer().setModelLocation(model).setPreprocessing("unit");
  }

  static Map<String, double[]> features(CnnFeaturizer f, Dataset<Row> data) {
    Map<String, double[]> m = new HashMap<>();
    for (Row r : f.transform(data).select("path", "features").collectAsList()) {
      m.put(r.getString(0), r.isNullAt(1) ? null : ((Vector) r.get(1)).toArray());
    }
    return m;
  }

  static void assertSameFeatures(Map<String, double[]> got, Map<String, double[]> want, String what) {
    assertThat(got.keySet()).as(what).isEqualTo(want.keySet());
    for (String path : want.keySet()) {
      assertThat(got.get(path)).as("%s: %s", what, path).hasSize(3);
      for (int j = 0; j < 3; j++) {
        assertThat(got.get(path)[j]).as("%s: %s feature %d", what, path, j).isCloseTo(want.get(path)[j],
            within(1e-6));
      }
    }
  }

  @Test
  void underErrorEveryRowOfAFixedBatchModelGetsTheDynamicModelsFeatures() {
    Map<String, double[]> want = features(featurizer(dynamic).setBatchSize(8), dark());
    assertThat(want).hasSize(11);
    for (String model : List.of(fixed1, fixed4)) {
      for (int batchSize : new int[] {8, 3}) {
        CnnFeaturizer f = featurizer(model).setBatchSize(batchSize).setHandleInvalid("error");
        assertSameFeatures(features(f, dark()), want, model + ", batchSize " + batchSize);
        assertThat(f.metrics().succeeded()).isEqualTo(11);
      }
    }
  }

  @Test
  void underKeepOnlyTheImageTheModelFailsOnAloneLosesItsFeatures() {
    Map<String, double[]> want = features(featurizer(dynamic).setBatchSize(8), dark());
    for (String model : List.of(fixed1, fixed4)) {
      CnnFeaturizer f = featurizer(model).setBatchSize(8).setHandleInvalid("keep");
      Map<String, double[]> got = features(f, in);
      assertThat(got).containsKey(WHITE);
      assertThat(got.get(WHITE)).as(model).isNull();
      got.remove(WHITE);
      assertSameFeatures(got, want, model);
      assertThat(f.metrics().succeeded()).isEqualTo(11);
      assertThat(f.metrics().failuresByReason()).isEqualTo(Map.of("INFERENCE_FAILED", 1L));
    }
  }

  @Test
  void unlessBatchSizeIsSetAFixedBatchModelRunsBatchesOfItsOwnSize() {
    CnnFeaturizer f4 = featurizer(fixed4);
    assertThat(f4.modelInfo(spark).fixedBatch()).isEqualTo(4);
    assertThat(f4.modelInfo(spark).toString()).contains("fixed batch 4");
    assertThat(f4.batchSizeFor(f4.modelInfo(spark))).isEqualTo(4);
    assertThat(f4.getBatchSize()).as("the param's own default is unchanged").isEqualTo(8);
    assertThat(f4.setBatchSize(8).batchSizeFor(f4.modelInfo(spark))).as("set explicitly: kept").isEqualTo(8);
    CnnFeaturizer d = featurizer(dynamic);
    assertThat(d.modelInfo(spark).fixedBatch()).isZero();
    assertThat(d.batchSizeFor(d.modelInfo(spark))).isEqualTo(8);
    CnnFeaturizer f1 = featurizer(fixed1);
    assertThat(f1.batchSizeFor(f1.modelInfo(spark))).isEqualTo(1);
    assertSameFeatures(features(f1, dark()), features(d, dark()), "fixed1, batchSize unset");
  }
}
