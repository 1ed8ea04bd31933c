package io.p9.aws.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3aSettingsTest {
  @Test
  void defaultsUseTheAwsChainTheEuRegionAndTheMagicCommitter() {
    Map<String, String> h = S3aSettings.builder().build().hadoopProperties();
    assertThat(h).containsEntry("fs.s3a.aws.credentials.provider", "com.amazonaws.auth.DefaultAWSCredentialsProviderChain")
        .containsEntry("fs.s3a.endpoint.region", "eu-west-1")
        .containsEntry("fs.s3a.endpoint", "s3.eu-west-1.amazonaws.com")
        .containsEntry("fs.s3a.path.style.access", "false")
        .containsEntry("fs.s3a.connection.maximum", "200")
        .containsEntry("fs.s3a.threads.max", "64")
        .containsEntry("fs.s3a.committer.name", "magic")
        .containsEntry("fs.s3a.committer.magic.enabled", "true")
        .containsEntry("mapreduce.outputcommitter.factory.scheme.s3a",
            "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory")
        .containsEntry("fs.s3a.fast.upload.buffer", "disk")
        .containsEntry("fs.s3a.directory.marker.retention", "keep")
        .doesNotContainKeys("fs.s3a.access.key", "fs.s3a.secret.key");
  }

  @Test
  void sparkPropertiesPrefixHadoopKeysAndBindTheCommitProtocol() {
    S3aSettings s = S3aSettings.builder().region("eu-west-3").build();
    Map<String, String> sp = s.sparkProperties();
    assertThat(sp).containsEntry("spark.hadoop.fs.s3a.endpoint.region", "eu-west-3")
        .containsEntry("spark.sql.sources.commitProtocolClass", "io.p9.spark.cloud.PathCommitProtocol");
    assertThat(sp.keySet()).allMatch(k -> k.startsWith("spark.hadoop.") || k.startsWith("spark.sql."));
    Map<String, String> applied = new LinkedHashMap<>();
    s.applyToSpark(applied::put);
    assertThat(applied).isEqualTo(sp);
    Map<String, String> hadoop = new LinkedHashMap<>();
    s.applyToHadoop(hadoop::put);
    assertThat(hadoop).isEqualTo(s.hadoopProperties());
  }

  /** Hadoop: fs.s3a.connection.maximum must be bigger than fs.s3a.threads.max, else threads wait for connections. */
  @Test
  void refusesAConnectionPoolNoLargerThanTheThreads() {
    assertThatThrownBy(() -> S3aSettings.builder().maxConnections(32).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnections (32) must be larger than threads (64)");
    assertThatThrownBy(() -> S3aSettings.builder().threads(200).build())
        .hasMessageContaining("maxConnections (200) must be larger than threads (200)");
    // whatever the order of the builder calls
    assertThat(S3aSettings.builder().maxConnections(20).threads(16).build().hadoopProperties())
        .containsEntry("fs.s3a.connection.maximum", "20").containsEntry("fs.s3a.threads.max", "16");
    assertThat(S3aSettings.builder().threads(300).maxConnections(400).build().hadoopProperties())
        .containsEntry("fs.s3a.connection.maximum", "400").containsEntry("fs.s3a.threads.max", "300");
  }

  @Test
  void fileCommitterHasNoCloudBindings() {
    S3aSettings s = S3aSettings.builder().committer(S3aSettings.Committer.FILE).build();
    assertThat(s.sparkProperties()).doesNotContainKeys("spark.sql.sources.commitProtocolClass",
        "spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a");
    assertThat(S3aSettings.Committer.parse("staging")).isEqualTo(S3aSettings.Committer.DIRECTORY);
  }

  @Test
  void endpointOverrideForAnS3CompatibleStore() {
    Map<String, String> h = S3aSettings.builder().endpoint(URI.create("http://127.0.0.1:9000")).pathStyle(true)
        .build().hadoopProperties();
    assertThat(h).containsEntry("fs.s3a.endpoint", "http://127.0.0.1:9000")
        .containsEntry("fs.s3a.connection.ssl.enabled", "false")
        .containsEntry("fs.s3a.path.style.access", "true");
  }

  /**
   * hadoop-aws 3.3 sends every bucket's requests to {@code fs.s3a.endpoint}, signed for
   * {@code fs.s3a.endpoint.region}, and S3 answers a bucket of another region with a 301: such a bucket gets its
   * own region's endpoint and signing region as per-bucket options, which override the base ones for it alone.
   */
  @Test
  void aBucketInAnotherRegionGetsItsOwnEndpointAndSigningRegion() {
    Map<String, String> h = S3aSettings.builder().region("eu-west-1").bucketRegion("p9-frankfurt", "eu-central-1")
        .bucketRegion("p9.paris.example", "eu-west-3").bucketRegion("p9-dublin", "eu-west-1").build()
        .hadoopProperties();

    assertThat(h).containsEntry("fs.s3a.endpoint", "s3.eu-west-1.amazonaws.com")
        .containsEntry("fs.s3a.endpoint.region", "eu-west-1")
        .containsEntry("fs.s3a.bucket.p9-frankfurt.endpoint", "s3.eu-central-1.amazonaws.com")
        .containsEntry("fs.s3a.bucket.p9-frankfurt.endpoint.region", "eu-central-1")
        .containsEntry("fs.s3a.bucket.p9.paris.example.endpoint", "s3.eu-west-3.amazonaws.com")
        .containsEntry("fs.s3a.bucket.p9.paris.example.endpoint.region", "eu-west-3");
    assertThat(h.keySet()).as("a bucket in --region needs nothing of its own").noneMatch(k -> k.contains("p9-dublin"));
    assertThat(S3aSettings.builder().bucketRegion("p9-frankfurt", "eu-central-1").set(
        "fs.s3a.bucket.p9-frankfurt.endpoint", "bucket.vpce-1.s3.eu-central-1.vpce.amazonaws.com").build()
        .hadoopProperties()).as("set(...) comes last").containsEntry("fs.s3a.bucket.p9-frankfurt.endpoint",
            "bucket.vpce-1.s3.eu-central-1.vpce.amazonaws.com");
    assertThat(S3aSettings.builder().bucketRegion("p9-frankfurt", "eu-central-1").build().toString())
        .contains("bucketRegions={p9-frankfurt=eu-central-1}");
    assertThatThrownBy(() -> S3aSettings.builder().bucketRegion("p9/in", "eu-west-1"))
        .hasMessageContaining("'p9/in' is not a bucket name");
  }

  /** Every bucket of an S3-compatible store is on its one endpoint: no per-bucket AWS endpoints there. */
  @Test
  void anEndpointOverrideKeepsEveryBucketOnIt() {
    Map<String, String> h = S3aSettings.builder().endpoint(URI.create("http://127.0.0.1:9000")).pathStyle(true)
        .bucketRegion("p9-frankfurt", "eu-central-1").build().hadoopProperties();

    assertThat(h).containsEntry("fs.s3a.endpoint", "http://127.0.0.1:9000");
    assertThat(h.keySet()).noneMatch(k -> k.startsWith("fs.s3a.bucket."));
  }

  @Test
  void staticKeysReachTheConfigurationButNeverItsPrintedForms() {
    S3aSettings s = S3aSettings.builder().staticCredentials("AKIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", null)
        .build();
    assertThat(s.hadoopProperties()).containsEntry("fs.s3a.access.key", "AKIAEXAMPLEKEY")
        .containsEntry("fs.s3a.secret.key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY")
        .containsEntry("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    assertThat(s.toString()).doesNotContain("AKIAEXAMPLEKEY").doesNotContain("wJalrXUtnFEMI").contains("redacted");
    assertThat(s.redacted().toString()).doesNotContain("AKIAEXAMPLEKEY").doesNotContain("wJalrXUtnFEMI");
    assertThat(s.redacted()).containsEntry("spark.hadoop.fs.s3a.secret.key", S3aSettings.REDACTED)
        .containsEntry("spark.hadoop.fs.s3a.endpoint.region", "eu-west-1");
    S3aSettings t = S3aSettings.builder().staticCredentials("AKIA", "SECRET", "TOKEN").build();
    assertThat(t.hadoopProperties()).containsEntry("fs.s3a.session.token", "TOKEN")
        .containsEntry("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider");
  }

  @Test
  void credentialSourcesAndValidation() {
    assertThat(S3aSettings.Credentials.parse("instance-role").providerClass())
        .isEqualTo("org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
    assertThat(S3aSettings.Credentials.parse("default")).isEqualTo(S3aSettings.Credentials.DEFAULT_CHAIN);
    assertThat(S3aSettings.builder().credentials(S3aSettings.Credentials.ANONYMOUS).build().hadoopProperties())
        .containsEntry("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.AnonymousAWSCredentialsProvider");
    assertThatThrownBy(() -> S3aSettings.Credentials.parse("magic")).hasMessageContaining("unknown credentials");
    assertThatThrownBy(() -> S3aSettings.builder().set("spark.foo", "x")).hasMessageContaining("fs.s3a");
    assertThatThrownBy(() -> S3aSettings.builder().multipartSize("big")).hasMessageContaining("not a size");
    assertThat(S3aSettings.builder().set("fs.s3a.readahead.range", "1M").build().hadoopProperties())
        .containsEntry("fs.s3a.readahead.range", "1M");
  }

  /** An SSE-C key is the encryption key itself (Hadoop lists S3A's encryption keys as sensitive). */
  @Test
  void encryptionKeysAreRedacted() {
    String key = "c2VjcmV0LXNzZS1jLWtleS0wMTIzNDU2Nzg5YWJjZGU=";
    S3aSettings s = S3aSettings.builder().set("fs.s3a.encryption.algorithm", "SSE-C")
        .set("fs.s3a.encryption.key", key).set("fs.s3a.bucket.p9-other.server-side-encryption.key", key + "2")
        .build();
    assertThat(s.hadoopProperties()).containsEntry("fs.s3a.encryption.key", key)
        .containsEntry("fs.s3a.bucket.p9-other.server-side-encryption.key", key + "2");
    assertThat(s.redacted().toString()).doesNotContain(key);
    assertThat(s.redacted()).containsEntry("spark.hadoop.fs.s3a.encryption.key", S3aSettings.REDACTED)
        .containsEntry("spark.hadoop.fs.s3a.encryption.algorithm", "SSE-C");
  }

  @Test
  void secretKeysAreRecognized() {
    assertThat(S3aSettings.isSecret("spark.hadoop.fs.s3a.secret.key")).isTrue();
    assertThat(S3aSettings.isSecret("fs.s3a.access.key")).isTrue();
    assertThat(S3aSettings.isSecret("fs.s3a.session.token")).isTrue();
    assertThat(S3aSettings.isSecret("fs.s3a.endpoint")).isFalse();
  }

  @Test
  void s3Locations() {
    S3Location l = S3Location.parse("s3a://p9-bucket/a/b.jar");
    assertThat(l.bucket()).isEqualTo("p9-bucket");
    assertThat(l.key()).isEqualTo("a/b.jar");
    assertThat(l.s3Uri()).isEqualTo("s3://p9-bucket/a/b.jar");
    assertThat(S3Location.parse("s3://p9-bucket").resolve("x/y").s3aUri()).isEqualTo("s3a://p9-bucket/x/y");
    assertThat(S3Location.parse("s3://p9-bucket/logs").asFolder().s3Uri()).isEqualTo("s3://p9-bucket/logs/");
    assertThat(S3Location.isS3("file:/tmp")).isFalse();
    assertThatThrownBy(() -> S3Location.parse("s3://Bad_Bucket/x")).hasMessageContaining("not a valid S3 bucket");
    assertThatThrownBy(() -> S3Location.parse("/tmp/x")).hasMessageContaining("not an S3 URI");
    assertThat(S3Store.contentAddressedName("p9-job.jar", "0123456789abcdef")).isEqualTo("p9-job-0123456789ab.jar");
  }
}
