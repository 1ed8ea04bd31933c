package io.p9.aws.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.aws.AwsFailure;
import io.p9.aws.AwsSettings;
import io.p9.aws.RegionPolicy;
import io.p9.aws.testing.AwsStub;
import io.p9.aws.testing.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** {@link S3Store} against a real S3-protocol server (S3Proxy in its own JVM on 127.0.0.1). */
class S3StoreIT {
  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static S3Client s3;
  private static S3Store store;

  @BeforeAll
  static void start() {
    server = S3ProxyServer.start(dir);
    AwsSettings settings = AwsSettings.builder().region("eu-west-1").endpoint(server.endpoint())
        .credentials(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .retryBaseDelay(Duration.ofMillis(10)).build();
    s3 = settings.s3();
    server.createBucket("p9-store");
    store = new S3Store(s3, RegionPolicy.euOnly());
  }

  @AfterAll
  static void stop() {
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aMissingBucketIsAClearError() {
    assertThatThrownBy(() -> store.checkBucket("p9-no-such-bucket")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("bucket 'p9-no-such-bucket' does not exist")
        .hasMessageContaining("aws s3 mb s3://p9-no-such-bucket --region eu-west-1");
    store.checkBucket("p9-store");
  }

  @Test
  void wrongKeysAreAClearError() {
    AwsSettings bad = AwsSettings.builder().endpoint(server.endpoint()).maxAttempts(1)
        .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsStub.ACCESS_KEY, "wrong"))).build();
    try (S3Client c = bad.s3()) {
      assertThatThrownBy(() -> new S3Store(c, RegionPolicy.euOnly()).checkBucket("p9-store"))
          .isInstanceOf(AwsFailure.class).hasMessageContaining("access denied to bucket 'p9-store'");
    }
  }

  @Test
  void uploadsAreContentAddressedAndSkippedWhenAlreadyThere() throws Exception {
    Path jar = Files.write(dir.resolve("p9-job.jar"), "jar bytes v1".getBytes(StandardCharsets.UTF_8));
    S3Location folder = S3Location.parse("s3://p9-store/p9/jars");

    S3Location first = store.upload(jar, folder);
    String etag = store.head(first).orElseThrow().eTag();
    S3Location again = store.upload(jar, folder);

    assertThat(first).isEqualTo(S3Store.uploadTarget(jar, S3Store.sha256(jar), folder));
    assertThat(first.key()).matches("p9/jars/p9-job-[0-9a-f]{12}\\.jar");
    assertThat(again).isEqualTo(first);
    assertThat(store.head(first).orElseThrow().metadata()).containsEntry(S3Store.SHA256_METADATA, S3Store.sha256(jar));
    assertThat(store.head(again).orElseThrow().eTag()).isEqualTo(etag);
    assertThat(store.readText(first, 1000)).contains("jar bytes v1");

    Files.write(jar, "jar bytes v2".getBytes(StandardCharsets.UTF_8));
    assertThat(store.upload(jar, folder)).isNotEqualTo(first);
  }

  @Test
  void readsGzippedLogsAndKeepsTheirTail() {
    StringBuilder log = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      log.append("line ").append(i).append('\n');
    }
    log.append("Exception in thread \"main\" java.lang.IllegalStateException: boom\n");
    s3.putObject(b -> b.bucket("p9-store").key("logs/j-1/steps/s-1/stderr.gz"),
        RequestBody.fromBytes(AwsStub.gzip(log.toString())));

    String tail = store.readText(S3Location.parse("s3://p9-store/logs/j-1/steps/s-1/stderr.gz"), 2000).orElseThrow();

    // the last 2000 bytes, from the first full line among them ("line NNNN\n": 10 bytes)
    assertThat(tail).startsWith("line ").hasSizeBetween(1991, 2000).endsWith("IllegalStateException: boom\n");
    assertThat(store.readText(S3Location.parse("s3://p9-store/logs/nope.gz"), 2000)).isEmpty();
  }
}
