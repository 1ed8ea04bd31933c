package io.p9.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What p9-aws brings to a Maven user's run-time class path (and so into their job jar): the AWS SDK v2
 * clients, not Hadoop or hadoop-aws's AWS SDK v1 bundle, which the cluster provides in its own versions.
 */
class DependencyScopesTest {

  @Test
  void hadoopIsNotTransitive() throws Exception {
    Path file = Paths.get(System.getProperty("p9.runtime.classpath", "missing"));
    assertThat(file).isRegularFile();
    List<String> jars = Arrays.stream(Files.readString(file).trim().split(File.pathSeparator))
        .map(e -> Paths.get(e).getFileName().toString()).toList();
    assertThat(jars).anyMatch(j -> j.startsWith("emrserverless-")).anyMatch(j -> j.startsWith("s3-"));
    assertThat(jars).noneMatch(j -> j.startsWith("hadoop-") || j.startsWith("aws-java-sdk")
        || j.startsWith("spark-"));
  }
}
