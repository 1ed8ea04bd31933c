package io.p9.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.image.ChannelOrder;
import io.p9.core.image.Interpolation;
import io.p9.core.image.Normalization;
import io.p9.core.image.PreprocessSpec;
import io.p9.core.image.ResizeMode;
import io.p9.core.tensor.TensorLayout;
import io.p9.core.testing.RepoData;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

  @Test
  void roundTripsThroughJson() {
    PreprocessSpec p = new PreprocessSpec(160, 192, ResizeMode.CENTER_CROP, 0.875f, Interpolation.BICUBIC,
        ChannelOrder.BGR, TensorLayout.NHWC, Normalization.custom(1f, new float[] {1, 2, 3},
        new float[] {4, 5, 6}));
    ModelSpec s = new ModelSpec(1, "onnx", "pool", p, "test");
    ModelSpec back = ModelSpec.fromJson(s.toJson());
    assertThat(back).isEqualTo(s);
    assertThat(ModelSpec.preprocessFromJson(ModelSpec.preprocessToJson(p))).isEqualTo(p);
  }

  @Test
  void refusesANewerFormat() {
    String json = ModelSpec.of("onnx", "auto", PreprocessSpec.imagenet(224)).toJson()
        .replace("\"version\" : 1", "\"version\" : 2");
    assertThatThrownBy(() -> ModelSpec.fromJson(json)).isInstanceOf(ModelException.class)
        .hasMessageContaining("version 2");
  }

  @Test
  void aSpecWithoutAVersionSaysSo() {
    String json = ModelSpec.of("onnx", "auto", PreprocessSpec.imagenet(224)).toJson()
        .replace("\"version\" : 1,", "");
    assertThat(json).doesNotContain("version");
    assertThatThrownBy(() -> ModelSpec.fromJson(json)).isInstanceOf(ModelException.class)
        .hasMessageContaining("no \"version\"").hasMessageNotContaining("version 0");
  }

  @Test
  void aSpecWithoutAFieldNamesIt() {
    String full = ModelSpec.of("onnx", "auto", PreprocessSpec.imagenet(224)).toJson();
    String noBackend = full.replace("\"backend\" : \"onnx\",", "");
    assertThatThrownBy(() -> ModelSpec.fromJson(noBackend)).isInstanceOf(ModelException.class)
        .hasMessageContaining("'backend'");
    // a sample field left out reads as 0: the message names the field, not its value 0.0
    String noCrop = full.replace("\"cropFraction\" : 1.0,", "");
    assertThatThrownBy(() -> ModelSpec.fromJson(noCrop)).isInstanceOf(ModelException.class)
        .hasMessageContaining("'cropFraction'").hasMessageNotContaining("was 0.0");
    String noScale = full.replace("\"scale\" : 0.003921569,", "");
    assertThatThrownBy(() -> ModelSpec.fromJson(noScale)).isInstanceOf(ModelException.class)
        .hasMessageContaining("'scale'").hasMessageNotContaining("was 0.0");
    assertThat(noBackend).isNotEqualTo(full);
    assertThat(noCrop).isNotEqualTo(full);
    assertThat(noScale).isNotEqualTo(full);
    // the description may be left out
    assertThat(ModelSpec.fromJson(full).description()).isNull();
  }

  /** A value of the wrong type or out of range is named by its key, which Jackson's message alone leaves out. */
  @Test
  void aBadValueIsNamedWithItsKey() {
    String full = ModelSpec.of("onnx", "auto", PreprocessSpec.imagenet(224)).toJson();
    String[][] cases = {
        {"\"resizeMode\" : \"STRETCH\"", "\"resizeMode\" : \"crop\"", "'preprocess.resizeMode'"},
        {"\"height\" : 224", "\"height\" : \"big\"", "'preprocess.height'"},
        {"\"mean\" : [ 0.485,", "\"mean\" : [ \"a\",", "'preprocess.normalization.mean[0]'"},
        {"\"version\" : 1", "\"version\" : [ 1 ]", "'version'"}};
    for (String[] c : cases) {
      String json = full.replace(c[0], c[1]);
      assertThat(json).as(c[1]).isNotEqualTo(full);
      assertThatThrownBy(() -> ModelSpec.fromJson(json)).as(c[1]).isInstanceOf(ModelException.class)
          .hasMessageStartingWith("invalid p9 model spec JSON at " + c[2] + ": ");
    }
    String layout = ModelSpec.preprocessToJson(PreprocessSpec.imagenet(224)).replace("\"NCHW\"", "\"CHW\"");
    assertThatThrownBy(() -> ModelSpec.preprocessFromJson(layout)).isInstanceOf(ModelException.class)
        .hasMessageStartingWith("invalid preprocessing JSON at 'layout': ");
  }

  @Test
  void aJsonNullIsNotASpec() {
    assertThatThrownBy(() -> ModelSpec.fromJson("null")).isInstanceOf(ModelException.class)
        .hasMessage("invalid p9 model spec JSON: null, not an object");
    assertThatThrownBy(() -> ModelSpec.preprocessFromJson("null")).isInstanceOf(ModelException.class)
        .hasMessage("invalid preprocessing JSON: null, not an object");
  }

  @Test
  void theShippedSidecarDescribesTheShippedModel() throws Exception {
    String json = Files.readString(RepoData.root().resolve(
        "data/models/mobilenetv2-12-int8.onnx" + ModelSpec.SIDECAR_SUFFIX));
    ModelSpec s = ModelSpec.fromJson(json);
    assertThat(s.preprocess()).isEqualTo(PreprocessSpec.imagenet(224));
    assertThat(s.backend()).isEqualTo("onnx");
    assertThat(s.featureTensor()).isEqualTo("auto");
  }
}
