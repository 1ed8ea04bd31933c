package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the deployable job jar holds, and that it is also a launcher that runs without Spark. */
class JobJarIT {
  private static Path jar() {
    Path p = Paths.get(System.getProperty("p9.job.jar", "missing"));
    assertThat(p).isRegularFile();
    return p;
  }

  @Test
  void holdsP9AndItsLibrariesButNotWhatTheClusterProvides() throws Exception {
    try (JarFile j = new JarFile(jar().toFile())) {
      List<String> names = Collections.list(j.entries()).stream().map(ZipEntry::getName).toList();
      assertThat(names).contains("io/p9/examples/P9Cli.class", "io/p9/spark/ml/CnnFeaturizer.class",
          "io/p9/spark/cloud/PathCommitProtocol.class", "io/p9/aws/emr/EmrLauncher.class",
          "p9/models/mobilenetv2-12-int8.onnx", "p9/models/mobilenetv2-12-int8.onnx.p9.json",
          "ai/onnxruntime/native/linux-x64/libonnxruntime.so", "ai/onnxruntime/native/linux-aarch64/libonnxruntime.so",
          "META-INF/services/io.p9.core.model.ModelBackend", "META-INF/services/javax.imageio.spi.ImageReaderSpi");
      assertThat(names).anyMatch(n -> n.startsWith("io/p9/shaded/com/google/protobuf/"))
          .anyMatch(n -> n.startsWith("software/amazon/awssdk/services/emr/"))
          .anyMatch(n -> n.startsWith("picocli/"));
      assertThat(names).noneMatch(n -> n.startsWith("org/apache/spark/") || n.startsWith("scala/")
          || n.startsWith("org/apache/hadoop/") || n.startsWith("com/amazonaws/")
          || n.startsWith("com/fasterxml/") || n.startsWith("com/google/protobuf/")
          || n.startsWith("org/apache/logging/") || n.startsWith("ai/onnxruntime/native/osx")
          || n.startsWith("ai/onnxruntime/native/win"));
      assertThat(j.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.p9.examples.P9Cli");
      // The ONNX protos inside refer to the relocated protobuf.
      byte[] proto = j.getInputStream(j.getEntry("ai/onnx/proto/OnnxMl$ModelProto.class")).readAllBytes();
      String s = new String(proto, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(s).contains("io/p9/shaded/com/google/protobuf/").doesNotContain("Lcom/google/protobuf/");
    }
  }

  @Test
  void runsAsALauncherWithoutSpark(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.txt");
    Process p = new ProcessBuilder(Processes.java(), "-jar", jar().toString(), "emr", "submit", "--bucket", "p9-demo",
        "--input", "s3://p9-demo/fruits/Training", "--jar", jar().toString(), "--dry-run")
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      Processes.stop(p);
    }
    String text = Files.readString(out);
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).contains("\"operation\": \"RunJobFlow\"", "aws emr create-cluster");
  }

  /**
   * The README's {@code alias p9='java -jar ...-job.jar'} runs {@code p9 run} without Spark too: it says
   * how to run it instead of failing with a NoClassDefFoundError.
   */
  @Test
  void runWithoutSparkSaysWhereToRunIt(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.txt");
    Process p = new ProcessBuilder(Processes.java(), "-jar", jar().toString(), "run", "--input", dir.toString(),
        "--output", dir.resolve("p9-out").toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      Processes.stop(p);
    }
    String text = Files.readString(out);
    assertThat(p.exitValue()).as(text).isEqualTo(2);
    assertThat(text.lines().filter(l -> l.startsWith("p9: "))).as(text).singleElement().asString()
        .startsWith("p9: p9 run needs Spark on the class path");
    assertThat(text).doesNotContain("\tat ");
    assertThat(dir.resolve("p9-out")).doesNotExist();
  }
}
