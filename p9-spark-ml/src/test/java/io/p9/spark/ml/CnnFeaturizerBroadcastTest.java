package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.p9.core.testing.Fixtures;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.BlockResult;
import org.apache.spark.storage.BroadcastBlockId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

/**
 * The driver side of the model: one broadcast of a model's bytes per SparkContext, shared by every copy of a
 * stage (a parameter grid, copy(extra), transform(ds, paramMap)), one read per model file version, and a new
 * broadcast in a new SparkContext. Each test writes a model of its own (the tiny fixture with a doc string of
 * its own, so a sha256 no other test broadcasts) and counts the broadcasts that hold its bytes in the
 * driver's block manager.
 */
class CnnFeaturizerBroadcastTest {
  @TempDir Path tmp;

  /** The tiny MobileNetV2 fixture, made distinct by {@code doc}, written to {@code tmp/name}. */
  private byte[] writeModel(String name, String doc) throws Exception {
    byte[] bytes = ModelProto.parseFrom(Fixtures.bytes("tiny_mnv2.onnx")).toBuilder()
        .setDocString(getClass().getName() + " " + doc).build().toByteArray();
    Files2.write(tmp.resolve(name), bytes);
    return bytes;
  }

  /** The features in the order of the rows' paths. */
  private static List<Row> features(Dataset<Row> out) {
    return out.orderBy("path").select("features").collectAsList();
  }

  /** How many broadcasts in the driver's block manager hold exactly {@code bytes}. */
  private static int broadcastsHolding(SparkSession spark, byte[] bytes) {
    // broadcast ids count up from 0 in a SparkContext: a new one bounds those made so far
    Broadcast<byte[]> probe = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(new byte[0]);
    long next = probe.id();
    probe.destroy();
    BlockManager bm = SparkEnv.get().blockManager();
    int n = 0;
    for (long id = 0; id < next; id++) {
      Option<BlockResult> r = bm.getLocalValues(new BroadcastBlockId(id, ""));
      if (r.isDefined()) {
        // read to the end: that releases the block's read lock
        scala.collection.Iterator<Object> values = r.get().data();
        while (values.hasNext()) {
          n += values.next() instanceof byte[] b && Arrays.equals(b, bytes) ? 1 : 0;
        }
      }
    }
    return n;
  }

  /**
   * A grid of copies (ParamGridBuilder maps through transform(ds, paramMap) and copy(extra)) and a param
   * changed on the stage itself: the features of each are the stage's, and the model's bytes are broadcast
   * once.
   */
  @Test
  void copiesAndParamChangesShareOneBroadcastOfTheModel() throws Exception {
    SparkSession spark = TestSpark.get();
    byte[] bytes = writeModel("grid.onnx", "grid");
    Dataset<Row> images = TestSpark.sampleImages(tmp.resolve("sample"), 1, 4, 2);
    CnnFeaturizer base = new CnnFeaturizer().setModelLocation(tmp.resolve("grid.onnx").toString())
        .setPreprocessing("mobilenet");
    List<Row> expected = features(base.transform(images));
    ParamMap[] grid = new ParamGridBuilder().addGrid(base.batchSize(), new int[] {1, 2, 3, 5}).build();
    // every output and copy stays reachable, so that no broadcast is cleaned up under the count
    List<Object> held = new ArrayList<>();
    for (ParamMap pm : grid) {
      Dataset<Row> out = base.transform(images, pm);
      held.add(out);
      assertThat(features(out)).as("%s", pm).isEqualTo(expected);
      CnnFeaturizer copy = base.copy(pm);
      held.add(copy);
      assertThat(copy.modelInfo(spark).featureDim()).isEqualTo(base.modelInfo(spark).featureDim());
    }
    base.setBatchSize(4);
    assertThat(features(base.transform(images))).isEqualTo(expected);
    assertThat(broadcastsHolding(spark, bytes)).isEqualTo(1);
    // used after the count, so that nothing it holds is collected before
    assertThat(held).hasSize(2 * grid.length);
  }

  /**
   * CrossValidator over a Pipeline (CnnFeaturizer, LogisticRegression) with a grid on the
   * featurizer and on the classifier: its folds fit and evaluate a copy of the pipeline per param map, and the
   * model's bytes are broadcast once. The stage is resolved first (modelInfo) and kept, as an application that
   * looks at its model does, so that the one broadcast lives through the whole search.
   */
  @Test
  void crossValidatorBroadcastsTheModelOnce() throws Exception {
    SparkSession spark = TestSpark.get();
    byte[] bytes = writeModel("cv.onnx", "cv");
    Dataset<Row> sample = TestSpark.sampleImages(tmp.resolve("sample"), 4, 2, 2);
    Dataset<Row> images = new StringIndexer().setInputCol("label").setOutputCol("y").fit(sample).transform(sample);
    CnnFeaturizer featurizer = new CnnFeaturizer().setModelLocation(tmp.resolve("cv.onnx").toString())
        .setPreprocessing("mobilenet");
    assertThat(featurizer.modelInfo(spark).featureDim()).isEqualTo(32);
    LogisticRegression lr = new LogisticRegression().setLabelCol("y").setMaxIter(5);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {featurizer, lr});
    ParamMap[] grid = new ParamGridBuilder().addGrid(featurizer.batchSize(), new int[] {1, 3})
        .addGrid(lr.regParam(), new double[] {0.01, 0.1}).build();
    CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setLabelCol("y")).setNumFolds(2).setSeed(7)
        .fit(images);
    assertThat(cv.avgMetrics()).hasSize(grid.length);
    assertThat(broadcastsHolding(spark, bytes)).isEqualTo(1);
    assertThat(featurizer.getBatchSize()).as("used after the count").isEqualTo(8);
  }

  /**
   * A copy with other params does not read the model file again while its length and modification time are
   * unchanged: here the file is overwritten with as many zeros and its time put back, and the copy still runs
   * the model that was read.
   */
  @Test
  void aCopyDoesNotReadAnUnchangedModelFileAgain() throws Exception {
    byte[] bytes = writeModel("once.onnx", "once");
    Path file = tmp.resolve("once.onnx");
    Dataset<Row> images = TestSpark.sampleImages(tmp.resolve("sample"), 1, 2, 1);
    CnnFeaturizer base = new CnnFeaturizer().setModelLocation(file.toString()).setPreprocessing("mobilenet");
    List<Row> expected = features(base.transform(images));
    FileTime time = Files.getLastModifiedTime(file);
    Files.write(file, new byte[bytes.length]);
    Files.setLastModifiedTime(file, time);
    assertThat(features(base.copy(ParamMap.empty()).setBatchSize(3).transform(images))).isEqualTo(expected);
  }

  /**
   * A stage resolved in one SparkContext runs in the next one (the first stopped): its model is broadcast
   * again there, not taken from the stopped context, and gives the same features.
   */
  @Test
  void aNewSparkContextGetsItsOwnBroadcast() throws Exception {
    byte[] bytes = writeModel("next.onnx", "next");
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(tmp.resolve("next.onnx").toString())
        .setPreprocessing("mobilenet");
    SparkSession first = TestSpark.get();
    List<Row> expected = features(f.transform(TestSpark.sampleImages(tmp.resolve("a"), 1, 3, 2)));
    first.stop();
    SparkSession next = TestSpark.get();
    assertThat(next.sparkContext()).isNotSameAs(first.sparkContext());
    assertThat(features(f.transform(TestSpark.sampleImages(tmp.resolve("b"), 1, 3, 2)))).isEqualTo(expected);
    assertThat(broadcastsHolding(next, bytes)).isEqualTo(1);
  }
}
