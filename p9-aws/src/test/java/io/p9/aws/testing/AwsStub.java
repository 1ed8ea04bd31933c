package io.p9.aws.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.Extension;
import io.p9.aws.AwsSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A WireMock HTTP server on 127.0.0.1 standing in for the AWS endpoints (EMR's JSON protocol, EMR
 * Serverless's REST-JSON, S3 path-style), and client settings pointing at it with fake static keys.
 */
public final class AwsStub implements AutoCloseable {
  public static final String ACCESS_KEY = "AKIAP9FAKETESTKEY000";
  public static final String SECRET_KEY = "p9/fake/secret/key/never/valid/anywhere00";
  public static final ObjectMapper JSON = new ObjectMapper();

  public final WireMockServer server;

  public AwsStub() {
    this(new Extension[0]);
  }

  /** With WireMock {@code extensions}, e.g. a listener that acts on the files between two calls. */
  public AwsStub(Extension... extensions) {
    server = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort()
        .containerThreads(8).extensions(extensions));
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.port());
  }

  /** Region eu-west-1, fake keys, this endpoint, fast retries. */
  public AwsSettings.Builder settings() {
    return AwsSettings.builder().region("eu-west-1").endpoint(endpoint())
        .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .retryBaseDelay(Duration.ofMillis(5)).maxAttempts(4);
  }

  public static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] gzip(String text) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      try (GZIPOutputStream g = new GZIPOutputStream(b)) {
        g.write(text.getBytes(StandardCharsets.UTF_8));
      }
      return b.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }
}
