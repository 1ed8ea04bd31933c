package io.p9.compat.hadoop34;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.spark.ml.internal.Glob;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobExpander;
import org.apache.hadoop.util.VersionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * p9-spark-ml's {@code GlobTest} runs in this module's "glob" execution against Hadoop 3.4's {@code globStatus}; this
 * test pins that the Hadoop there is 3.4, whose {@code GlobExpander} (not a public API) {@link Glob} still finds.
 */
class GlobOnHadoop34Test {
  @TempDir Path tmp;

  @Test
  void globRunsOnHadoop34() throws Exception {
    assertThat(VersionInfo.getVersion()).startsWith("3.4.");
    assertThat(GlobExpander.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .contains("hadoop-client-api-3.4.");
    Files.createDirectories(tmp.resolve("col:on"));
    Files.write(tmp.resolve("col:on/a.jpg"), new byte[1]);
    FileStatus[] m = Glob.matches(FileSystem.getLocal(new Configuration()),
        new org.apache.hadoop.fs.Path(tmp.toUri().getPath() + "/{col:on,x}/*.jpg"));
    assertThat(m).extracting(s -> s.getPath().getName()).containsExactly("a.jpg");
  }
}
