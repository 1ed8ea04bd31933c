package io.p9.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Benchmarks put their inputs and Spark homes in temporary folders: each run must leave none behind. */
class TempFilesTest {

  @Test
  void sparkPipelineBenchmarkRemovesItsInputsOnTearDown() throws Exception {
    SparkPipelineBenchmark b = new SparkPipelineBenchmark();
    b.images = 4;
    b.replicate = 1;
    b.batch = 2;
    b.model = "int8";
    b.master = "local[1]";
    b.setUp();
    Path tmp = b.tmp;
    assertThat(tmp.resolve("images")).isDirectory();
    b.tearDown();
    assertThat(tmp).doesNotExist();
  }

  @Test
  void standaloneClusterRemovesItsSparkHomeOnClose() throws Exception {
    Path home;
    try (StandaloneCluster cluster = StandaloneCluster.start(1, "512m")) {
      home = cluster.home();
      // the jars are links to the class path's own files: removing the home must not follow them
      Path aJar = home.resolve("jars").toFile().listFiles()[0].toPath();
      assertThat(aJar).isSymbolicLink();
      Path target = aJar.toRealPath();
      cluster.close();
      assertThat(home).doesNotExist();
      assertThat(target).exists();
    }
    assertThat(Files.exists(home)).isFalse();
  }
}
