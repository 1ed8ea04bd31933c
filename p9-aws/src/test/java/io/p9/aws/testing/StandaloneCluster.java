package io.p9.aws.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Spark standalone cluster on 127.0.0.1 for benchmark (4) and the examples' executor-loss test: one master and
 * one worker, each its own JVM, as {@code start-master.sh} and {@code start-worker.sh} would start them. The worker launches executors
 * from {@code SPARK_HOME/jars}, so a temporary Spark home links every jar of this JVM's class path there;
 * directories on the class path (this module's classes) go to executors as
 * {@code spark.executor.extraClassPath} ({@link #executorClassPath()}).
 */
public final class StandaloneCluster implements AutoCloseable {
  private final Path home;
  private final List<Process> processes = new ArrayList<>();
  private final String masterUrl;

  private StandaloneCluster(Path home, int cores, String workerMemory) throws IOException {
    this.home = home;
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String e : classPath()) {
      Path p = Paths.get(e).toAbsolutePath();
      Path link = jars.resolve(p.getFileName());
      if (e.endsWith(".jar") && Files.isRegularFile(p) && !Files.exists(link)) {
        Files.createSymbolicLink(link, p);
      }
    }
    // INFO for the deploy classes: the readiness checks below read their log lines
    Files.writeString(home.resolve("log4j2.properties"), String.join("\n", "rootLogger.level = warn",
        "rootLogger.appenderRef.stdout.ref = console", "appender.console.type = Console",
        "appender.console.name = console", "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n",
        "logger.deploy.name = org.apache.spark.deploy", "logger.deploy.level = info", ""));
    int port = Processes.freePort();
    this.masterUrl = "spark://127.0.0.1:" + port;
    try {
      Process master = launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
          "--port", Integer.toString(port), "--webui-port", Integer.toString(Processes.freePort()));
      await("the Spark master", master, "master", "I have been elected leader");
      Process worker = launch("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
          "--cores", Integer.toString(cores), "--memory", workerMemory, "--webui-port",
          Integer.toString(Processes.freePort()), "--work-dir", home.resolve("work").toString(), masterUrl);
      await("the Spark worker", worker, "worker", "Successfully registered with master");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Starts a master and a worker offering {@code cores} cores and {@code workerMemory} (e.g. "3g").
   *
   * @param cores the worker's cores
   * @param workerMemory the memory the worker offers its executors
   * @return the running cluster
   */
  public static StandaloneCluster start(int cores, String workerMemory) {
    try {
      return new StandaloneCluster(Files.createTempDirectory("p9-standalone"), cores, workerMemory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@return the temporary Spark home (jars, logs, work dir), removed by {@link #close()}} */
  public Path home() {
    return home;
  }

  /** {@return the master's URL, {@code spark://127.0.0.1:port}} */
  public String masterUrl() {
    return masterUrl;
  }

  /**
   * {@return the JVM of the executor {@code id} (Spark's executor id) that the worker runs, if it runs one} Killing
   * it ({@link ProcessHandle#destroyForcibly()}) is an executor lost with its host, as a reclaimed spot instance.
   *
   * @param id the executor's id, as Spark's listener events and status tracker give it
   */
  public Optional<ProcessHandle> executor(String id) {
    return processes.stream().flatMap(Process::descendants).filter(p -> {
      List<String> args = List.of(p.info().arguments().orElse(new String[0]));
      int at = args.indexOf("--executor-id");
      return args.stream().anyMatch(a -> a.endsWith("CoarseGrainedExecutorBackend")) && at >= 0
          && at + 1 < args.size() && args.get(at + 1).equals(id);
    }).findFirst();
  }

  /** {@return the class path's directories, which {@code SPARK_HOME/jars} cannot hold} */
  public static String executorClassPath() {
    List<String> dirs = new ArrayList<>();
    for (String e : classPath()) {
      if (Files.isDirectory(Paths.get(e))) {
        dirs.add(Paths.get(e).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, dirs);
  }

  /** {@return the JVM flags Spark needs on Java 17 ({@code --add-opens} and friends), as this JVM got them} */
  public static List<String> moduleFlags() {
    List<String> flags = new ArrayList<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || a.startsWith("-Djdk.reflect.")) {
        flags.add(a);
      }
    }
    return flags;
  }

  private static List<String> classPath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
  }

  private Process launch(String name, String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Processes.java());
    cmd.add("-Xmx256m");
    cmd.add("-Dlog4j2.configurationFile=" + home.resolve("log4j2.properties"));
    cmd.addAll(moduleFlags());
    cmd.addAll(List.of("-cp", home.resolve("jars") + File.separator + "*", main));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(home.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Waits (90 s at most) until {@code name}'s log says {@code line}; fails with the log's tail. */
  private void await(String what, Process p, String name, String line) {
    Path log = home.resolve(name + ".log");
    Processes.await(what, Duration.ofSeconds(90), p, log, () -> Processes.tail(log, 100_000).contains(line));
  }

  /** Stops the worker and the master, then removes the Spark home. */
  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Processes.stop(processes.get(i));
    }
    processes.clear();
    Trees.delete(home);
  }
}
