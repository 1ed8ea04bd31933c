package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.ResizeMode;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelInfo;
import io.p9.core.model.ModelSpec;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model file and its sidecar as the user gives them: odd paths, bad sidecars, files that change. */
class CnnFeaturizerModelFileTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.get();
  }

  @Test
  void aMalformedSidecarIsNamedInTheError() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bad-sidecar"));
    Path model = Files.copy(RepoData.mobilenet(), dir.resolve("mnv2.onnx"));
    Files.writeString(dir.resolve("mnv2.onnx.p9.json"), "{\"version\": 1, \"backend\": \"onnx\",",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> new CnnFeaturizer().setModelLocation(model.toString()).modelInfo(spark))
        .hasMessageContaining("mnv2.onnx.p9.json");
  }

  @Test
  void aSidecarThatExistsButCannotBeReadFailsInsteadOfBeingIgnored() throws Exception {
    // a folder where the sidecar should be: there is something, but not a sidecar p9 can read; running on
    // without it would give features preprocessed the default way, silently
    Path dir = Files.createDirectories(tmp.resolve("folder-sidecar"));
    Path model = Files.copy(RepoData.mobilenet(), dir.resolve("mnv2.onnx"));
    Path sidecar = Files.createDirectories(dir.resolve("mnv2.onnx.p9.json"));
    CnnFeaturizer stage = new CnnFeaturizer().setModelLocation(model.toString());
    assertThatThrownBy(() -> stage.modelInfo(spark))
        .isInstanceOf(ModelException.class)
        .hasMessageStartingWith("CnnFeaturizer[" + stage.uid() + "]: model sidecar " + sidecar + ": ")
        .hasMessageContaining("is a directory");
  }

  /**
   * A model file p9 cannot read (a folder, a path or class path resource that is not there) fails naming the
   * stage, as a model that fails to load does, and stays an I/O error with its cause, which callers (p9 run)
   * tell from a transient one.
   */
  @Test
  void aModelThatCannotBeReadIsNamedWithItsStage() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("folder.onnx"));
    for (String location : List.of(folder.toString(), tmp.resolve("missing.onnx").toString(),
        "classpath:p9/models/no-such.onnx")) {
      CnnFeaturizer stage = new CnnFeaturizer().setModelLocation(location);
      assertThatThrownBy(() -> stage.modelInfo(spark)).as(location)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("CnnFeaturizer[" + stage.uid() + "]: cannot read " + location + ": ")
          .hasCauseInstanceOf(FileNotFoundException.class);
    }
  }

  @Test
  void aModelThatFailsToLoadIsNamedWithItsStageInAPipeline() throws Exception {
    Path garbage = Files.writeString(tmp.resolve("garbage.onnx"), "not an ONNX model");
    CnnFeaturizer good = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setOutputCol("a");
    CnnFeaturizer bad = new CnnFeaturizer().setModelLocation(garbage.toString()).setOutputCol("b");
    Dataset<Row> empty = spark.createDataFrame(List.of(),
        new StructType().add("image", ImageSchema.columnSchema()));
    // two stages of one class: only the uid tells the user which one it is
    Throwable t = catchThrowable(() -> new Pipeline().setStages(new PipelineStage[] {good, bad}).fit(empty));
    assertThat(t).isInstanceOf(ModelException.class)
        .hasMessageStartingWith("CnnFeaturizer[" + bad.uid() + "]: ")
        .hasMessageContaining("not an ONNX model")
        .hasCauseInstanceOf(ModelException.class);
    assertThat(t.getMessage()).isEqualTo("CnnFeaturizer[" + bad.uid() + "]: " + t.getCause().getMessage());
  }

  @Test
  void aResizeParamSetAloneKeepsTheSidecarsOther() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("crop-sidecar"));
    Path model = Files.copy(RepoData.mobilenet(), dir.resolve("mnv2.onnx"));
    PreprocessSpec cropped = PreprocessSpec.imagenet(224).withResize(ResizeMode.CENTER_CROP, 0.95f);
    Files.writeString(dir.resolve("mnv2.onnx.p9.json"), ModelSpec.of("onnx", "auto", cropped).toJson(),
        StandardCharsets.UTF_8);
    assertThat(new CnnFeaturizer().setModelLocation(model.toString()).preprocessSpec(spark)).isEqualTo(cropped);

    PreprocessSpec fraction = new CnnFeaturizer().setModelLocation(model.toString()).setCropFraction(0.8)
        .preprocessSpec(spark);
    assertThat(fraction.resizeMode()).as("resizeMode is not set: the sidecar's").isEqualTo(ResizeMode.CENTER_CROP);
    assertThat(fraction.cropFraction()).isEqualTo(0.8f);

    PreprocessSpec mode = new CnnFeaturizer().setModelLocation(model.toString()).setResizeMode("center_crop")
        .preprocessSpec(spark);
    assertThat(mode.cropFraction()).as("cropFraction is not set: the sidecar's").isEqualTo(0.95f);

    PreprocessSpec stretch = new CnnFeaturizer().setModelLocation(model.toString()).setResizeMode("stretch")
        .preprocessSpec(spark);
    assertThat(stretch.resizeMode()).isEqualTo(ResizeMode.STRETCH);
  }

  @Test
  void centerCropOverAStretchingSidecarTakesTheDefaultCropFraction() {
    PreprocessSpec mode = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setResizeMode("center_crop").preprocessSpec(spark);
    assertThat(mode.resizeMode()).isEqualTo(ResizeMode.CENTER_CROP);
    assertThat(mode.cropFraction()).isEqualTo(0.875f);
  }

  @Test
  void theSameModelWithAndWithoutASidecarIsOneSessionPerJvm() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bare"));
    Path bare = Files.copy(RepoData.mobilenet(), dir.resolve("copy-without-sidecar.onnx"));
    long before = ModelCache.shared().modelsCreated();
    // intraOpThreads 3: a key no other test uses, so the first of these creates the model
    ModelInfo withSidecar = new CnnFeaturizer().setModelLocation(RepoData.mobilenet().toString())
        .setIntraOpThreads(3).modelInfo(spark);
    ModelInfo without = new CnnFeaturizer().setModelLocation(bare.toString()).setIntraOpThreads(3)
        .modelInfo(spark);
    assertThat(without).isEqualTo(withSidecar);
    assertThat(ModelCache.shared().modelsCreated() - before).isEqualTo(1);
  }
}
