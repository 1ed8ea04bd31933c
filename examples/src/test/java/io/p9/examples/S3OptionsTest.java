package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

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
}
