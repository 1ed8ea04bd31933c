package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p9.core.model.FeatureModel;
import io.p9.core.model.ModelBackends;
import io.p9.core.model.ModelBytes;
import io.p9.core.model.ModelOptions;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How {@code main} ends: {@link P9Cli#end} with the system properties of each way p9 is started. */
class P9CliTest {
  private final List<Integer> exits = new ArrayList<>();

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  /** What YARN's ApplicationMaster sets before it calls main in cluster mode (the EMR step). */
  private static Properties yarnCluster() {
    return props("spark.master", "yarn", "spark.submit.deployMode", "cluster", "spark.yarn.app.id",
        "application_1_0001");
  }

  /** What {@code emr submit} and {@code serverless submit} check {@code --k} against without reading the model. */
  @Test
  void theBundledModelHasTheFeatureDimensionTheLaunchersCheckKAgainst() throws Exception {
    String resource = P9Cli.BUNDLED_MODEL.substring("classpath:".length());
    byte[] bytes;
    try (InputStream in = P9Cli.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      bytes = in.readAllBytes();
    }
    ModelBytes mb = ModelBytes.of("bundled.onnx", bytes);
    try (FeatureModel m = ModelBackends.select(ModelOptions.AUTO, mb).load(mb, ModelOptions.defaults())) {
      assertThat(m.info().featureDim()).isEqualTo(P9Cli.BUNDLED_FEATURE_DIM);
    }
  }

  /** The version the build gives the project (the parent POM's), not one written into the code. */
  @Test
  void versionIsTheProjectsVersion() throws Exception {
    Matcher m = Pattern.compile("<artifactId>p9-parent</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Path.of("..", "pom.xml")));
    assertThat(m.find()).as("the parent POM's version").isTrue();
    StringWriter out = new StringWriter();
    int code = new CommandLine(new P9Cli()).setOut(new PrintWriter(out)).execute("--version");
    assertThat(code).isZero();
    assertThat(out.toString().strip()).isEqualTo("p9 " + m.group(1));
  }

  /**
   * An argument the command line cannot parse (an unknown option, a value of the wrong type, a required option
   * missing) is one line on stderr, exit code 2, naming the help to read: it used to be followed by the whole help
   * of the command, over 100 lines for {@code run}, on stderr, where the message scrolled out of sight.
   */
  @Test
  void anArgumentThatCannotBeParsedIsOneLineNamingTheHelp() {
    String[][] cases = {
        {"p9: Unknown option: '--bogus' (see p9 run --help)", "run", "--bogus"},
        {"p9: Invalid value for option '--variance': 'abc' is not a double (see p9 run --help)", "run", "--variance",
            "abc"},
        {"p9: Missing required options: '--bucket=<bucket>', '--input=<input>' (see p9 emr submit --help)", "emr",
            "submit"},
        {"p9: Unmatched argument at index 1: 'bogus' (see p9 serverless --help)", "serverless", "bogus"}};
    for (String[] c : cases) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = P9Cli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
      assertThat(cli.execute(java.util.Arrays.copyOfRange(c, 1, c.length))).as(c[0]).isEqualTo(2);
      assertThat(err.toString()).as(c[0]).isEqualTo(c[0] + System.lineSeparator());
      assertThat(out.toString()).as(c[0]).isEmpty();
    }
  }

  @Test
  void plainJavaExitsWithTheCode() {
    P9Cli.end(0, null, props(), exits::add);
    P9Cli.end(2, null, props(), exits::add);
    assertThat(exits).containsExactly(0, 2);
  }

  @Test
  void insideYarnsApplicationMasterASuccessReturns() {
    P9Cli.end(0, null, yarnCluster(), exits::add);
    assertThat(exits).as("System.exit there marks the application FAILED (EXIT_EARLY)").isEmpty();
  }

  @Test
  void insideYarnsApplicationMasterAFailureThrowsWithItsCodeAndCause() {
    Exception cause = new FileNotFoundException("s3a://p9-bucket/nope");

    assertThatThrownBy(() -> P9Cli.end(1, cause, yarnCluster(), exits::add))
        .isInstanceOfSatisfying(P9Cli.Failed.class, f -> assertThat(f.exitCode()).isEqualTo(1))
        .hasMessage("p9 failed (exit code 1): java.io.FileNotFoundException: s3a://p9-bucket/nope")
        .hasCause(cause);
    assertThatThrownBy(() -> P9Cli.end(2, null, yarnCluster(), exits::add))
        .isInstanceOfSatisfying(P9Cli.Failed.class, f -> assertThat(f.exitCode()).isEqualTo(2))
        .hasMessage("p9 failed (exit code 2); its error is above");
    assertThat(exits).isEmpty();
  }

  /** An EMR step's stderr is a log file, read after the run: a failure's stack trace belongs there. */
  @Test
  void aFailuresDetailsArePrintedUnderVerboseAndInsideYarnsApplicationMaster() {
    assertThat(P9Cli.failureDetails(false, props())).isFalse();
    assertThat(P9Cli.failureDetails(false, props("spark.master", "yarn", "spark.submit.deployMode", "client")))
        .isFalse();
    assertThat(P9Cli.failureDetails(true, props())).isTrue();
    assertThat(P9Cli.failureDetails(false, yarnCluster())).isTrue();
  }

  @Test
  void underSparkSubmitInClientModeOrStandaloneClusterModeItExits() {
    // SparkSubmit in client mode and the standalone DriverWrapper take the exit code as the outcome, and
    // returning could leave the JVM waiting on a non-daemon thread.
    P9Cli.end(0, null, props("spark.master", "yarn", "spark.submit.deployMode", "client"), exits::add);
    P9Cli.end(1, null, props("spark.master", "local[*]"), exits::add);
    P9Cli.end(3, null, props("spark.master", "spark://127.0.0.1:7077", "spark.submit.deployMode", "cluster"),
        exits::add);
    assertThat(exits).containsExactly(0, 1, 3);
  }

  /** The p9 command line and every command under it, each once. */
  private static List<CommandLine> allCommands() {
    List<CommandLine> commands = new ArrayList<>(List.of(P9Cli.commandLine()));
    for (int i = 0; i < commands.size(); i++) {
      commands.addAll(commands.get(i).getSubcommands().values());
    }
    assertThat(commands).hasSizeGreaterThan(8);
    return commands;
  }

  /** Every option of every command says in its help what it is: none shows as a bare name. */
  @Test
  void everyOptionHasADescription() {
    List<String> bare = new ArrayList<>();
    for (CommandLine c : allCommands()) {
      c.getCommandSpec().options().stream().filter(o -> String.join("", o.description()).isBlank())
          .forEach(o -> bare.add(c.getCommandSpec().qualifiedName() + " " + o.longestName()));
    }
    assertThat(bare).isEmpty();
  }

  /**
   * The help of every command, rendered at 80 columns (a terminal's default width), splits no URI across lines:
   * picocli wraps with the JDK's line BreakIterator, which breaks after "s3:" before "//", and an
   * {@code s3://BUCKET/...} example used to come out as "s3:" at the end of one line and "//BUCKET/..." at the start
   * of the next.
   */
  @Test
  void noHelpAt80ColumnsSplitsAUri() {
    List<String> split = new ArrayList<>();
    for (CommandLine c : allCommands()) {
      List<String> lines = c.setUsageHelpWidth(80).getUsageMessage(CommandLine.Help.Ansi.OFF).lines().toList();
      for (int l = 0; l + 1 < lines.size(); l++) {
        String line = lines.get(l).stripTrailing();
        if (line.matches(".*\\b(s3a?|file|hdfs|https?):") || lines.get(l + 1).strip().startsWith("//")) {
          split.add(c.getCommandSpec().qualifiedName() + ": " + line.strip() + " | " + lines.get(l + 1).strip());
        }
      }
    }
    assertThat(split).isEmpty();
  }
}
