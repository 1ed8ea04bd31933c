package io.p9.aws.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LatencyProxy} in front of tiny loopback servers: an echo server (the bytes, both ways) and a line
 * server that answers each line with one line, optionally holding every answer until a number of lines have
 * arrived across its connections (requests waiting at once, without timing).
 */
class LatencyProxyTest {
  private static final Duration DELAY = Duration.ofMillis(2);

  @Test
  void forwardsEveryByteBothWaysAndPassesOnAHalfClose() throws Exception {
    byte[] sent = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(sent);
    try (Server echo = new Server(s -> {
      try {
        s.getInputStream().transferTo(s.getOutputStream());
        s.shutdownOutput();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }); LatencyProxy proxy = LatencyProxy.start("127.0.0.1", echo.port(), DELAY);
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = client.getOutputStream();
          for (int off = 0; off < sent.length; off += 4000) {
            out.write(sent, off, Math.min(4000, sent.length - off));
          }
          client.shutdownOutput();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      // EOF comes only if the proxy passed the client's half-close to the server and the server's back
      byte[] received = client.getInputStream().readAllBytes();
      writer.get(30, TimeUnit.SECONDS);
      assertThat(received).isEqualTo(sent);
      assertThat(proxy.connectionsOpened()).isEqualTo(1);
      assertThat(proxy.requests()).isPositive();
    }
  }

  @Test
  void countsEachRequestOnAKeepAliveConnectionOnce() throws Exception {
    try (Server lines = lineServer(new CountDownLatch(0));
        LatencyProxy proxy = LatencyProxy.start("127.0.0.1", lines.port(), DELAY);
        Client c = new Client(proxy)) {
      assertThat(c.ask("a")).isEqualTo("re:a");
      assertThat(c.ask("b".repeat(200_000))).isEqualTo("re:" + "b".repeat(200_000));
      assertThat(c.ask("c")).isEqualTo("re:c");
      assertThat(proxy.requests()).isEqualTo(3);
      assertThat(proxy.connectionsOpened()).isEqualTo(1);
      assertThat(proxy.maxConcurrentRequests()).isEqualTo(1);

      proxy.reset();
      assertThat(proxy.requests()).isZero();
      assertThat(proxy.connectionsOpened()).isZero();
      assertThat(proxy.maxConcurrentRequests()).isZero();
      try (Client d = new Client(proxy)) {
        assertThat(d.ask("d")).isEqualTo("re:d");
        assertThat(c.ask("e")).isEqualTo("re:e");
      }
      assertThat(proxy.requests()).isEqualTo(2);
      assertThat(proxy.connectionsOpened()).isEqualTo(1);
      assertThat(proxy.maxConcurrentRequests()).isEqualTo(1);
    }
  }

  @Test
  void countsTheRequestsWaitingAtOnceAcrossConnections() throws Exception {
    int n = 5;
    // the server answers none of the n requests before it has all n: the proxy sees n waiting at once
    try (Server lines = lineServer(new CountDownLatch(n));
        LatencyProxy proxy = LatencyProxy.start("127.0.0.1", lines.port(), Duration.ZERO)) {
      List<Client> clients = new ArrayList<>();
      List<CompletableFuture<String>> answers = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          Client c = new Client(proxy);
          clients.add(c);
          String q = "q" + i;
          answers.add(CompletableFuture.supplyAsync(() -> c.ask(q)));
        }
        for (int i = 0; i < n; i++) {
          assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("re:q" + i);
        }
        assertThat(proxy.maxConcurrentRequests()).isEqualTo(n);
        assertThat(proxy.requests()).isEqualTo(n);
        assertThat(proxy.connectionsOpened()).isEqualTo(n);

        proxy.reset();
        for (Client c : clients) {
          assertThat(c.ask("again")).isEqualTo("re:again");
        }
        assertThat(proxy.maxConcurrentRequests()).isEqualTo(1);
        assertThat(proxy.requests()).isEqualTo(n);
        assertThat(proxy.connectionsOpened()).isZero();
      } finally {
        for (Client c : clients) {
          c.close();
        }
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void cutsTheNextResponsesLongerThanTheBytesGivenPartWay() throws Exception {
    String longLine = "b".repeat(100_000);
    try (Server lines = lineServer(new CountDownLatch(0));
        LatencyProxy proxy = LatencyProxy.start("127.0.0.1", lines.port(), DELAY)) {
      proxy.cutResponses(2, 1000);
      try (Client c = new Client(proxy)) {
        // a short answer is not cut (nor counted)
        assertThat(c.ask("a")).isEqualTo("re:a");
        assertThat(c.received(longLine)).isBetween(0, 1000);
      }
      try (Client c = new Client(proxy)) {
        assertThat(c.received(longLine)).isBetween(0, 1000);
      }
      try (Client c = new Client(proxy)) {
        assertThat(c.ask(longLine)).isEqualTo("re:" + longLine);
      }
      assertThat(proxy.faults()).isEqualTo(2);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void holdsTheNextResponsesUntilTheClientGoes() throws Exception {
    try (Server lines = lineServer(new CountDownLatch(0));
        LatencyProxy proxy = LatencyProxy.start("127.0.0.1", lines.port(), Duration.ZERO)) {
      proxy.stallResponses(1);
      Client held = new Client(proxy);
      CompletableFuture<Integer> answer = CompletableFuture.supplyAsync(() -> held.received("a"));
      proxy.awaitWaitingRequests(n -> n > 0, Duration.ofSeconds(30));
      try (Client c = new Client(proxy)) {
        assertThat(c.ask("b")).isEqualTo("re:b");
      }
      assertThat(answer).isNotDone();
      assertThat(proxy.waitingRequests()).isEqualTo(1);
      held.close();
      // the proxy lets the held response go once the client has gone: nothing of it came out
      assertThat(answer.get(30, TimeUnit.SECONDS)).isZero();
      proxy.awaitWaitingRequests(n -> n == 0, Duration.ofSeconds(30));
      assertThat(proxy.faults()).isEqualTo(1);
      try (Client c = new Client(proxy)) {
        assertThat(c.ask("c")).isEqualTo("re:c");
      }
    }
  }

  /** Answers each line {@code x} with {@code re:x}, each first line not before {@code gate} is down. */
  private static Server lineServer(CountDownLatch gate) {
    return new Server(s -> {
      try {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8);
        boolean first = true;
        for (String line; (line = in.readLine()) != null; ) {
          if (first) {
            gate.countDown();
            if (!gate.await(30, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the other requests did not arrive");
            }
            first = false;
          }
          out.write("re:" + line + "\n");
          out.flush();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** A client of the line server through the proxy: one connection, one line out and one back per call. */
  private static final class Client implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final Writer out;

    Client(LatencyProxy proxy) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
    }

    String ask(String line) {
      try {
        out.write(line + "\n");
        out.flush();
        return in.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Sends a line; {@return the bytes of the answer received before the end of the stream or an error} */
    int received(String line) {
      int n = 0;
      try {
        out.write(line + "\n");
        out.flush();
        while (in.read() >= 0) {
          n++;
        }
      } catch (IOException e) {
        // reset, or closed here
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A loopback server handing each connection to {@code handler} on its own thread. */
  private static final class Server implements AutoCloseable {
    private final ServerSocket listener;

    Server(Consumer<Socket> handler) {
      try {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread acceptor = new Thread(() -> {
        while (!listener.isClosed()) {
          try {
            Socket s = listener.accept();
            Thread t = new Thread(() -> {
              try (s) {
                handler.accept(s);
              } catch (IOException | RuntimeException e) {
                // the client went away
              }
            });
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }
}
