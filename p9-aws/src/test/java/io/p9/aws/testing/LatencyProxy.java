package io.p9.aws.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * A TCP forwarder on 127.0.0.1 (an ephemeral port) to a target host and port that gives each request a
 * round-trip latency: it waits {@code delay} before it forwards the first bytes of each response to the
 * client. A response is the server's bytes after the client sent bytes; so each HTTP request on a keep-alive
 * connection pays the delay once, however many reads its request and response take. It counts what it
 * forwards: {@link #connectionsOpened()}, {@link #requests()} and {@link #maxConcurrentRequests()}, the most
 * requests waiting for their response (sent by the client, their response not yet forwarded) at once, across
 * connections. Two threads a connection (daemons); the bytes pass unchanged, and a half-close
 * ({@code shutdownOutput}) of one side is passed on to the other. It can break responses as a flaky network
 * does: {@link #cutResponses} resets connections part-way through a response, {@link #stallResponses} holds
 * responses that then never come; {@link #faults()} counts them. Always {@link #close()} it.
 */
public final class LatencyProxy implements AutoCloseable {
  private static final int BUFFER = 64 * 1024;

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket listener;
  private final ExecutorService threads;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger waiting = new AtomicInteger();
  /** Notified whenever {@link #waiting} changes ({@link #awaitWaitingRequests}). */
  private final Object waitingChanged = new Object();
  private final AtomicInteger maxWaiting = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicInteger toCut = new AtomicInteger();
  private final AtomicInteger toStall = new AtomicInteger();
  private final AtomicInteger faults = new AtomicInteger();
  private volatile long cutAfter;
  private volatile long delayNanos;
  private volatile boolean closed;

  private LatencyProxy(String targetHost, int targetPort, Duration delay) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.delayNanos = delay.toNanos();
    this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "latency-proxy-" + listener.getLocalPort() + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts forwarding to {@code targetHost:targetPort}.
   *
   * @param targetHost the host to forward to
   * @param targetPort its port
   * @param delay the wait before the first bytes of each response (zero: none)
   * @return the running proxy
   */
  public static LatencyProxy start(String targetHost, int targetPort, Duration delay) {
    try {
      LatencyProxy p = new LatencyProxy(targetHost, targetPort, delay);
      p.threads.execute(p::accept);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts forwarding to the host and port of {@code endpoint} (e.g. {@link S3ProxyServer#endpoint()}). */
  public static LatencyProxy start(URI endpoint, Duration delay) {
    return start(endpoint.getHost(), endpoint.getPort(), delay);
  }

  /** {@return the port it listens on, on 127.0.0.1} */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@return {@code http://127.0.0.1:port}, an endpoint for clients} */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** Sets the wait before each response's first bytes, for requests sent from now on. */
  public void delay(Duration delay) {
    this.delayNanos = delay.toNanos();
  }

  /**
   * Cuts the next {@code n} responses longer than {@code afterBytes}: once a response has had its first
   * {@code afterBytes} bytes forwarded, the proxy resets its connection (an RST to the client, the server's side
   * closed), as a flaky network does. Responses already under way count too.
   *
   * @param n the responses to cut (0: none from now on)
   * @param afterBytes the bytes of each (its status line and headers included) that still go out, at least 0
   */
  public void cutResponses(int n, long afterBytes) {
    this.cutAfter = afterBytes;
    toCut.set(n);
  }

  /**
   * Holds the next {@code n} responses: none of their bytes goes out, as from a stalled server, until the client
   * closes or resets its connection (say, on its socket timeout) or the proxy closes; then the proxy closes the
   * connection. They count as waiting ({@link #waitingRequests()}) meanwhile.
   *
   * @param n the responses to hold (0: none from now on)
   */
  public void stallResponses(int n) {
    toStall.set(n);
  }

  /** {@return the responses cut or held ({@link #cutResponses}, {@link #stallResponses}) since the last reset} */
  public int faults() {
    return faults.get();
  }

  /** {@return the requests waiting for their response now (sent by the client, no byte of it forwarded yet)} */
  public int waitingRequests() {
    return waiting.get();
  }

  /**
   * Waits until the requests waiting for their response now satisfy {@code until}, at most {@code timeout}.
   *
   * @return whether they did
   */
  public boolean awaitWaitingRequests(IntPredicate until, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (waitingChanged) {
      while (!until.test(waiting.get())) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(waitingChanged, left);
      }
      return true;
    }
  }

  private void waitingChanged(int delta) {
    synchronized (waitingChanged) {
      maxWaiting.accumulateAndGet(waiting.addAndGet(delta), Math::max);
      waitingChanged.notifyAll();
    }
  }

  /** {@return the connections accepted since the start or the last {@link #reset()}} */
  public int connectionsOpened() {
    return connections.get();
  }

  /** {@return the requests (client bytes after a response, or first on a connection) since the last reset} */
  public long requests() {
    return requests.get();
  }

  /** {@return the most requests waiting for their response at once since the start or the last reset} */
  public int maxConcurrentRequests() {
    return maxWaiting.get();
  }

  /** Sets the counts to zero; the most waiting at once starts again from the requests waiting now. */
  public void reset() {
    connections.set(0);
    requests.set(0);
    faults.set(0);
    maxWaiting.set(waiting.get());
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    open.forEach(LatencyProxy::closeQuietly);
    threads.shutdownNow();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(client);
      connections.incrementAndGet();
      threads.execute(() -> connect(client));
    }
  }

  private void connect(Socket client) {
    Socket server = new Socket();
    open.add(server);
    try {
      server.connect(new InetSocketAddress(targetHost, targetPort), 10_000);
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
    } catch (IOException e) {
      closeBoth(client, server);
      return;
    }
    Connection c = new Connection(client, server);
    threads.execute(c::requests);
    c.responses();
  }

  /** One client's connection: its two pumps and whether a request of it waits for its response. */
  private final class Connection {
    private final Socket client;
    private final Socket server;
    /** Set by the request pump before it forwards a request's bytes, cleared once its response goes out. */
    private boolean pending;
    private int pumpsDone;
    /** The bytes of the current response forwarded so far (the response pump's own). */
    private long responseBytes;

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    /** Client to server: the first bytes after a response (or on a new connection) start a request. */
    void requests() {
      pump(client, server, n -> {
        started();
        return n;
      });
    }

    /**
     * Server to client: the first bytes after a request wait for the delay, then go out, unless the response is
     * to be held ({@link #stallResponses}) or, past its first bytes, cut ({@link #cutResponses}).
     */
    void responses() {
      try {
        pump(server, client, n -> {
          if (isPending()) {
            long d = delayNanos;
            if (d > 0) {
              Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
            }
            if (takeOne(toStall)) {
              awaitRequestsDone();
              return 0;
            }
            answered();
            responseBytes = 0;
          }
          long after = cutAfter;
          int out = n;
          if (responseBytes <= after && responseBytes + n > after && takeOne(toCut)) {
            out = (int) (after - responseBytes);
          }
          responseBytes += out;
          return out;
        });
      } finally {
        answered();
      }
    }

    /**
     * Forwards what {@code from} sends to {@code to}, as much of each chunk as {@code chunk} says, then its
     * half-close; where it says less than the chunk, it forwards that much and resets the connection. (Closing a
     * socket's stream would close the socket: a half-close must not end the other direction.)
     */
    private void pump(Socket from, Socket to, Chunk chunk) {
      byte[] buf = new byte[BUFFER];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        for (int n; (n = in.read(buf)) >= 0; ) {
          int m = chunk.forward(n);
          out.write(buf, 0, m);
          out.flush();
          if (m < n) {
            faults.incrementAndGet();
            client.setSoLinger(true, 0);
            closeBoth(client, server);
            return;
          }
        }
        to.shutdownOutput();
      } catch (IOException e) {
        closeBoth(client, server);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closeBoth(client, server);
      } finally {
        done();
      }
    }

    private synchronized boolean isPending() {
      return pending;
    }

    private synchronized void started() {
      if (!pending) {
        pending = true;
        requests.incrementAndGet();
        waitingChanged(1);
      }
    }

    private synchronized void answered() {
      if (pending) {
        pending = false;
        waitingChanged(-1);
      }
    }

    private synchronized void done() {
      notifyAll();
      if (++pumpsDone == 2) {
        closeBoth(client, server);
      }
    }

    /** Waits until the client's side ends (the request pump is done: the client closed or reset). */
    private synchronized void awaitRequestsDone() throws InterruptedException {
      while (pumpsDone == 0) {
        wait();
      }
    }
  }

  /** What a pump does with each chunk it read, before it forwards it. */
  private interface Chunk {
    /** {@return how many of the chunk's {@code n} bytes go out; fewer than {@code n}: the connection is reset} */
    int forward(int n) throws InterruptedException;
  }

  /** Takes one from {@code count} if it is positive. */
  private static boolean takeOne(AtomicInteger count) {
    return count.getAndUpdate(c -> Math.max(0, c - 1)) > 0;
  }

  private void closeBoth(Socket client, Socket server) {
    closeQuietly(client);
    closeQuietly(server);
    open.remove(client);
    open.remove(server);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
