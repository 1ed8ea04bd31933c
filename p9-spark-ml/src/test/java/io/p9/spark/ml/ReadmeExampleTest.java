package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.Files2;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "In your Spark job" example as it is written there, with local folders for its
 * {@code s3a://} ones, checked for what the README says of it: every file (a zero-byte and a broken one
 * too) gives a row, k is chosen by variance, the featurizer needs keep too, and the saved pipeline carries the
 * model bytes and can be saved back over its own folder once loaded.
 */
class ReadmeExampleTest {
  @TempDir Path tmp;

  @Test
  void theReadmeExampleFitsSavesAndReloadsWithoutTheModelFile() throws Exception {
    SparkSession spark = TestSpark.get();
    Path input = Files2.copySample(RepoData.quickSample().resolve("Training"), tmp.resolve("fruits/Training"),
        3, 8);
    byte[] jpeg = Files2.read(RepoData.quickSample().resolve("Training/Cherry 1/0_100.jpg"));
    Files2.write(input.resolve("Cherry 1/empty.jpg"), new byte[0]);
    Files2.write(input.resolve("Cherry 1/broken.jpg"), Arrays.copyOf(jpeg, 700));
    Path modelFile = Files.copy(RepoData.mobilenet(), tmp.resolve("mobilenetv2-12-int8.onnx"));
    String modelUri = modelFile.toString();
    String savedUri = tmp.resolve("fruits-model").toUri().toString();

    // README, "In your Spark job" (s3a://my-bucket/... replaced by the folders above)
    Dataset<Row> files = ImageFiles.read(spark, input.toString());   // every file, also 0-byte ones
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
        new ImageLoader().setHandleInvalid("keep"),                        // image struct + label + error
        new CnnFeaturizer().setModelLocation(modelUri)
            .setHandleInvalid("keep"),                                     // keep too, or one bad file fails the fit
        new PcaReducer().setScale(true).setMinExplainedVariance(0.95)      // standardize + PCA, k chosen by variance
    }).fit(files);
    model.write().overwrite().save(savedUri);       // self-contained: carries the model bytes
    // PipelineModel.load(...) keeps the model bytes in memory: it can be saved back over its own folder
    Dataset<Row> features = model.transform(files).select("path", "label", "pcaFeatures", "error");

    List<Row> rows = features.orderBy("path").collectAsList();
    assertThat(rows).hasSize(26);
    PcaReducerModel pca = (PcaReducerModel) model.stages()[2];
    assertThat(pca.totalExplainedVariance()).isGreaterThanOrEqualTo(0.95);
    for (Row r : rows) {
      String name = r.getString(0).substring(r.getString(0).lastIndexOf('/') + 1);
      if (name.equals("empty.jpg") || name.equals("broken.jpg")) {
        assertThat(r.isNullAt(2)).as(name).isTrue();
        assertThat(r.getString(3)).as(name)
            .matches(name.equals("empty.jpg") ? "EMPTY: .*" : "(TRUNCATED|CORRUPT): .*");
      } else {
        assertThat(((Vector) r.get(2)).size()).as(name).isEqualTo(pca.getK());
        assertThat(r.isNullAt(3)).as(name).isTrue();
      }
      assertThat(r.getString(0)).as("label = parent folder").endsWith("/" + r.getString(1) + "/" + name);
    }

    // "keep too, or one bad file fails the fit"
    assertThatThrownBy(() -> new Pipeline().setStages(new PipelineStage[] {
        new ImageLoader().setHandleInvalid("keep"), new CnnFeaturizer().setModelLocation(modelUri),
        new PcaReducer().setScale(true).setMinExplainedVariance(0.95)}).fit(files))
        .hasStackTraceContaining("cannot featurize").hasStackTraceContaining("NO_IMAGE");

    Files.delete(modelFile);
    PipelineModel.load(savedUri).write().overwrite().save(savedUri);
    List<Row> back = PipelineModel.load(savedUri).transform(files).select("path", "label", "pcaFeatures", "error")
        .orderBy("path").collectAsList();
    assertThat(back).isEqualTo(rows);
  }
}
