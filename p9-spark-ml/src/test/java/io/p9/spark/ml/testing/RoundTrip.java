package io.p9.spark.ml.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Function;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.MLWritable;

/** Save; save again fails; overwrite; load; same class, uid and params. */
public final class RoundTrip {
  private RoundTrip() {}

  public static <T extends PipelineStage> T saveAndLoad(T stage, Path dir, Function<String, T> load) {
    return saveAndLoad(stage, dir.resolve(stage.uid()).toUri().toString(), load);
  }

  /** The same at {@code path} as it is given: a URI or a plain local path (spaces and all). */
  public static <T extends PipelineStage> T saveAndLoad(T stage, String path, Function<String, T> load) {
    saveTwiceThenOverwrite((MLWritable) stage, path);
    T loaded = load.apply(path);
    sameStage(stage, loaded);
    return loaded;
  }

  /**
   * The same inside an unfitted {@link Pipeline} of this one stage: save; save again fails; overwrite;
   * {@code Pipeline.load}; the pipeline's uid and one stage, of the same class, uid and params, which it returns.
   */
  @SuppressWarnings("unchecked")
  public static <T extends PipelineStage> T saveAndLoadInPipeline(T stage, Path dir) {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {stage});
    String path = dir.resolve(pipeline.uid()).toUri().toString();
    saveTwiceThenOverwrite(pipeline, path);
    Pipeline loaded = Pipeline.load(path);
    assertThat(loaded.uid()).isEqualTo(pipeline.uid());
    assertThat(loaded.getStages()).hasSize(1);
    T back = (T) loaded.getStages()[0];
    sameStage(stage, back);
    return back;
  }

  private static void saveTwiceThenOverwrite(MLWritable w, String path) {
    try {
      w.write().save(path);
      assertThatThrownBy(() -> w.write().save(path)).isInstanceOf(IOException.class)
          .hasMessageContaining("already exists");
      w.write().overwrite().save(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sameStage(PipelineStage stage, PipelineStage loaded) {
    assertThat(loaded).isExactlyInstanceOf(stage.getClass());
    assertThat(loaded.uid()).isEqualTo(stage.uid());
    for (Param<?> p : stage.params()) {
      Param<Object> lp = loaded.getParam(p.name());
      assertThat(lp.parent()).as("parent of loaded %s", p.name()).isEqualTo(loaded.uid());
      assertThat(loaded.isSet(lp)).as("%s set", p.name()).isEqualTo(stage.isSet(p));
      if (stage.isDefined(p) && !"modelLocation".equals(p.name())) {
        assertThat(StageContract.valueString(loaded.getOrDefault(lp))).as("param %s", p.name())
            .isEqualTo(StageContract.valueString(stage.getOrDefault(p)));
      }
    }
  }
}
