package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.Processes;
import io.p9.core.testing.RepoData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on stderr when {@code p9 run} fails on a file under {@code --handle-invalid error}, from a p9
 * started as the README starts it (its own JVM, Spark's logging as configured, the real stderr): one line naming
 * the file and the reason, where Spark's executor and scheduler used to log the failure first, some 90 lines with
 * three copies of the stack trace; with {@code --verbose}, those too.
 */
class RunFailureOutputTest {
  @TempDir Path tmp;
  private Path truncated;

  /** Four real photos and a JPEG cut short after 3,000 bytes, which cannot be decoded. */
  @BeforeEach
  void input() throws IOException {
    Path apple = Files.createDirectories(tmp.resolve("in/Apple"));
    List<Path> jpegs = RepoData.quickSampleSpread(5);
    for (int i = 0; i < 4; i++) {
      Files.copy(jpegs.get(i), apple.resolve(i + ".jpg"));
    }
    truncated = Files.write(apple.resolve("x.jpg"), Arrays.copyOf(Files.readAllBytes(jpegs.get(4)), 3000));
  }

  /** The outcome of one {@code p9 run}: its exit code and its stderr, line by line. */
  private record Outcome(int code, List<String> stderr) {}

  /** Runs {@code p9 run --handle-invalid error} on the input in a JVM of its own, as {@code mvn exec:exec} does. */
  private Outcome p9Run(String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-Xmx1g"));
    // this JVM's --add-opens, which Spark needs on Java 17
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> !a.startsWith("-Xm"))
        .forEach(cmd::add);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), P9Cli.class.getName(), "run", "--input",
        tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(), "--model",
        RepoData.mobilenet().toString(), "--handle-invalid", "error", "--master", "local[2]"));
    cmd.addAll(List.of(more));
    Path err = tmp.resolve("stderr");
    Process p = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("stdout").toFile()).redirectError(err.toFile())
        .start();
    try {
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("p9 run ended").isTrue();
    } finally {
      Processes.stop(p);
    }
    return new Outcome(p.exitValue(), Files.readAllLines(err, StandardCharsets.UTF_8));
  }

  @Test
  void aFileThatCannotBeDecodedIsOneLineOnStderrWithoutSparksStackTraces() throws Exception {
    Outcome o = p9Run();

    String stderr = String.join("\n", o.stderr());
    assertThat(o.code()).as(stderr).isEqualTo(1);
    assertThat(o.stderr()).as(stderr).filteredOn(l -> l.startsWith("p9: ")).singleElement().asString()
        .startsWith("p9: cannot decode file:" + truncated + ": TRUNCATED: ");
    assertThat(o.stderr().get(o.stderr().size() - 1)).startsWith("p9: ");
    assertThat(stderr).doesNotContain("\tat ", "Caused by:", "Exception in task", "Lost task", "aborting job",
        "Putting block");
  }

  @Test
  void withVerboseSparksLogOfTheFailedTaskAndTheStackTraceAreThereToo() throws Exception {
    Outcome o = p9Run("--verbose");

    String stderr = String.join("\n", o.stderr());
    assertThat(o.code()).as(stderr).isEqualTo(1);
    assertThat(stderr).contains("Exception in task", "Lost task", "aborting job", "\tat org.apache.spark.",
        "Caused by: " + io.p9.spark.ml.ImageLoader.ImageLoadException.class.getName() + ": cannot decode file:"
            + truncated);
    assertThat(o.stderr().get(o.stderr().size() - 1)).as(stderr)
        .startsWith("p9: cannot decode file:" + truncated + ": TRUNCATED: ");
  }
}
