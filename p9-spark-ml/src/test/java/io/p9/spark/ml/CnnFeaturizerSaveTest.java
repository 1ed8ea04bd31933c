package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a saved featurizer holds: the model it ran, though its file was replaced or deleted since, as a
 * PipelineModel saved with {@code write().overwrite()} over the folder that holds its model file deletes it
 * before the stage writes.
 */
class CnnFeaturizerSaveTest {
  @TempDir static Path tmp;
  static Dataset<Row> images;

  @BeforeAll
  static void setUp() {
    TestSpark.get();
    images = TestSpark.sampleImages(tmp.resolve("sample"), 2, 3, 2);
  }

  /** A copy of the bundled MobileNetV2, without its sidecar, at {@code tmp/folder/m.onnx}. */
  private static Path modelIn(String folder) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(folder));
    return Files.copy(RepoData.mobilenet(), dir.resolve("m.onnx"));
  }

  /** A PipelineModel of {@code featurizer} alone, fitted on the images: the fit resolves its model. */
  private static PipelineModel fitted(CnnFeaturizer featurizer) {
    return new Pipeline().setStages(new PipelineStage[] {featurizer}).fit(images);
  }

  private static List<Row> features(Transformer t) {
    return t.transform(images).select("path", "features").orderBy("path").collectAsList();
  }

  private static String uri(Path p) {
    return p.toUri().toString();
  }

  /**
   * Spark's PipelineModel writer deletes the folder before its stages write; the featurizer, resolved by the fit,
   * writes the model it holds, not the file that was there.
   */
  @Test
  void aFittedPipelineModelCanBeSavedOverTheFolderHoldingItsModelFile() throws Exception {
    Path model = modelIn("pm-over-model");
    PipelineModel pm = fitted(new CnnFeaturizer().setModelLocation(model.toString()).setBatchSize(4));
    List<Row> expected = features(pm);

    pm.write().overwrite().save(uri(model.getParent()));
    assertThat(model).doesNotExist();
    assertThat(features(PipelineModel.load(uri(model.getParent())))).isEqualTo(expected);
  }

  /** A copy of a fitted PipelineModel (as CrossValidatorModel.copy makes) holds the model its featurizer ran too. */
  @Test
  void aCopyOfAFittedPipelineModelCanBeSavedOverTheFolderHoldingItsModelFile() throws Exception {
    Path model = modelIn("copy-over-model");
    PipelineModel pm = fitted(new CnnFeaturizer().setModelLocation(model.toString()).setBatchSize(4));
    List<Row> expected = features(pm);

    pm.copy(ParamMap.empty()).write().overwrite().save(uri(model.getParent()));
    assertThat(features(PipelineModel.load(uri(model.getParent())))).isEqualTo(expected);
  }

  /**
   * The model file replaced after the stage ran: the stage saved alone, in a PipelineModel, and after a param
   * change holds the model it ran, not the one now at its location.
   */
  @Test
  void aStageSavesTheModelItRanThoughItsFileWasReplacedSince() throws Exception {
    Path model = modelIn("replaced");
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model.toString()).setBatchSize(4);
    PipelineModel pm = fitted(f);
    List<Row> expected = features(f);
    Files.write(model, Fixtures.bytes("tiny_mnv2.onnx"));

    f.write().save(uri(tmp.resolve("replaced-alone")));
    pm.write().save(uri(tmp.resolve("replaced-pm")));
    f.setHandleInvalid("keep").write().save(uri(tmp.resolve("replaced-param")));
    assertThat(features(CnnFeaturizer.load(uri(tmp.resolve("replaced-alone"))))).isEqualTo(expected);
    assertThat(features(PipelineModel.load(uri(tmp.resolve("replaced-pm"))))).isEqualTo(expected);
    CnnFeaturizer changed = CnnFeaturizer.load(uri(tmp.resolve("replaced-param")));
    assertThat(changed.getHandleInvalid()).isEqualTo("keep");
    assertThat(features(changed)).isEqualTo(expected);
  }

  /**
   * A featurizer that has not read its model (its location set again after the fit) in a PipelineModel saved
   * over the folder holding the model file: nothing runs on the stage before Spark deletes the folder, so the
   * file is gone when the stage writes, and the error says so and how to avoid it.
   */
  @Test
  void anUnresolvedStageSavedOverTheFolderHoldingItsModelFileSaysWhy() throws Exception {
    Path model = modelIn("unresolved");
    CnnFeaturizer f = new CnnFeaturizer().setModelLocation(model.toString());
    PipelineModel pm = fitted(f);
    f.setModelLocation(model.toString());

    assertThatThrownBy(() -> pm.write().overwrite().save(uri(model.getParent())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("CnnFeaturizer[" + f.uid() + "]: its model file " + model + " is gone")
        .hasMessageContaining("transformSchema");
  }
}
