package io.p9.aws.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * An SDK HTTP client on the JDK's {@link HttpClient} (HTTP/1.1), for the REST APIs that send {@code PATCH}, which
 * the SDK's {@code UrlConnectionHttpClient} cannot ({@link java.net.HttpURLConnection} refuses the method): EMR
 * Serverless's {@code UpdateApplication}. Request bodies are small JSON documents, sent with their length; the
 * headers the JDK sets itself ({@code Host}, {@code Content-Length}, ...) are left to it, with the same values.
 */
public final class JdkHttpClient implements SdkHttpClient {
  /** Headers {@link HttpRequest.Builder#header} refuses: the JDK writes them. */
  private static final Set<String> SET_BY_THE_JDK = Set.of("host", "content-length", "connection", "expect",
      "upgrade");

  private final HttpClient http;
  private final Duration responseTimeout;

  /**
   * A client that follows no redirects.
   *
   * @param connectTimeout how long connecting may take
   * @param responseTimeout how long a request may wait for the response headers
   */
  public JdkHttpClient(Duration connectTimeout, Duration responseTimeout) {
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    this.responseTimeout = responseTimeout;
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    SdkHttpRequest r = request.httpRequest();
    HttpRequest.Builder b = HttpRequest.newBuilder(r.getUri()).timeout(responseTimeout);
    r.forEachHeader((name, values) -> {
      if (!SET_BY_THE_JDK.contains(name.toLowerCase(Locale.ROOT))) {
        values.forEach(v -> b.header(name, v));
      }
    });
    byte[] body;
    try {
      body = request.contentStreamProvider().isPresent()
          ? request.contentStreamProvider().get().newStream().readAllBytes() : new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    b.method(r.method().name(), body.length == 0 && request.contentStreamProvider().isEmpty()
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpRequest jdkRequest = b.build();
    return new ExecutableHttpRequest() {
      private volatile CompletableFuture<HttpResponse<InputStream>> sent;

      @Override
      public HttpExecuteResponse call() throws IOException {
        sent = http.sendAsync(jdkRequest, HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
          response = sent.get();
        } catch (InterruptedException e) {
          sent.cancel(true);
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while calling " + r.getUri(), e);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        return HttpExecuteResponse.builder()
            .response(SdkHttpFullResponse.builder().statusCode(response.statusCode())
                .headers(response.headers().map()).build())
            .responseBody(AbortableInputStream.create(response.body()))
            .build();
      }

      @Override
      public void abort() {
        CompletableFuture<HttpResponse<InputStream>> f = sent;
        if (f != null) {
          f.cancel(true);
        }
      }
    };
  }

  @Override
  public String clientName() {
    return "JdkHttp";
  }

  @Override
  public void close() {
    // the JDK's client has no close before Java 21; its threads end when it is unreachable
  }
}
