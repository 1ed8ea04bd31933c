package io.p9.compat.hadoop34;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.hadoop.util.VersionInfo;
import org.junit.jupiter.api.Test;

/**
 * The failsafe JVM that runs the examples' S3 ITs here runs them on Hadoop 3.4 and S3A on the AWS SDK v2, not on
 * the 3.3.4 and SDK v1 of the main build, which the examples' test jar would bring if the POM let it.
 */
class Hadoop34ClassPathIT {
  @Test
  void theItsRunOnHadoop34AndS3aOnSdkV2() {
    assertThat(VersionInfo.getVersion()).startsWith("3.4.");
    assertThat(S3AFileSystem.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .contains("hadoop-aws-3.4.");
    assertThat(software.amazon.awssdk.services.s3.S3Client.class).isNotNull();
    assertThatThrownBy(() -> Class.forName("com.amazonaws.services.s3.AmazonS3Client"))
        .isInstanceOf(ClassNotFoundException.class);
  }
}
