package io.p9.examples;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.AwsStub;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.util.VersionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code p9 run} on hadoop-aws 3.4 (here with Spark 3.5.6, as on emr-7.11.0 and later), whose S3A is built on the
 * AWS SDK v2, without the SDK v1 on the class path. The stub on 127.0.0.1 answers as S3 does.
 */
class S3OptionsOnHadoop34Test {
  @TempDir Path tmp;

  /** S3's 301 for a bucket of another region: the line says which option reaches it, as on hadoop-aws 3.3. */
  @Test
  void aBucketInAnotherRegionSaysWhichOptionReachesIt() {
    assertThat(VersionInfo.getVersion()).startsWith("3.4.");
    try (AwsStub stub = new AwsStub()) {
      stub.server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(301)
          .withHeader("x-amz-bucket-region", "eu-central-1").withHeader("Content-Type", "application/xml")
          .withBody("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The"
              + " bucket you are attempting to access must be addressed using the specified endpoint. Please send"
              + " all future requests to this endpoint.</Message><Endpoint>s3.eu-central-1.amazonaws.com"
              + "</Endpoint><Bucket>p9-far</Bucket><RequestId>R1</RequestId><HostId>H1</HostId></Error>")));
      PrintStream saved = System.err;
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code;
      try {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        code = new CommandLine(new P9Cli()).execute("run", "--input", "s3a://p9-far/fruits", "--output",
            tmp.resolve("out").toString(), "--master", "local[1]", "--s3-endpoint", stub.endpoint().toString(),
            "--s3-path-style", "--s3-credentials", "anonymous");
      } finally {
        System.setErr(saved);
      }

      String said = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(said).isEqualTo(2);
      assertThat(said.lines().filter(l -> l.startsWith("p9: "))).singleElement().asString().isEqualTo("p9: bucket"
          + " 'p9-far' is not in --region eu-west-1 (S3 answered 301 Moved Permanently: it is in eu-central-1); pass"
          + " --s3-bucket-region p9-far=eu-central-1");
      assertThat(said).doesNotContain("\tat ");
    }
  }
}
