package io.p9.aws.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-protocol server for tests: S3Proxy in its own JVM on 127.0.0.1, with AWS signature v2/v4
 * checking against fixed test keys, and its in-memory ("transient") jclouds back end. The filesystem back
 * end stalls 10 s on each delete of a folder marker whose folder is not empty (a jclouds retry loop), which
 * turns Spark's rename-based commit of a PipelineModel's metadata into minutes; its nio2 variant fails
 * S3A's folder renames. The protocol, signing, multipart uploads and S3A's code path are the same. Its class path comes from
 * {@code target/s3proxy.classpath} (system property {@code p9.s3proxy.classpath}), resolved at build time
 * from a separate POM so S3Proxy gets its own Jackson and Jetty, not Spark's. Always {@link #close()} it.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "p9-test-access";
  public static final String SECRET_KEY = "p9-test-secret-0123456789";

  private final Process process;
  private final int port;
  private final Path log;

  private S3ProxyServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts S3Proxy (config and log under {@code dir}); waits (60 s at most) until it listens. */
  public static S3ProxyServer start(Path dir) {
    String cp = Processes.classpathFile("p9.s3proxy.classpath",
        "build with Maven (the s3proxy-classpath execution of p9-aws / examples writes it)");
    try {
      int port = Processes.freePort();
      Path props = dir.resolve("s3proxy.properties");
      Files.writeString(props, String.join("\n",
          "s3proxy.endpoint=http://127.0.0.1:" + port,
          "s3proxy.authorization=aws-v2-or-v4",
          "s3proxy.identity=" + ACCESS_KEY,
          "s3proxy.credential=" + SECRET_KEY,
          "s3proxy.ignore-unknown-headers=true",
          "jclouds.provider=transient",
          "jclouds.identity=" + ACCESS_KEY,
          "jclouds.credential=" + SECRET_KEY, ""));
      Path log = dir.resolve("s3proxy.log");
      Path logback = dir.resolve("s3proxy-logback.xml");
      Files.writeString(logback, "<configuration><appender name=\"out\" class=\"ch.qos.logback.core.ConsoleAppender\">"
          + "<encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder></appender>"
          + "<root level=\"WARN\"><appender-ref ref=\"out\"/></root></configuration>");
      List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-Xmx256m", "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=" + logback, "-cp", cp, "org.gaul.s3proxy.Main", "--properties", props.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      S3ProxyServer s = new S3ProxyServer(p, port, log);
      try {
        Processes.await("S3Proxy on 127.0.0.1:" + port, Duration.ofSeconds(60), p, log, () -> Processes.listening(port));
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /**
   * A plain SDK client for test set-up (buckets, fixtures). It says us-east-1: the jclouds back ends
   * refuse location constraints, which the SDK adds to CreateBucket for any other region.
   */
  public S3Client setupClient() {
    return S3Client.builder().region(Region.US_EAST_1).endpointOverride(endpoint()).forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }

  /** Creates {@code bucket}. */
  public void createBucket(String bucket) {
    try (S3Client c = setupClient()) {
      c.createBucket(b -> b.bucket(bucket));
    }
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() {
    Processes.stop(process);
  }
}
