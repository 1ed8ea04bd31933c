package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.LatencyProxy;
import io.p9.aws.testing.S3ProxyServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.functional.FutureIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * What ends a read of an {@code s3a://} object whose response never comes (S3Proxy behind a {@link LatencyProxy}
 * that holds it), in hadoop-aws 3.3.4, as {@code ReadFiles} opens it: {@code openFile} with the listed status, then
 * a read, whose GET is sent from inside {@code S3AInputStream.read}, or {@code openFile} without a status, whose
 * HEAD is sent from inside {@code build()}. Closing the stream from another thread does not end it:
 * {@code S3AInputStream}'s {@code read} and {@code close} are both {@code synchronized}, so the close waits for the
 * read, which ends at the socket timeout ({@code fs.s3a.connection.timeout}); an interrupt does not end it either
 * (a platform thread's socket read does not see it). Closing the file system does: it shuts down its S3 client,
 * whose connection pool shuts down the connections in use, so each blocked socket read fails at once. The file
 * systems here are private instances ({@code fs.s3a.impl.disable.cache}), not the JVM's shared one.
 */
class S3aStalledReadIT {
  private static final String BUCKET = "p9-stalled";
  private static final String KEY = "stalled/b.bin";
  private static final int SIZE = 100_000;

  @TempDir
  static Path dir;
  private static S3ProxyServer server;
  private static LatencyProxy proxy;

  @BeforeAll
  static void start() throws IOException {
    server = S3ProxyServer.start(Files.createDirectories(dir.resolve("s3proxy")));
    server.createBucket(BUCKET);
    try (var s3 = server.setupClient()) {
      s3.putObject(r -> r.bucket(BUCKET).key(KEY), RequestBody.fromBytes(new byte[SIZE]));
    }
    proxy = LatencyProxy.start(server.endpoint(), Duration.ZERO);
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.closeAll(proxy, server);
  }

  @AfterEach
  void unstall() {
    proxy.stallResponses(0);
  }

  /**
   * A private S3A file system on the proxy that sends each request once (no SDK or S3A retries) and gives up on a
   * response after {@code timeout}.
   */
  private static FileSystem fileSystem(Duration timeout) throws IOException {
    Configuration conf = new Configuration();
    Fixtures.s3a(proxy.endpoint()).applyToHadoop(conf::set);
    conf.set("fs.s3a.connection.timeout", Long.toString(timeout.toMillis()));
    conf.set("fs.s3a.attempts.maximum", "0");
    conf.set("fs.s3a.retry.limit", "0");
    conf.setBoolean("fs.s3a.impl.disable.cache", true);
    return FileSystem.get(URI.create("s3a://" + BUCKET + "/"), conf);
  }

  private static org.apache.hadoop.fs.Path path() {
    return new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + KEY);
  }

  /** {@return the bytes the stream's first read gives, the stream closed by this thread afterwards} */
  private static int readOnce(FSDataInputStream in) throws IOException {
    try (in) {
      return in.read(new byte[SIZE], 0, SIZE);
    }
  }

  /** {@return the causes of {@code t}, from itself down} */
  private static List<Throwable> causes(Throwable t) {
    List<Throwable> all = new ArrayList<>();
    for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
      all.add(c);
    }
    return all;
  }

  /**
   * The stream opened with the listed status sends its GET from its first read; the response held, the read
   * blocks in its socket read. Its thread interrupted and the stream closed from another thread meanwhile, the read
   * still ends only at the socket timeout (5 s here): it fails with a {@link SocketTimeoutException}, not with a
   * closed socket or stream (the close waits for the stream's lock, which the read holds).
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void closingTheStreamFromAnotherThreadWaitsForTheStalledReadToTimeOut() throws Exception {
    try (FileSystem fs = fileSystem(Duration.ofSeconds(5))) {
      FileStatus listed = fs.getFileStatus(path());
      FSDataInputStream in = FutureIO.awaitFuture(fs.openFile(path()).withFileStatus(listed).build());
      proxy.reset();
      proxy.stallResponses(1);
      Reader read = new Reader(() -> in.read(new byte[SIZE], 0, SIZE));
      assertThat(proxy.awaitWaitingRequests(n -> n == 1, Duration.ofMinutes(1))).isTrue();

      read.thread.interrupt();
      in.close();

      Throwable failed = read.failure();
      assertThat(causes(failed)).as("the read's failure").anyMatch(SocketTimeoutException.class::isInstance);
      assertThat(proxy.awaitWaitingRequests(n -> n == 0, Duration.ofMinutes(1))).isTrue();
      assertThat(proxy.faults()).isEqualTo(1);
    }
  }

  /**
   * A read blocked on a held GET (its stream opened with the listed status) and an open blocked on a held HEAD
   * (no status given: there is no stream yet), the socket timeout 10 min: closing the file system from this thread
   * ends both at once, with a closed socket, and no request is left waiting at the proxy. (Each failing, rather
   * than giving bytes, shows that its response was held.)
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void closingTheFileSystemEndsAStalledReadAndAStalledOpenAtOnce() throws Exception {
    FileSystem fs = fileSystem(Duration.ofMinutes(10));
    List<Reader> stalled = new ArrayList<>();
    try {
      FileStatus listed = fs.getFileStatus(path());
      FSDataInputStream in = FutureIO.awaitFuture(fs.openFile(path()).withFileStatus(listed).build());
      proxy.reset();
      proxy.stallResponses(2);
      stalled.add(new Reader(() -> readOnce(in)));
      assertThat(proxy.awaitWaitingRequests(n -> n == 1, Duration.ofMinutes(1))).isTrue();
      stalled.add(new Reader(() -> readOnce(FutureIO.awaitFuture(fs.openFile(path()).build()))));
      assertThat(proxy.awaitWaitingRequests(n -> n == 2, Duration.ofMinutes(1))).isTrue();
    } finally {
      fs.close();
    }
    for (Reader r : stalled) {
      assertThat(causes(r.failure())).anyMatch(SocketException.class::isInstance)
          .noneMatch(SocketTimeoutException.class::isInstance);
    }
    assertThat(proxy.awaitWaitingRequests(n -> n == 0, Duration.ofMinutes(1))).isTrue();
  }

  /**
   * {@code openFile} without a status sends its HEAD on a thread of S3A's own ({@code s3a-transfer-unbounded-}),
   * and {@code build()}'s caller waits on its future: interrupted, the caller stops waiting at once, but the HEAD
   * goes on (10 min here), holding its thread and connection, until the file system is closed.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anInterruptedOpenStopsWaitingButItsHeadRequestGoesOn() throws Exception {
    FileSystem fs = fileSystem(Duration.ofMinutes(10));
    try {
      proxy.stallResponses(1);
      Reader open = new Reader(() -> readOnce(FutureIO.awaitFuture(fs.openFile(path()).build())));
      assertThat(proxy.awaitWaitingRequests(n -> n == 1, Duration.ofMinutes(1))).isTrue();
      assertThat(open.thread.getStackTrace()).noneMatch(f -> f.getClassName().startsWith("com.amazonaws."));

      open.thread.interrupt();

      assertThat(open.failure()).isInstanceOf(InterruptedIOException.class);
      assertThat(proxy.waitingRequests()).isEqualTo(1);
    } finally {
      fs.close();
    }
    assertThat(proxy.awaitWaitingRequests(n -> n == 0, Duration.ofMinutes(1))).isTrue();
  }

  /** A read on a thread of its own, started at once. */
  private static final class Reader {
    final Thread thread;
    private final CompletableFuture<Integer> result = new CompletableFuture<>();

    Reader(Callable<Integer> read) {
      thread = new Thread(() -> {
        try {
          result.complete(read.call());
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      }, "stalled-read");
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits (at most 2 min) for the read to end, and returns its failure; fails if it gave bytes. */
    Throwable failure() throws InterruptedException {
      try {
        Integer n = result.get(2, TimeUnit.MINUTES);
        throw new AssertionError("the stalled read gave " + n + " bytes");
      } catch (ExecutionException e) {
        return e.getCause();
      } catch (TimeoutException e) {
        throw new AssertionError("the stalled read did not end within 2 min", e);
      }
    }
  }
}
