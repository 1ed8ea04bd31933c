package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.Fixtures;
import io.p9.core.testing.RepoData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The example job with a Keras .h5 model (p9's own Fruits-360 CNN exported as Keras Sequential). */
class FruitsJobKerasTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path input;

  @BeforeAll
  static void setUp() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("p9-examples-keras-test")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    input = tmp.resolve("in");
    try (Stream<Path> s = Files.list(RepoData.quickSample().resolve("Training"))) {
      for (Path variety : s.sorted().limit(5).toList()) {
        Path out = Files.createDirectories(input.resolve(variety.getFileName().toString()));
        try (Stream<Path> imgs = Files.list(variety)) {
          for (Path img : imgs.sorted().limit(4).toList()) {
            Files.copy(img, out.resolve(img.getFileName().toString()));
          }
        }
      }
    }
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void runsTheJobWithAKerasH5AndKerasPreprocessing() throws Exception {
    Path model = Files.write(tmp.resolve("fruits_cnn_seq.h5"), Fixtures.bytes("fruits_cnn_seq.h5"));
    FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(input.toString(), tmp.resolve("out").toString(),
        model.toString(), 0, 0.9, 8, "keep", 3, "pca", "auto", "mobilenet", null));
    assertThat(r.files()).isEqualTo(20);
    assertThat(r.featurized()).isEqualTo(20);
    assertThat(r.featureDim()).as("the CNN's 'gap' layer").isEqualTo(48);
    assertThat(r.explainedVariance()).isGreaterThanOrEqualTo(0.9);
    assertThat(spark.read().parquet(r.parquet()).count()).isEqualTo(20);
  }

  @Test
  void theCliOffersBackendPreprocessingAndFeatureTensor() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new P9Cli()).setOut(new java.io.PrintWriter(buf, true));
    assertThat(cli.execute("run", "--help")).isZero();
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("--backend", "--preprocessing", "--feature-tensor",
        "Keras .h5");
  }
}
