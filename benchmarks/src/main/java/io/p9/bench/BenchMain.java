package io.p9.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs JMH and writes {@code target/benchmarks/<time>.json}: a header (CPU, cores, JVM, commit) and one
 * record per result with images/s where the benchmark has a batch or image count. {@code --smoke} runs
 * every benchmark once on tiny inputs (CI); any other arguments are JMH's own.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    Collection<RunResult> results = new ArrayList<>();
    if (args.length > 0 && "--smoke".equals(args[0])) {
      results.addAll(new Runner(smoke()).run());
      results.addAll(new Runner(smokeStandalone()).run());
    } else {
      CommandLineOptions options = new CommandLineOptions(args);
      if (listedOnly(options)) {
        return;
      }
      results.addAll(new Runner(options).run());
    }
    Path out = write(results);
    System.out.println("p9 benchmark results: " + out);
  }

  /** JMH's list and help options (-l, -lp, -lprof, -lrf, -h) answer as JMH's own Main does, running nothing. */
  static boolean listedOnly(CommandLineOptions options) throws Exception {
    if (options.shouldHelp()) {
      options.showHelp();
    } else if (options.shouldList()) {
      new Runner(options).list();
    } else if (options.shouldListWithParams()) {
      new Runner(options).listWithParams(options);
    } else if (options.shouldListProfilers()) {
      options.listProfilers();
    } else if (options.shouldListResultFormats()) {
      options.listResultFormats();
    } else {
      return false;
    }
    return true;
  }

  /** Every benchmark, one short iteration, small inputs: proves they run, measures nothing. */
  static Options smoke() {
    return smokeOptions().include("io\\.p9\\.bench\\..*").build();
  }

  /** The pipeline once more, on a standalone cluster (its own master, worker and executor JVMs). */
  static Options smokeStandalone() {
    return smokeOptions().include("io\\.p9\\.bench\\.SparkPipelineBenchmark\\.p9$")
        .param("master", "standalone").build();
  }

  /** Fails on the first benchmark that throws: JMH's default logs the error and goes on, exit status 0. */
  static ChainedOptionsBuilder smokeOptions() {
    return new OptionsBuilder().forks(1).shouldFailOnError(true)
        .warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.seconds(1))
        .param("model", "int8").param("batch", "4").param("intraOpThreads", "1")
        .param("images", "16").param("replicate", "1").param("rows", "300").param("dim", "64")
        .param("image", "fruit").param("network", "fruits_cnn").param("input", "fruit")
        // S3ReadBenchmark: each trial starts S3Proxy and Spark (about 20 s on 2 cores); with latency, both
        // concurrencies (the task's own thread and the read-ahead pool)
        .param("latencyMs", "20");
  }

  static Path write(Collection<RunResult> results) throws Exception {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    ObjectNode header = root.putObject("header");
    header.put("time", Instant.now().toString());
    header.put("cpu", cpuModel());
    header.put("cores", Runtime.getRuntime().availableProcessors());
    header.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    header.put("commit", commit());
    ArrayNode list = root.putArray("results");
    for (RunResult r : results) {
      var p = r.getParams();
      ObjectNode n = list.addObject();
      n.put("benchmark", p.getBenchmark());
      n.put("mode", p.getMode().shortLabel());
      n.put("threads", p.getThreads());
      ObjectNode params = n.putObject("params");
      for (String k : p.getParamsKeys()) {
        params.put(k, p.getParam(k));
      }
      double score = r.getPrimaryResult().getScore();
      n.put("score", score);
      n.put("error", r.getPrimaryResult().getScoreError());
      n.put("unit", r.getPrimaryResult().getScoreUnit());
      Double ips = imagesPerSecond(p.getParamsKeys(), p::getParam, p.getMode().shortLabel(), score,
          r.getPrimaryResult().getScoreUnit());
      if (ips != null) {
        n.put("imagesPerSecond", ips);
      }
    }
    Path dir = Files.createDirectories(Paths.get("benchmarks/target/benchmarks"));
    Path out = dir.resolve(Instant.now().toString().replace(':', '-') + ".json");
    json.writeValue(out.toFile(), root);
    return out;
  }

  /**
   * thrpt with a batch: score x batch; single-shot with an image count: images x replicate / score; either
   * converted from the score's unit ({@code ops/ms}, {@code ms/op}, ... with {@code -tu}) to seconds.
   */
  static Double imagesPerSecond(Collection<String> keys, java.util.function.Function<String, String> param,
      String mode, double score, String unit) {
    if ("thrpt".equals(mode) && keys.contains("batch") && !keys.contains("images") && unit.startsWith("ops/")) {
      double ips = score / seconds(unit.substring("ops/".length())) * Integer.parseInt(param.apply("batch"));
      return Double.isNaN(ips) ? null : ips;
    }
    if ("ss".equals(mode) && keys.contains("images") && unit.endsWith("/op")) {
      int rep = keys.contains("replicate") ? Integer.parseInt(param.apply("replicate")) : 1;
      double ips = Integer.parseInt(param.apply("images")) * rep / (score * seconds(unit.substring(0,
          unit.length() - "/op".length())));
      return Double.isNaN(ips) ? null : ips;
    }
    return null;
  }

  /** Seconds in one of JMH's time unit labels. */
  private static double seconds(String label) {
    return switch (label) {
      case "ns" -> 1e-9;
      case "us" -> 1e-6;
      case "ms" -> 1e-3;
      case "s" -> 1;
      case "min" -> 60;
      case "hr" -> 3600;
      case "day" -> 86400;
      default -> Double.NaN; // JMH writes "?" for a unit it has no label for
    };
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (Exception e) {
      return System.getProperty("os.arch");
    }
    return System.getProperty("os.arch");
  }

  /** The current directory's commit; see {@link #commit(Path)}. */
  static String commit() {
    return commit(Paths.get("").toAbsolutePath());
  }

  /**
   * HEAD's short hash, with {@code -dirty} appended when the work tree differs from it (changed, staged or
   * untracked files that git does not ignore): the numbers then come from code that no commit holds.
   */
  static String commit(Path dir) {
    String head = git(dir, "rev-parse", "--short", "HEAD");
    if (head == null) {
      return "unknown";
    }
    String status = git(dir, "status", "--porcelain");
    return status == null ? head + "-unknown" : status.isEmpty() ? head : head + "-dirty";
  }

  /** git's trimmed output in {@code dir}, or null if it fails. */
  private static String git(Path dir, String... args) {
    try {
      String[] cmd = new String[args.length + 1];
      cmd[0] = "git";
      System.arraycopy(args, 0, cmd, 1, args.length);
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes()).trim();
      return p.waitFor() == 0 ? s : null;
    } catch (Exception e) {
      return null;
    }
  }
}
