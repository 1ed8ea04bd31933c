package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.Processes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the deployable job jar holds, and that it is also a launcher that runs without Spark. */
class JobJarIT {
  /** Where p9-core's jar relocates protobuf-java and Tribuo's ONNX protos. */
  private static final String SHADED = "io/p9/shaded/";
  /** Entries of what the job jar takes relocated from p9-core's jar, at their own names. */
  private static final Pattern UNRELOCATED =
      Pattern.compile("^(com/google/protobuf/|google/protobuf/|ai/onnx/proto/|org/tribuo/)");
  /** A reference to a class of those packages at its own name. */
  private static final Pattern REFERENCE =
      Pattern.compile("(?<!" + SHADED + ")(com/google/protobuf|ai/onnx/proto)/\\w+");

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
      // The ONNX protos inside (relocated, from p9-core's jar) refer to the relocated protobuf.
      byte[] proto = j.getInputStream(j.getEntry(SHADED + "ai/onnx/proto/OnnxMl$ModelProto.class")).readAllBytes();
      String s = new String(proto, StandardCharsets.ISO_8859_1);
      assertThat(s).contains(SHADED + "com/google/protobuf/").doesNotContain("Lcom/google/protobuf/");
    }
  }

  /**
   * Each class is in the jar once. protobuf-java and Tribuo's ONNX protos come relocated inside p9-core's jar:
   * neither they, nor the rest of Tribuo, nor the .proto sources of protobuf's well-known types are in the job jar
   * at their own names, and no class in it refers to them there.
   */
  @Test
  void holdsEachClassOnce() throws Exception {
    try (JarFile j = new JarFile(jar().toFile())) {
      List<String> names = Collections.list(j.entries()).stream().filter(e -> !e.isDirectory())
          .map(ZipEntry::getName).toList();
      Set<String> all = new HashSet<>(names);
      assertThat(names.stream().filter(n -> n.startsWith(SHADED)).map(n -> n.substring(SHADED.length()))
          .filter(all::contains).sorted()).as("entries both at their own name and under %s", SHADED).isEmpty();
      assertThat(names.stream().filter(UNRELOCATED.asPredicate()).sorted()).as("entries at their own name")
          .isEmpty();
      List<String> referring = new ArrayList<>();
      for (String n : names) {
        if (n.endsWith(".class")) {
          try (InputStream in = j.getInputStream(j.getEntry(n))) {
            Matcher m = REFERENCE.matcher(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            if (m.find()) {
              referring.add(n + " -> " + m.group());
            }
          }
        }
      }
      assertThat(referring).as("classes that refer to a relocated package at its own name").isEmpty();
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
    assertThat(text).as("SLF4J's no-provider notice").doesNotContain("SLF4J");
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
