package io.p9.examples;

import static io.p9.examples.RunCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code p9 run} with a {@code --model} on S3 (S3Proxy on 127.0.0.1, the real S3A connector) that does not
 * exist or cannot be read: exit code 2 and one line naming the model, as for a local one.
 */
class RunModelOnS3IT {
  @TempDir
  Path dir;
  private final Map<String, String> saved = new HashMap<>();

  private void setProperty(String k, String v) {
    saved.putIfAbsent(k, System.getProperty(k));
    System.setProperty(k, v);
  }

  @AfterEach
  void restore() {
    saved.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  @Test
  void aModelOnS3ThatIsMissingOrCannotBeReadIsAConfigurationError() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
        S3Client s3 = server.setupClient()) {
      server.createBucket("p9-models");
      s3.putObject(b -> b.bucket("p9-models").key("m.onnx"), RequestBody.fromFile(Fixtures.model()));
      Fixtures.subset(dir.resolve("in"), 1, 2);
      setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
      String[][] cases = {
          // model URI, secret key, how the one line starts, the reason in it
          {"s3a://p9-models/no-such.onnx", S3ProxyServer.SECRET_KEY, "p9: cannot use s3a://p9-models/no-such.onnx: ",
              "No such file or directory"},
          {"s3a://p9-no-such-bucket/m.onnx", S3ProxyServer.SECRET_KEY,
              "p9: cannot use s3a://p9-no-such-bucket/m.onnx: ", "The specified bucket does not exist"},
          {"s3a://p9-models/m.onnx", "not-the-secret", "p9: cannot use s3a://p9-models/m.onnx: ", "403 Forbidden"}};
      for (String[] c : cases) {
        setProperty("aws.secretKey", c[1]);
        String[] err = new String[1];
        int code = run(err, "--input", dir.resolve("in").toString(), "--output", dir.resolve("out").toString(),
            "--model", c[0], "--master", "local[1]", "--s3-endpoint", server.endpoint().toString(),
            "--s3-path-style");
        assertThat(code).as(c[0] + ": " + err[0]).isEqualTo(2);
        assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(c[0]).singleElement().asString()
            .startsWith(c[2]).contains(c[3]);
        assertThat(err[0]).as(c[0]).doesNotContain("\tat ");
      }
      assertThat(dir.resolve("out")).doesNotExist();
    }
  }
}
