package io.p9.aws.s3;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.p9.aws.AwsFailure;
import io.p9.aws.RegionPolicy;
import io.p9.aws.emr.EmrLauncher;
import io.p9.aws.testing.AwsStub;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The bucket checks against an HTTP stub on 127.0.0.1 answering HeadBucket as S3 does: 200, a 301 redirect
 * (or a 400) to the bucket's region, 403 or 404, with the bucket's region in {@code x-amz-bucket-region} when S3 gives it.
 */
class S3StoreTest {
  private AwsStub stub;
  private S3Client s3;
  private S3Store store;

  @BeforeEach
  void start() {
    stub = new AwsStub();
    s3 = stub.settings().build().s3();
    store = new S3Store(s3, RegionPolicy.euOnly());
  }

  @AfterEach
  void stop() {
    s3.close();
    stub.close();
  }

  private void headBucket(String bucket, int status, String region) {
    var r = aResponse().withStatus(status);
    stub.server.stubFor(head(urlEqualTo("/" + bucket))
        .willReturn(region == null ? r : r.withHeader("x-amz-bucket-region", region)));
  }

  @Test
  void aDataBucketInAnotherAllowedRegionPasses() {
    headBucket("p9-frankfurt", 301, "eu-central-1");
    headBucket("p9-stockholm-no-access", 403, "eu-north-1");
    headBucket("p9-here", 200, "eu-west-1");

    assertThat(store.checkDataBucket("p9-frankfurt")).isEqualTo("eu-central-1");
    assertThat(store.checkDataBucket("p9-stockholm-no-access")).as("the job's role reads it, not the launcher")
        .isEqualTo("eu-north-1");
    assertThat(store.checkDataBucket("p9-here")).isEqualTo("eu-west-1");
    // The launcher's own bucket must be where its client is, and readable by it.
    assertThatThrownBy(() -> store.checkBucket("p9-frankfurt")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("pass --region eu-central-1");
    assertThatThrownBy(() -> store.checkBucket("p9-stockholm-no-access")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("access denied to bucket 'p9-stockholm-no-access'");
  }

  @Test
  void aDataBucketOutsideThePolicyIsRefusedAsTheLaunchersBucketIs() {
    headBucket("p9-virginia", 301, "us-east-1");
    headBucket("p9-oregon-no-access", 403, "us-west-2");
    headBucket("p9-ohio", 200, "us-east-2");

    for (String b : new String[] {"p9-virginia", "p9-oregon-no-access", "p9-ohio"}) {
      assertThatThrownBy(() -> store.checkDataBucket(b)).as(b)
          .isInstanceOf(RegionPolicy.RegionNotAllowedException.class)
          .hasMessageStartingWith("bucket '" + b + "' is in us-")
          .hasMessageContaining("outside the allowed regions [eu-central-1, eu-north-1")
          .hasMessageContaining("(EU only by default, for GDPR)");
    }
    assertThatThrownBy(() -> store.checkBucket("p9-virginia"))
        .isInstanceOf(RegionPolicy.RegionNotAllowedException.class)
        .hasMessage(catchThrowable(() -> store.checkDataBucket("p9-virginia")).getMessage());
    assertThat(new S3Store(s3, RegionPolicy.euOnly().allowing(List.of("us-east-1")))
        .checkDataBucket("p9-virginia")).as("allowed explicitly").isEqualTo("us-east-1");
  }

  @Test
  void aBucketInARegionThatAnswers400IsLocatedAsA301Is() {
    // S3 answers a request for a bucket in a region launched after March 2019 (eu-south-1 Milan, eu-south-2
    // Spain, af-south-1 ...) sent to another region's endpoint with 400 Bad Request, the bucket's region in
    // x-amz-bucket-region, where older regions answer 301; the SDK's own cross-region client treats both alike.
    headBucket("p9-milan", 400, "eu-south-1");
    headBucket("p9-cape-town", 400, "af-south-1");

    assertThatThrownBy(() -> store.checkBucket("p9-milan")).isInstanceOf(AwsFailure.class)
        .hasMessage("bucket 'p9-milan' is in region eu-south-1; pass --region eu-south-1");
    assertThat(store.checkDataBucket("p9-milan")).isEqualTo("eu-south-1");
    assertThatThrownBy(() -> store.checkBucket("p9-cape-town"))
        .isInstanceOf(RegionPolicy.RegionNotAllowedException.class)
        .hasMessageStartingWith("bucket 'p9-cape-town' is in af-south-1, outside the allowed regions");
  }

  @Test
  void aDataBucketWhoseRegionIsUnknownOrThatIsMissingFails() {
    headBucket("p9-secret", 403, null);
    headBucket("p9-gone", 404, null);

    assertThatThrownBy(() -> store.checkDataBucket("p9-secret")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("access denied to bucket 'p9-secret' (s3:ListBucket needed)");
    assertThatThrownBy(() -> store.checkDataBucket("p9-gone")).isInstanceOf(AwsFailure.class)
        .hasMessageContaining("bucket 'p9-gone' does not exist");
  }

  /**
   * The tail of a log (its last {@code maxBytes}) whose first byte falls inside a multi-byte UTF-8 character starts
   * at the next line, or, in a line longer than the tail, at the next character: no replacement character first.
   */
  @Test
  void aLogTailStartsAtALineOrCharacterBoundary() {
    String line = "line " + "\u20ac".repeat(100) + "\n"; // 306 bytes
    String lines = line.repeat(300) + "Exception: boom\n";
    byte[] utf8 = lines.getBytes(StandardCharsets.UTF_8);
    assertThat(Integer.toBinaryString(utf8[utf8.length - EmrLauncher.LOG_TAIL_BYTES] & 0xff))
        .as("the tail starts inside a character").startsWith("10");
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/logs/stderr.gz")).willReturn(aResponse().withStatus(200)
        .withBody(AwsStub.gzip(lines))));
    String oneLine = "\u20ac".repeat(30_000);
    stub.server.stubFor(get(urlEqualTo("/p9-bucket/logs/stdout.gz")).willReturn(aResponse().withStatus(200)
        .withBody(AwsStub.gzip(oneLine))));

    assertThat(store.readText(S3Location.parse("s3://p9-bucket/logs/stderr.gz"), EmrLauncher.LOG_TAIL_BYTES))
        .as("the last 64 KB start at byte 270 of line 86 of 301: from line 87 on")
        .hasValue(line.repeat(214) + "Exception: boom\n");
    assertThat(store.readText(S3Location.parse("s3://p9-bucket/logs/stdout.gz"), EmrLauncher.LOG_TAIL_BYTES))
        .hasValue("\u20ac".repeat((EmrLauncher.LOG_TAIL_BYTES - 1) / 3));
  }
}
