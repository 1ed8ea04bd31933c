package io.p9.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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

  private static void git(Path dir, String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "git";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("git %s: %s", String.join(" ", args), out).isZero();
  }
}
