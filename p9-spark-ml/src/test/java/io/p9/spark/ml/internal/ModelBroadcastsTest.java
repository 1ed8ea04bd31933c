package io.p9.spark.ml.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackend;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import io.p9.core.model.onnx.OnnxBackend;
import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The driver's registry of models in a SparkContext, on its own. */
class ModelBroadcastsTest {

  /**
   * Whether a model records its input size (ONNX Runtime's backend parses the whole model to tell) is asked
   * once per model in a context, whatever the number of stages that resolve it; the answers are the backend's.
   */
  @Test
  void aBackendIsAskedOncePerModelWhetherItRecordsItsInputSize() throws Exception {
    ModelBroadcasts models = ModelBroadcasts.of(TestSpark.get().sparkContext());
    AtomicInteger asked = new AtomicInteger();
    OnnxBackend onnx = new OnnxBackend();
    ModelBackend counted = new ModelBackend() {
      @Override
      public String name() {
        return "onnx";
      }

      @Override
      public boolean recognizes(String fileName, byte[] head) {
        return onnx.recognizes(fileName, head);
      }

      @Override
      public boolean recordsInputSize(ModelBytes model) {
        asked.incrementAndGet();
        return onnx.recordsInputSize(model);
      }

      @Override
      public FeatureModel load(ModelBytes model, ModelOptions options) {
        return onnx.load(model, options);
      }
    };
    ModelBytes mobilenet = ModelBytes.of("m.onnx", Files.readAllBytes(RepoData.mobilenet()));
    ModelBytes tiny = ModelBytes.of("t.onnx", Fixtures.bytes("tiny_mnv2.onnx"));
    for (int i = 0; i < 3; i++) {
      assertThat(models.recordsInputSize(counted, mobilenet)).isEqualTo(onnx.recordsInputSize(mobilenet));
      assertThat(models.recordsInputSize(counted, tiny)).isEqualTo(onnx.recordsInputSize(tiny));
    }
    assertThat(asked).hasValue(2);
  }
}
