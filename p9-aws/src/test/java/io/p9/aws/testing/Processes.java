package io.p9.aws.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Child processes for tests: the current JVM's java, free loopback ports, bounded waits, log tails. */
public final class Processes {
  private Processes() {}

  public static String java() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A port free on 127.0.0.1 right now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Waits until {@code condition} holds, checking every 200 ms; fails with {@code what} and the log tail
   * if {@code timeout} passes or {@code process} dies first.
   */
  public static void await(String what, Duration timeout, Process process, Path log, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(what + ": the process exited with " + process.exitValue() + "\n" + tail(log, 4000));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": not within " + timeout + "\n" + tail(log, 4000));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(what + ": interrupted", e);
      }
    }
  }

  /** Ends {@code p} and its children: politely, then forcibly after 10 s. */
  public static void stop(Process p) {
    if (p == null) {
      return;
    }
    List<ProcessHandle> descendants = p.descendants().toList();
    descendants.forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
      // a child (e.g. a Spark worker's executor) may still be writing into a folder the caller removes next
      for (ProcessHandle d : descendants) {
        d.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      descendants.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** The last {@code chars} characters of a log file, or a note that there is none. */
  public static String tail(Path log, int chars) {
    if (log == null || !Files.exists(log)) {
      return "(no log)";
    }
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() <= chars ? s : "..." + s.substring(s.length() - chars);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** The class path in a file written by maven-dependency-plugin's build-classpath, checked. */
  public static String classpathFile(String property, String hint) {
    String f = System.getProperty(property);
    if (f == null || !Files.isRegularFile(Paths.get(f))) {
      throw new IllegalStateException("no class path file (" + property + "=" + f + "): " + hint);
    }
    try {
      String cp = Files.readString(Paths.get(f)).trim();
      for (String e : List.of(cp.split(java.io.File.pathSeparator))) {
        if (!Files.exists(Paths.get(e))) {
          throw new IllegalStateException("class path entry missing: " + e + " (from " + f + ")");
        }
      }
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
