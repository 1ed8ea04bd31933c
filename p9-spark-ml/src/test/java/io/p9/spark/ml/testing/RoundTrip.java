package io.p9.spark.ml.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Function;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.MLWritable;

/** Save; save again fails; overwrite; load; same class, uid and params. */
public final class RoundTrip {
  private RoundTrip() {}

  public static <T extends PipelineStage> T saveAndLoad(T stage, Path dir, Function<String, T> load) {
    String path = dir.resolve(stage.uid()).toUri().toString();
    MLWritable w = (MLWritable) stage;
    try {
      w.write().save(path);
      assertThatThrownBy(() -> w.write().save(path)).isInstanceOf(IOException.class)
          .hasMessageContaining("already exists");
      w.write().overwrite().save(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    T loaded = load.apply(path);
    assertThat(loaded).isExactlyInstanceOf(stage.getClass());
    assertThat(loaded.uid()).isEqualTo(stage.uid());
    for (Param<?> p : stage.params()) {
      Param<Object> lp = loaded.getParam(p.name());
      assertThat(loaded.isSet(lp)).as("%s set", p.name()).isEqualTo(stage.isSet(p));
      if (stage.isDefined(p) && !"modelLocation".equals(p.name())) {
        assertThat(StageContract.valueString(loaded.getOrDefault(lp))).as("param %s", p.name())
            .isEqualTo(StageContract.valueString(stage.getOrDefault(p)));
      }
    }
    return loaded;
  }
}
