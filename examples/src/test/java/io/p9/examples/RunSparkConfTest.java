package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code p9 run --spark-conf KEY=VALUE}: Spark settings for the run's SparkSession, repeatable, as
 * {@code emr submit} takes them: they override what p9 run sets by default, a key p9 run sets from its own options
 * is refused, and a bad {@code spark.p9.*} value is a configuration error naming the key.
 */
class RunSparkConfTest {
  @TempDir Path tmp;

  @BeforeEach
  @AfterEach
  void noSessionLeftOver() {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    ConfRecordingListener.clear();
  }

  /**
   * Each setting reaches the run's SparkContext and the session the job reads its settings from, over p9 run's
   * own defaults (its app name, 8 shuffle partitions), while the master stays --master's.
   */
  @Test
  void theSettingsReachTheRunningJob() {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    String[] err = new String[1];
    int code = RunCommandTest.run(err, "--input", tmp.resolve("in").toString(), "--output",
        tmp.resolve("out").toString(), "--model", Fixtures.model().toString(), "--k", "1", "--master", "local[1]",
        "--spark-conf", "spark.extraListeners=" + ConfRecordingListener.class.getName(),
        "--spark-conf", "spark.sql.shuffle.partitions=3", "--spark-conf", "spark.p9.read.concurrency=5",
        "--spark-conf", "spark.app.name=fruits-by-conf", "--spark-conf", "spark.p9.list.concurrency=2",
        "--spark-conf", "spark.p9.list.concurrency=4");

    assertThat(code).as(err[0]).isZero();
    Map<String, String> expected = Map.of("spark.master", "local[1]", "spark.app.name", "fruits-by-conf",
        "spark.sql.shuffle.partitions", "3", "spark.p9.read.concurrency", "5", "spark.p9.list.concurrency", "4");
    assertThat(ConfRecordingListener.CONTEXT).as("the SparkContext's conf").isEqualTo(expected);
    assertThat(ConfRecordingListener.SESSION).as("the session's conf as the job ran").isEqualTo(expected);
    assertThat(tmp.resolve("out/report.json")).exists();
  }

  /** A setting that is not KEY=VALUE is refused by the parser, in one line naming the help, as for emr submit. */
  @Test
  void aSettingThatIsNotKeyEqualsValueIsRefused() throws Exception {
    Path jar = Files.write(tmp.resolve("p9-job.jar"), new byte[] {1});
    for (String command : List.of("run", "emr submit")) {
      for (String bad : List.of("spark.sql.shuffle.partitions", "=3")) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        if (command.equals("run")) {
          args.addAll(List.of("--input", tmp.toString(), "--output", tmp.resolve("out").toString()));
        } else {
          args.addAll(List.of("--bucket", "p9-bucket", "--input", "s3://p9-bucket/in", "--jar", jar.toString(),
              "--dry-run"));
        }
        args.addAll(List.of("--spark-conf", bad));
        // the parser's error goes to the command line's stderr, p9 run's own to System.err
        StringWriter err = new StringWriter();
        PrintStream saved = System.err;
        ByteArrayOutputStream runErr = new ByteArrayOutputStream();
        int code;
        try {
          System.setErr(new PrintStream(runErr, true, StandardCharsets.UTF_8));
          code = P9Cli.commandLine().setOut(new PrintWriter(new StringWriter(), true))
              .setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        } finally {
          System.setErr(saved);
        }
        String said = err + runErr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(command + " " + bad + ": " + said).isEqualTo(2);
        assertThat(said).as(command + " " + bad).startsWith("p9: ").contains(bad).doesNotContain("\tat ")
            .isEqualTo(said.lines().findFirst().orElseThrow() + System.lineSeparator());
      }
    }
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * A key p9 run sets from its own options would contradict them: spark.master (--master) and, for a run on
   * s3a://, the S3A settings of --region and the --s3-* options (the region one among them, which the EU-only
   * region policy checks). Refused before Spark starts, naming the key.
   */
  @Test
  void aKeyThatP9RunSetsFromItsOptionsIsRefused() {
    String[][] cases = {
        {tmp.toString(), "spark.master=local[4]",
            "p9: --spark-conf spark.master: p9 run takes the master from --master"},
        {"s3a://p9-bucket/fruits", "spark.hadoop.fs.s3a.endpoint.region=us-east-1",
            "p9: --spark-conf spark.hadoop.fs.s3a.endpoint.region: p9 run sets it itself for s3a://, from --region"
                + " and the --s3-* options"},
        {"s3a://p9-bucket/fruits", "spark.hadoop.fs.s3a.connection.maximum=10",
            "p9: --spark-conf spark.hadoop.fs.s3a.connection.maximum: p9 run sets it itself for s3a://"}};
    for (String[] c : cases) {
      String[] err = new String[1];
      int code = RunCommandTest.run(err, "--input", c[0], "--output", tmp.resolve("out").toString(), "--spark-conf",
          c[1]);
      assertThat(code).as(c[1] + ": " + err[0]).isEqualTo(2);
      assertThat(err[0]).as(c[1]).startsWith(c[2]).doesNotContain("Exception");
    }
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * S3A settings that p9 run cannot make (a pool no larger than the threads) are still one line and exit code 2
   * with --spark-conf given, where the check of its keys against them would have thrown.
   */
  @Test
  void s3OptionsThatCannotBeMadeAreOneLineAlsoWithSettings() {
    String[] err = new String[1];
    int code = RunCommandTest.run(err, "--input", "s3a://p9-bucket/fruits", "--output", tmp.resolve("out").toString(),
        "--s3-max-connections", "8", "--s3-threads", "8", "--spark-conf", "spark.sql.shuffle.partitions=3");
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0]).startsWith("p9: maxConnections (8) must be larger than threads (8)")
        .doesNotContain("\tat ");
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
  }

  /**
   * A spark.p9.* value that the listing, the read or the featurizer refuses is a configuration error: exit code 2
   * and one line naming the key and the value, before any file is listed (it used to be exit code 1, "the job
   * failed").
   */
  @Test
  void aBadP9SettingIsAConfigurationErrorNamingTheKey() {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    String[][] cases = {
        {"spark.p9.read.concurrency=0", "p9: spark.p9.read.concurrency must be an integer of at least 1: 0"},
        {"spark.p9.list.concurrency=many", "p9: spark.p9.list.concurrency must be an integer of at least 1: many"},
        {"spark.p9.read.aheadBytes=-1k",
            "p9: spark.p9.read.aheadBytes must be a size of at least 1 byte (e.g. 64m): -1k"},
        {"spark.p9.modelCache.maxIdle=-1", "p9: spark.p9.modelCache.maxIdle must be an integer >= 0 but was '-1'"}};
    for (String[] c : cases) {
      String[] err = new String[1];
      int code = RunCommandTest.run(err, "--input", tmp.resolve("in").toString(), "--output",
          tmp.resolve("out").toString(), "--model", Fixtures.model().toString(), "--master", "local[1]",
          "--spark-conf", c[0]);
      assertThat(code).as(c[0] + ": " + err[0]).isEqualTo(2);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
          .isEqualTo(c[1]);
      assertThat(err[0]).as(c[0]).doesNotContain("\tat ");
    }
    assertThat(tmp.resolve("out")).doesNotExist();
  }
}
