package io.p9.compat.hadoop34;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.s3.S3aSettings;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.s3a.AWSCredentialProviderList;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.hadoop.util.VersionInfo;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * p9-aws's {@link S3aSettings} on hadoop-aws 3.4, whose S3A takes AWS SDK v2 credential providers (EMR 7.4 and
 * later): S3A starts with each credentials source p9 offers, and the default chain finds keys where the SDK's
 * default chain looks. Nothing is sent: the endpoint is a closed port and S3A probes no bucket when it starts.
 */
class S3aSettingsOnHadoop34Test {
  private static S3AFileSystem s3a(S3aSettings settings) throws Exception {
    Configuration conf = new Configuration();
    settings.applyToHadoop(conf::set);
    return (S3AFileSystem) FileSystem.newInstance(URI.create("s3a://p9-bucket/"), conf);
  }

  private static S3aSettings.Builder local() {
    return S3aSettings.builder().endpoint(URI.create("http://127.0.0.1:9")).pathStyle(true);
  }

  @Test
  void runsOnHadoop34() {
    assertThat(VersionInfo.getVersion()).startsWith("3.4.");
  }

  @Test
  void s3aStartsWithEachCredentialsSource() throws Exception {
    for (S3aSettings.Credentials c : S3aSettings.Credentials.values()) {
      S3aSettings.Builder b = c == S3aSettings.Credentials.STATIC ? local().staticCredentials("id", "secret", null)
          : local().credentials(c);
      try (S3AFileSystem fs = s3a(b.build())) {
        assertThat(fs.getUri()).as(c.name()).isEqualTo(URI.create("s3a://p9-bucket"));
      }
    }
  }

  @Test
  void theDefaultChainFindsKeysInSystemProperties() throws Exception {
    System.setProperty("aws.accessKeyId", "p9-test-id");
    System.setProperty("aws.secretAccessKey", "p9-test-secret");
    try (S3AFileSystem fs = s3a(local().build());
        AWSCredentialProviderList providers = fs.shareCredentials("test")) {
      AwsCredentials keys = providers.resolveCredentials();
      assertThat(keys.accessKeyId()).isEqualTo("p9-test-id");
      assertThat(keys.secretAccessKey()).isEqualTo("p9-test-secret");
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }
}
