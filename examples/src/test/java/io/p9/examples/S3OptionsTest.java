package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
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

  /**
   * hadoop-aws 3.3 sends a bucket's requests to {@code fs.s3a.endpoint}, signed for {@code fs.s3a.endpoint.region}
   * ({@code --region}'s); S3 answers those for a bucket of another region with a 301. A bucket named with
   * {@code --s3-bucket-region} gets its own region's, and the S3A connector builds that bucket's client for it
   * (initializing the file system sends no request: {@code fs.s3a.bucket.probe} is 0).
   */
  @Test
  void aBucketInAnotherRegionIsReachedThroughItsOwnRegion() throws Exception {
    String[] options = {"--region", "eu-west-1", "--s3-bucket-region", "p9-frankfurt=eu-central-1",
        "--s3-bucket-region", "p9.paris.example=EU-WEST-3"};
    Map<String, String> h = hadoop("s3a://p9-frankfurt/fruits", "s3a://p9-dublin/out",
        "s3a://p9.paris.example/m.onnx", options);

    assertThat(h).as("the region as checked; a dotted name still addressed by path")
        .containsEntry("fs.s3a.bucket.p9.paris.example.endpoint.region", "eu-west-3")
        .containsEntry("fs.s3a.bucket.p9.paris.example.path.style.access", "true");
    Configuration conf = new Configuration();
    h.forEach(conf::set);
    conf.setBoolean("fs.s3a.impl.disable.cache", true);
    for (Map.Entry<String, String> bucket : Map.of("p9-frankfurt", "eu-central-1", "p9.paris.example", "eu-west-3",
        "p9-dublin", "eu-west-1").entrySet()) {
      try (S3AFileSystem fs = (S3AFileSystem) FileSystem.newInstance(URI.create("s3a://" + bucket.getKey() + "/"),
          conf)) {
        assertThat(fs.getConf().get("fs.s3a.endpoint")).as(bucket.getKey())
            .isEqualTo("s3." + bucket.getValue() + ".amazonaws.com");
        assertThat(fs.getConf().get("fs.s3a.endpoint.region")).as(bucket.getKey()).isEqualTo(bucket.getValue());
        assertThat(fs.getAmazonS3ClientForTesting("its region").getRegionName()).as(bucket.getKey())
            .isEqualTo(bucket.getValue());
      }
    }
  }

  /** GDPR: a bucket's region is checked as {@code --region} is; a bucket is named without scheme or key. */
  @Test
  void bucketRegionsAreCheckedAgainstTheAllowedRegions() {
    assertThat(invalid("--s3-bucket-region", "p9-us=us-east-1")).startsWith("--s3-bucket-region p9-us=us-east-1:"
        + " region us-east-1 is outside the allowed regions [eu-central-1, ").endsWith("(EU only by default, for"
        + " GDPR); allow it explicitly (--allow-region us-east-1) only if the data may leave the EU");
    assertThat(invalid("--s3-bucket-region", "p9-us=us-east-1", "--allow-region", "us-east-1")).isNull();
    assertThat(invalid("--s3-bucket-region", "p9-x=frankfurt")).startsWith("--s3-bucket-region p9-x=frankfurt:"
        + " 'frankfurt' is not an AWS region name");
    assertThat(invalid("--s3-bucket-region", "p9-x=")).isEqualTo("--s3-bucket-region p9-x= names no region");
    assertThat(invalid("--s3-bucket-region", "s3a://p9-x=eu-central-1")).isEqualTo("--s3-bucket-region takes"
        + " BUCKET=REGION with a bucket name (no s3a://, no /), not 's3a://p9-x'");
    assertThat(invalid("--s3-bucket-region", "p9-x=eu-central-1", "--s3-endpoint",
        "https://s3.eu-west-1.amazonaws.com")).isEqualTo("--s3-bucket-region p9-x=eu-central-1: --s3-endpoint"
            + " https://s3.eu-west-1.amazonaws.com is S3 in eu-west-1, which refuses requests for a bucket in another"
            + " region");
    assertThat(invalid("--s3-bucket-region", "p9-x=eu-central-1", "--s3-endpoint", "http://127.0.0.1:9000"))
        .as("an S3-compatible store has all its buckets on its endpoint").isNull();
  }
}
