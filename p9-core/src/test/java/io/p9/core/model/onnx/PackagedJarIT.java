package io.p9.core.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.core.testing.RepoData;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The packaged p9-core jar, as an application's Spark job gets it, edits an ONNX graph whatever protobuf-java
 * the cluster puts first on the class path. {@code spark-submit} (and EMR) load Spark's jars before the
 * application's: with Spark 3.5.6 that includes protobuf-java 3.19.6 (a dependency of tink, Spark's crypto
 * library), which shadows the 3.25 that Tribuo's ONNX protos are generated for, and the graph edit failed with
 * {@code IllegalAccessError: ... LazyStringArrayList.emptyList()}. The jar carries both, relocated.
 */
class PackagedJarIT {

  @Test
  void editsTheGraphBehindSparksOlderProtobuf() throws Exception {
    List<String> cp = new ArrayList<>();
    cp.add(sparksProtobuf().toString()); // the cluster's jars come first
    cp.add(packagedJar().toString());
    cp.addAll(runtimeClasspath());
    assertThat(probe(cp)).contains("edited source=464_quantized output=p9_features quantized=true");
  }

  @Test
  void needsNoProtobufOrTribuoBesideIt() throws Exception {
    List<String> cp = new ArrayList<>();
    cp.add(packagedJar().toString());
    runtimeClasspath().stream()
        .filter(e -> !e.replace('\\', '/').contains("/com/google/protobuf/") && !e.contains("tribuo"))
        .forEach(cp::add);
    assertThat(probe(cp)).contains("edited source=464_quantized output=p9_features quantized=true");

    assertThat(publishedDependencies()).as("the dependencies of the POM published with the jar")
        .contains("com.microsoft.onnxruntime:onnxruntime")
        .doesNotContain("com.google.protobuf:protobuf-java", "org.tribuo:tribuo-util-onnx");
  }

  /**
   * What the jar copies in, it carries the licence of: protobuf-java (BSD-3-Clause, whose terms ask that binary
   * copies reproduce the notice) and Tribuo's ONNX protos (Apache-2.0).
   */
  @Test
  void carriesTheLicencesOfWhatItBundles() throws Exception {
    try (JarFile jar = new JarFile(packagedJar().toFile())) {
      assertThat(jar.getEntry("io/p9/shaded/com/google/protobuf/Message.class")).as("relocated protobuf")
          .isNotNull();
      assertThat(jar.getEntry("io/p9/shaded/ai/onnx/proto/OnnxMl.class")).as("relocated ONNX protos")
          .isNotNull();
      assertThat(text(jar, "META-INF/licenses/com/google/protobuf/LICENSE"))
          .contains("Copyright 2008 Google Inc.", "Redistributions in binary form must reproduce");
      assertThat(text(jar, "META-INF/licenses/org/tribuo/LICENSE-Apache-2.0.txt"))
          .contains("Apache License", "Version 2.0, January 2004");
    }
  }

  private static String text(JarFile jar, String entry) throws IOException {
    ZipEntry e = jar.getEntry(entry);
    assertThat(e).as(entry + " in " + jar.getName()).isNotNull();
    try (InputStream in = jar.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** groupId:artifactId of each dependency the published (dependency-reduced) POM declares. */
  private static List<String> publishedDependencies() throws Exception {
    Path pom = Paths.get(System.getProperty("p9.core.published.pom", "missing"));
    assertThat(pom).as("the dependency-reduced POM that deploy publishes").isRegularFile();
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
        .getDocumentElement();
    List<String> deps = new ArrayList<>();
    for (Element list : children(project, "dependencies")) {
      for (Element d : children(list, "dependency")) {
        deps.add(children(d, "groupId").get(0).getTextContent().trim() + ":"
            + children(d, "artifactId").get(0).getTextContent().trim());
      }
    }
    return deps;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getTagName())) {
        out.add(e);
      }
    }
    return out;
  }

  private static Path packagedJar() {
    Path jar = Paths.get(System.getProperty("p9.core.jar", "missing"));
    assertThat(jar).as("p9-core's packaged jar (mvn package builds it before the ITs)").isRegularFile();
    return jar;
  }

  private static Path sparksProtobuf() {
    Path jar = Paths.get(System.getProperty("p9.spark.protobuf.jar", "missing"));
    assertThat(jar).as("the protobuf-java that Spark 3.5.6 brings").isRegularFile();
    return jar;
  }

  /** p9-core's compile and runtime dependencies, without the optional DL4J ones. */
  private static List<String> runtimeClasspath() throws IOException {
    String s = Files.readString(Paths.get(System.getProperty("p9.runtime.classpath", "missing"))).trim();
    return Arrays.stream(s.split(File.pathSeparator)).filter(e -> !e.isEmpty()).collect(Collectors.toList());
  }

  /** Runs {@link PackagedJarProbe} on the class path given plus its own class, and returns its output. */
  private static String probe(List<String> classpath) throws Exception {
    Path probeClasses = Paths.get(PackagedJarProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> cp = new ArrayList<>(classpath);
    cp.add(probeClasses.toString());
    Path out = Files.createTempFile("p9-probe", ".log");
    try {
      Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", String.join(File.pathSeparator, cp), PackagedJarProbe.class.getName(),
          RepoData.mobilenet().toString())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
      }
      String log = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("probe exit code; its output:%n%s", log).isZero();
      return log;
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
