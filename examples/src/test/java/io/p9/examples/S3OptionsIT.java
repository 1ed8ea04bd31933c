package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.S3ProxyServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code p9 run}'s S3A settings through the real S3A connector against S3Proxy on 127.0.0.1. */
class S3OptionsIT {
  @TempDir
  Path dir;

  /**
   * A bucket named with dots is read by path even though {@code --s3-path-style} is not given: the
   * per-bucket setting reaches S3A (addressed as a sub-domain, {@code p9.dotted.fruits.localhost}, it
   * could not be reached at all; on AWS, over TLS, S3's certificate would not match it).
   */
  @Test
  void aBucketNamedWithDotsIsReadByPath() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
        S3Client s3 = server.setupClient()) {
      server.createBucket("p9.dotted.fruits");
      s3.putObject(b -> b.bucket("p9.dotted.fruits").key("fruits/Apple/a.jpg"), RequestBody.fromString("jpeg"));
      S3Options options = new S3Options();
      // by name: the AWS SDK v1 addresses buckets by path by itself for an IP address endpoint
      URI endpoint = URI.create(server.endpoint().toString().replace("127.0.0.1", "localhost"));
      new CommandLine(options).parseArgs("--s3-endpoint", endpoint.toString());
      Configuration conf = new Configuration();
      options.settings("s3a://p9.dotted.fruits/fruits", "target/out", P9Cli.BUNDLED_MODEL).applyToHadoop(conf::set);
      conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
      conf.set("fs.s3a.access.key", S3ProxyServer.ACCESS_KEY);
      conf.set("fs.s3a.secret.key", S3ProxyServer.SECRET_KEY);
      conf.set("fs.s3a.attempts.maximum", "1");
      conf.set("fs.s3a.retry.limit", "1");
      conf.setBoolean("fs.s3a.impl.disable.cache", true);

      try (FileSystem fs = FileSystem.get(URI.create("s3a://p9.dotted.fruits/"), conf)) {
        FileStatus[] listed = fs.listStatus(new org.apache.hadoop.fs.Path("s3a://p9.dotted.fruits/fruits/Apple"));
        assertThat(Arrays.stream(listed).map(f -> f.getPath().getName())).containsExactly("a.jpg");
      }
    }
  }
}
