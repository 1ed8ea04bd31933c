package io.p9.spark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.model.ModelInfo;
import io.p9.core.testing.RepoData;
import io.p9.spark.ml.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
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
}
