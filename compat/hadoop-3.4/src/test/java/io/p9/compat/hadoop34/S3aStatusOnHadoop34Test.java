package io.p9.compat.hadoop34;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.RequestMethod;
import io.p9.aws.s3.S3aSettings;
import io.p9.aws.testing.AwsStub;
import io.p9.spark.ml.internal.S3aStatus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.RemoteFileChangedException;
import org.apache.hadoop.fs.s3a.S3AFileStatus;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.util.functional.FutureIO;
import org.junit.jupiter.api.Test;

/**
 * The S3A status that {@code ImageFiles}' tasks rebuild from a listed file's length, time and ETag, on hadoop-aws
 * 3.4: S3A opens the file with it without a HEAD request, and its change detection sends the listed ETag
 * ({@code If-Match}), so an object overwritten since the listing fails the read (which p9 then reads again as it
 * is now). The stub on 127.0.0.1 answers as S3 does.
 */
class S3aStatusOnHadoop34Test {
  private static final String ETAG = "\"9a0364b9e99bb480dd25e1f0284c8555\"";

  private static String read(FileSystem fs, Path path, FileStatus status) throws Exception {
    try (FSDataInputStream in = FutureIO.awaitFuture(fs.openFile(path).withFileStatus(status).build())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void s3aOpensTheRebuiltStatusWithoutAHeadAndChecksItsEtag() throws Exception {
    assertThat(VersionInfo.getVersion()).startsWith("3.4.");
    try (AwsStub stub = new AwsStub()) {
      stub.server.stubFor(get(urlPathEqualTo("/p9-bucket/a.jpg")).withHeader("If-Match", equalTo(ETAG))
          .willReturn(aResponse().withStatus(200).withHeader("ETag", ETAG).withHeader("Content-Length", "10")
              .withHeader("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT").withBody("0123456789")));
      stub.server.stubFor(get(urlPathEqualTo("/p9-bucket/a.jpg")).withHeader("If-Match", equalTo("\"old\""))
          .willReturn(aResponse().withStatus(412).withHeader("Content-Type", "application/xml")
              .withBody("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed</Code>"
                  + "<Message>At least one of the pre-conditions you specified did not hold</Message>"
                  + "<Condition>If-Match</Condition><RequestId>R1</RequestId><HostId>H1</HostId></Error>")));
      Configuration conf = new Configuration();
      S3aSettings.builder().endpoint(stub.endpoint()).pathStyle(true)
          .staticCredentials(AwsStub.ACCESS_KEY, AwsStub.SECRET_KEY, null).build().applyToHadoop(conf::set);
      Path path = new Path("s3a://p9-bucket/a.jpg");
      try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://p9-bucket/"), conf)) {
        assertThat(fs).isInstanceOf(S3AFileSystem.class);
        FileStatus listed = S3aStatus.of(fs, path, 10, 1_700_000_000_000L, ETAG, null);
        assertThat(listed).isInstanceOf(S3AFileStatus.class);
        assertThat(S3aStatus.etag(listed)).isEqualTo(ETAG);

        assertThat(read(fs, path, listed)).isEqualTo("0123456789");
        stub.server.verify(1, anyRequestedFor(anyUrl()));
        stub.server.verify(1, getRequestedFor(urlPathEqualTo("/p9-bucket/a.jpg")).withHeader("If-Match",
            equalTo(ETAG)));

        FileStatus overwritten = S3aStatus.of(fs, path, 10, 1_700_000_000_000L, "\"old\"", null);
        assertThatThrownBy(() -> read(fs, path, overwritten)).isInstanceOf(RemoteFileChangedException.class);
        assertThat(stub.server.getAllServeEvents()).extracting(e -> e.getRequest().getMethod())
            .containsOnly(RequestMethod.GET);
      }
    }
  }
}
