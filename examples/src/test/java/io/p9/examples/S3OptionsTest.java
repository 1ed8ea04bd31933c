package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The S3A settings {@code p9 run} derives from its options and from the URIs it reads and writes. */
class S3OptionsTest {
  private static Map<String, String> hadoop(String input, String output, String model, String... options) {
    S3Options s3 = new S3Options();
    new CommandLine(s3).parseArgs(options);
    return s3.settings(input, output, model).hadoopProperties();
  }

  /**
   * A bucket with dots in its name cannot be addressed as a sub-domain over TLS: {@code a.b.s3.eu-west-1
   * .amazonaws.com} is not covered by S3's certificate {@code *.s3.eu-west-1.amazonaws.com}, and the AWS SDK v1
   * of hadoop-aws 3.3 does not fall back to path-style by itself (the SDK v2 does).
   */
  @Test
  void bucketsWithDotsAreAddressedByPathOverTls() {
    Map<String, String> h = hadoop("s3a://images.example.com/fruits", "s3a://p9-out/run1",
        "s3a://models.example.com/m.onnx");

    assertThat(h).containsEntry("fs.s3a.bucket.images.example.com.path.style.access", "true")
        .containsEntry("fs.s3a.bucket.models.example.com.path.style.access", "true")
        .containsEntry("fs.s3a.path.style.access", "false")
        .doesNotContainKey("fs.s3a.bucket.p9-out.path.style.access");
    assertThat(hadoop("s3a://p9-in/fruits", "s3a://p9-out/run1", P9Cli.BUNDLED_MODEL))
        .noneSatisfy((k, v) -> assertThat(k).startsWith("fs.s3a.bucket."));
  }

  private static String invalid(String... options) {
    S3Options s3 = new S3Options();
    new CommandLine(s3).parseArgs(options);
    return s3.invalidOption();
  }

  /**
   * An AWS S3 endpoint names its region, and S3 refuses requests signed for another (AuthorizationHeaderMalformed):
   * an {@code --s3-endpoint} of one region with a {@code --region} of another is refused before any Spark work, and
   * the region check then applies to the region the data is in.
   */
  @Test
  void anAwsEndpointOfAnotherRegionThanTheRegionIsRefused() {
    for (String endpoint : List.of("https://s3.eu-central-1.amazonaws.com", "s3.eu-central-1.amazonaws.com",
        "https://s3.dualstack.eu-central-1.amazonaws.com/", "https://s3-eu-central-1.amazonaws.com",
        "https://bucket.vpce-0a1b2c3d-4e5f6a7b.s3.eu-central-1.vpce.amazonaws.com")) {
      assertThat(invalid("--s3-endpoint", endpoint)).as(endpoint).isEqualTo("--s3-endpoint " + endpoint + " is S3 in"
          + " eu-central-1, but --region is eu-west-1: S3 refuses requests signed for another region; pass --region"
          + " eu-central-1");
      assertThat(invalid("--s3-endpoint", endpoint, "--region", "eu-central-1")).as(endpoint).isNull();
    }
    assertThat(invalid("--s3-endpoint", "https://s3.us-east-1.amazonaws.com", "--region", "us-east-1"))
        .startsWith("region us-east-1 is outside the allowed regions");
    assertThat(invalid("--s3-endpoint", "http://127.0.0.1:9000")).as("not AWS: no region in its name").isNull();
    assertThat(invalid("--s3-endpoint", "https://minio.example.com")).isNull();
  }
}
