package io.p9.spark.ml.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.image.PreprocessSpec;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelCache;
import io.p9.core.model.ModelException;
import io.p9.core.model.ModelKey;
import io.p9.core.model.ModelOptions;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** The executor side of CnnFeaturizer on its own, with a real broadcast. */
class FeaturizePartitionTest {

  /**
   * A model that fails to load on an executor (here the broadcast bytes are not those of the key's sha256, as
   * for a damaged broadcast) fails the task naming the stage, as the driver's load and the inference do.
   */
  @Test
  void aModelThatFailsToLoadOnAnExecutorIsNamedWithItsStage() throws Exception {
    String sha = ModelBytes.sha256(Files.readAllBytes(RepoData.mobilenet()));
    Broadcast<byte[]> other = new JavaSparkContext(TestSpark.get().sparkContext())
        .broadcast("not the model".getBytes(StandardCharsets.UTF_8));
    FeaturizePartition fn = new FeaturizePartition("CnnFeaturizer[cnnFeaturizer_test]", other, "m.onnx",
        new ModelKey(sha, ModelOptions.defaults()), PreprocessSpec.imagenet(224), 8, 0, "error", false,
        ModelCache.DEFAULT_MAX_IDLE, new CountsAccumulator());
    assertThatThrownBy(() -> fn.call(Collections.emptyIterator())).isInstanceOf(ModelException.class)
        .hasMessageStartingWith("CnnFeaturizer[cnnFeaturizer_test]: model bytes for m.onnx have sha256 ")
        .hasMessageContaining("but the key expects " + sha)
        .hasCauseInstanceOf(ModelException.class);
  }

  /**
   * Called outside a Spark task (no task-completion listener), the function ends its lease on the model when
   * the rows run out or fail; with no idle models kept, the cache then holds none.
   */
  @Test
  void outsideATaskTheModelIsReleasedWhenTheRowsEndOrFail() throws Exception {
    byte[] bytes = Files.readAllBytes(RepoData.mobilenet());
    Broadcast<byte[]> model = new JavaSparkContext(TestSpark.get().sparkContext()).broadcast(bytes);
    ModelKey key = new ModelKey(ModelBytes.sha256(bytes), ModelOptions.defaults());
    try {
      for (String handleInvalid : List.of("keep", "error")) {
        FeaturizePartition fn = new FeaturizePartition("CnnFeaturizer[t]", model, "m.onnx", key,
            PreprocessSpec.imagenet(224), 8, 0, handleInvalid, false, 0, new CountsAccumulator());
        Iterator<Row> out = fn.call(List.of(RowFactory.create((Object) null)).iterator());
        assertThat(ModelCache.shared().size()).as(handleInvalid).isEqualTo(1);
        if (handleInvalid.equals("keep")) {
          assertThat(out.next().isNullAt(1)).isTrue();
          assertThat(out.hasNext()).isFalse();
        } else {
          assertThatThrownBy(out::hasNext).hasMessageContaining("NO_IMAGE");
        }
        assertThat(ModelCache.shared().size()).as(handleInvalid).isZero();
      }
    } finally {
      ModelCache.shared().setMaxIdle(ModelCache.DEFAULT_MAX_IDLE);
    }
  }
}
