package io.p9.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;

class BenchMainTest {

  @Test
  void smokeRunFailsWhenABenchmarkThrows() {
    var options = BenchMain.smokeOptions().include(ThrowingBenchmark.class.getName() + "\\.fails$").build();
    assertThatThrownBy(() -> new Runner(options).run()).isInstanceOf(RunnerException.class);
  }

  @Test
  void commitOfAChangedTreeSaysDirty(@TempDir Path repo) throws Exception {
    git(repo, "init", "-q");
    Files.writeString(repo.resolve("Code.java"), "class Code {}\n");
    git(repo, "add", "Code.java");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "c");
    String clean = BenchMain.commit(repo);
    assertThat(clean).matches("[0-9a-f]{7,}");

    Files.writeString(repo.resolve("Code.java"), "class Code { int changed; }\n");
    assertThat(BenchMain.commit(repo)).isEqualTo(clean + "-dirty");

    git(repo, "checkout", "-q", "Code.java");
    Files.writeString(repo.resolve("New.java"), "class New {}\n");
    assertThat(BenchMain.commit(repo)).isEqualTo(clean + "-dirty");
  }

  @Test
  void imagesPerSecondFollowsTheScoreUnit() {
    Map<String, String> batch8 = Map.of("batch", "8");
    assertThat(BenchMain.imagesPerSecond(List.of("batch"), batch8::get, "thrpt", 75.6, "ops/s"))
        .isCloseTo(604.8, within(1e-6));
    // -tu ms: the same run scores 0.0756 ops/ms
    assertThat(BenchMain.imagesPerSecond(List.of("batch"), batch8::get, "thrpt", 0.0756, "ops/ms"))
        .isCloseTo(604.8, within(1e-6));
    assertThat(BenchMain.imagesPerSecond(List.of("batch"), batch8::get, "thrpt", 4536, "ops/min"))
        .isCloseTo(604.8, within(1e-6));

    Map<String, String> pass = Map.of("images", "1920", "replicate", "4");
    assertThat(BenchMain.imagesPerSecond(List.of("images", "replicate"), pass::get, "ss", 14.4, "s/op"))
        .isCloseTo(533.33, within(0.01));
    // -tu ms: the same pass scores 14,400 ms/op
    assertThat(BenchMain.imagesPerSecond(List.of("images", "replicate"), pass::get, "ss", 14_400, "ms/op"))
        .isCloseTo(533.33, within(0.01));
    assertThat(BenchMain.imagesPerSecond(List.of("batch"), batch8::get, "thrpt", 75.6, "ops/?")).isNull();
  }

  @Test
  void listOptionListsInsteadOfRunning() throws Exception {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      BenchMain.main(new String[] {"-l", ThrowingBenchmark.class.getName()});
    } finally {
      System.setOut(stdout);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("io.p9.bench.ThrowingBenchmark.fails")
        .doesNotContain("# Benchmark:").doesNotContain("p9 benchmark results");
  }

  private static void git(Path dir, String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "git";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("git %s: %s", String.join(" ", args), out).isZero();
  }
}
