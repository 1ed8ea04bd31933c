package io.p9.examples;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.p9.aws.testing.AwsStub;
import io.p9.spark.ml.testing.LogCapture;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code p9 run}: a configuration error is exit code 2 and one line, as the README's exit codes say. */
class RunCommandTest {
  @TempDir Path tmp;

  /**
   * A run that started Spark stops it but leaves it this thread's active session: clear it, so that
   * {@link #badOptionValuesAreRefusedBeforeSparkStarts} sees only what its own runs start, in any order.
   */
  @org.junit.jupiter.api.AfterEach
  void forgetTheStoppedSession() {
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Runs {@code p9 run args...}; returns the exit code, and stderr in {@code err[0]}. */
  static int run(String[] err, String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
      String[] all = new String[args.length + 1];
      all[0] = "run";
      System.arraycopy(args, 0, all, 1, args.length);
      return new CommandLine(new P9Cli()).execute(all);
    } finally {
      System.setErr(saved);
      err[0] = buf.toString(StandardCharsets.UTF_8);
    }
  }

  /**
   * {@code --scaler spark} with the default {@code --handle-invalid keep} saves a pipeline whose StandardScaler
   * fails on the rows the featurizer keeps without features: {@code p9 run --help} says so.
   */
  @Test
  void helpSaysSparksScalerNeedsSkip() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new P9Cli()).setOut(new PrintWriter(out, true));
    assertThat(cli.execute("run", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("spark (Spark's StandardScaler stage; it fails on"
        + " null features, so the saved pipeline fails on the images that the default --handle-invalid keep"
        + " keeps: use it with --handle-invalid skip)");
  }

  /**
   * {@code --batch-size} is the images per batch; an ONNX model with a fixed batch dimension B is called on B
   * images at a time whatever it is (CnnFeaturizer), so the help does not call it the images per call.
   */
  @Test
  void helpSaysWhatTheBatchSizeIsForAModelWithAFixedBatch() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new P9Cli()).setOut(new PrintWriter(out, true));
    assertThat(cli.execute("run", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("--batch-size=<batchSize> images per batch; an"
        + " ONNX model with a fixed batch dimension B is called on B images at a time (default: 8, or B for such"
        + " a model)").doesNotContain("images per inference call");
  }

  @Test
  void badOptionValuesAreRefusedBeforeSparkStarts() {
    String out = tmp.resolve("out").toString();
    String[][] cases = {
        {"--scaler", "bogus", "--scaler must be pca, spark or none"},
        {"--handle-invalid", "ignore", "--handle-invalid must be error, skip or keep"},
        {"--backend", "tf", "--backend must be auto, onnx or dl4j"},
        {"--k", "-3", "--k must be > 0"},
        {"--variance", "1.5", "--variance must be in (0, 1]"},
        {"--batch-size", "0", "--batch-size must be > 0"},
        {"--partitions", "-1", "--partitions must be >= 0"},
        {"--preprocessing", "bogus", "--preprocessing must be imagenet, mobilenet, caffe, unit or raw"},
        {"--preprocessing", "custom", "--preprocessing must be imagenet, mobilenet, caffe, unit or raw"}};
    for (String[] c : cases) {
      String[] err = new String[1];
      assertThat(run(err, "--input", tmp.toString(), "--output", out, c[0], c[1])).as(c[0]).isEqualTo(2);
      assertThat(err[0]).as(c[0]).startsWith("p9: " + c[2]).doesNotContain("Exception");
    }
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * A {@code --variance} out of range is a bad value also next to {@code --k}, which overrides it: it was taken
   * without a word there ({@code --k 5 --variance 95}, a percentage, ran the job).
   */
  @Test
  void aVarianceOutOfRangeIsRefusedAlsoNextToK() {
    String[] err = new String[1];
    assertThat(run(err, "--input", tmp.toString(), "--output", tmp.resolve("out").toString(), "--k", "5",
        "--variance", "95")).as(err[0]).isEqualTo(2);
    assertThat(err[0]).isEqualTo("p9: --variance must be in (0, 1], not 95.0" + System.lineSeparator());
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
  }

  /**
   * Without {@code --batch-size} the featurizer's own default applies (8, or the batch size an ONNX model
   * fixes, so that a model taking exactly 16 images is not run on 8 images padded to 16).
   */
  @Test
  void theBatchSizeIsLeftToTheFeaturizerUnlessGiven() {
    P9Cli.Run unset = new P9Cli.Run();
    new CommandLine(unset).parseArgs("--input", tmp.toString());
    io.p9.spark.ml.CnnFeaturizer f = FruitsJob.featurizer(unset.options());
    assertThat(f.isSet(f.batchSize())).as("batchSize set to %s", f.getBatchSize()).isFalse();
    assertThat(f.getBatchSize()).isEqualTo(8);
    P9Cli.Run given = new P9Cli.Run();
    new CommandLine(given).parseArgs("--input", tmp.toString(), "--batch-size", "16");
    assertThat(FruitsJob.featurizer(given.options()).getBatchSize()).isEqualTo(16);
  }

  /**
   * {@code --s3-committer}, {@code --s3-credentials} and {@code --region} are checked whatever the input and
   * output, so that a typo in a local trial run is found there and not in the S3 run that follows (a local
   * output ignored them), and a region outside the EU is refused as the README says, not silently taken.
   */
  @Test
  void badS3OptionValuesAreRefusedEvenForALocalRun() throws Exception {
    String in = java.nio.file.Files.createDirectories(tmp.resolve("in")).toString();
    String[][] cases = {
        {"--s3-committer", "magik", "--s3-committer must be magic, directory or file, not 'magik'"},
        {"--s3-credentials", "instance-rol", "--s3-credentials must be default-chain, environment, profile,"
            + " instance-role, web-identity or anonymous, not 'instance-rol'"},
        {"--region", "us-east-1", "region us-east-1 is outside the allowed regions"},
        {"--region", "eu-west1", "'eu-west1' is not an AWS region name"}};
    for (String[] c : cases) {
      String[] err = new String[1];
      assertThat(run(err, "--input", in, "--output", tmp.resolve("out").toString(), "--master", "local[1]", c[0],
          c[1])).as(c[0]).isEqualTo(2);
      assertThat(err[0]).as(c[0]).startsWith("p9: " + c[2]).doesNotContain("Exception");
    }
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * {@code --s3-credentials static} names S3aSettings' source for keys a Java caller passes; the command line
   * takes no keys (they would sit in process lists and shell history): the refusal says to put them in the
   * standard AWS environment variables, which {@code environment} (and the default chain) read.
   */
  @Test
  void staticCredentialsAreRefusedWithWhatToUseInstead() throws Exception {
    String in = java.nio.file.Files.createDirectories(tmp.resolve("in")).toString();
    for (String input : List.of(in, "s3a://p9-bucket/fruits")) {
      String[] err = new String[1];
      assertThat(run(err, "--input", input, "--output", tmp.resolve("out").toString(), "--master", "local[1]",
          "--s3-credentials", "static")).as(input).isEqualTo(2);
      assertThat(err[0]).as(input).startsWith("p9: --s3-credentials static takes no keys on the command line:"
          + " set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) and use"
          + " --s3-credentials environment").doesNotContain("staticCredentials(");
    }
    assertThat(SparkSession.getActiveSession().isDefined()).isFalse();
    StringWriter out = new StringWriter();
    assertThat(new CommandLine(new P9Cli()).setOut(new PrintWriter(out, true)).execute("run", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("environment (keys in AWS_ACCESS_KEY_ID,"
        + " AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; never as options)");
  }

  /** {@code --input-size} reaches the featurizer's {@code inputSize}; unset (or 0), the stage's default applies. */
  @Test
  void theInputSizeReachesTheFeaturizer() {
    P9Cli.Run unset = new P9Cli.Run();
    new CommandLine(unset).parseArgs("--input", tmp.toString());
    io.p9.spark.ml.CnnFeaturizer f = FruitsJob.featurizer(unset.options());
    assertThat(f.isSet(f.inputSize())).as("inputSize set to %s", f.getInputSize()).isFalse();
    P9Cli.Run given = new P9Cli.Run();
    new CommandLine(given).parseArgs("--input", tmp.toString(), "--input-size", "160");
    assertThat(FruitsJob.featurizer(given.options()).getInputSize()).isEqualTo(160);

    String[] err = new String[1];
    assertThat(run(err, "--input", tmp.toString(), "--output", tmp.resolve("out").toString(), "--input-size",
        "-1")).isEqualTo(2);
    assertThat(err[0]).startsWith("p9: --input-size must be >= 0 (0: the model's), not -1");

    StringWriter out = new StringWriter();
    assertThat(new CommandLine(new P9Cli()).setOut(new PrintWriter(out, true)).execute("run", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("--input-size=<inputSize> model input height and"
        + " width in pixels, for a model whose file leaves them open (an ONNX model with dynamic height and"
        + " width, a DL4J zip); 0: the model's, else its .p9.json sidecar's, else 224 (default: 0)");
  }

  /** An {@code s3://} input (EMR's EMRFS scheme, as in {@code emr submit}) run locally has no file system. */
  @Test
  void anInputOfAFileSystemHadoopDoesNotKnowIsAConfigurationError() {
    String[] err = new String[1];
    int code = run(err, "--input", "s3://p9-bucket/fruits/Training", "--output", tmp.resolve("out").toString(),
        "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .startsWith("p9: cannot list s3://p9-bucket/fruits/Training: No FileSystem for scheme \"s3\"")
        .endsWith("; p9 run reads S3 as s3a://");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /** A --k the model cannot give (known once the model is read, before any image) is a bad option value too. */
  @Test
  void aKAboveTheModelsFeatureDimensionIsAConfigurationError() {
    String[] err = new String[1];
    int code = run(err, "--input", tmp.toString(), "--output", tmp.resolve("out").toString(),
        "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--k", "1281", "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .startsWith("p9: k = 1281 is larger than the model's feature dimension 1280");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * Too few images to fit the PCA (here none: an empty folder) fails the job, exit code 1 as the README says,
   * with its reason in one line, not a stack trace.
   */
  @Test
  void tooFewImagesFailTheJobInOneLine() throws Exception {
    java.nio.file.Files.createDirectories(tmp.resolve("empty"));
    String[] err = new String[1];
    int code = run(err, "--input", tmp.resolve("empty").toString(), "--output", tmp.resolve("out").toString(),
        "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(1);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .isEqualTo("p9: only 0 of 0 files could be featurized under " + tmp.resolve("empty")
            + "; PCA needs at least 2; failures by reason: {}");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out")).as("the check that the output can be written leaves nothing").doesNotExist();
  }

  /**
   * Where the listing skipped files (here a camera's {@code _DSC0001.JPG} and {@code _DSC0002.JPG}, hidden names to
   * Spark), the one line of a run with too few images says so and what to do, where it used to say "only 0 of 0
   * files" and nothing about the two photos in the folder.
   */
  @Test
  void tooFewImagesSayWhatTheListingSkipped() throws Exception {
    Path camera = java.nio.file.Files.createDirectories(tmp.resolve("camera"));
    java.nio.file.Files.write(camera.resolve("_DSC0001.JPG"), new byte[] {1});
    java.nio.file.Files.write(camera.resolve("_DSC0002.JPG"), new byte[] {2});
    String[] err = new String[1];
    int code = run(err, "--input", camera.toString(), "--output", tmp.resolve("out").toString(),
        "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(1);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .isEqualTo("p9: only 0 of 0 files could be featurized under " + camera + "; PCA needs at least 2; failures"
            + " by reason: {}; not read: 2 files or folders skipped as hidden (names starting with '.', or with '_'"
            + " and holding no '='): file:" + camera + "/_DSC0001.JPG, file:" + camera + "/_DSC0002.JPG; Spark's file"
            + " sources skip them too: rename them to read them");
  }

  /**
   * Under {@code --handle-invalid error} a file that cannot be decoded fails the job (exit code 1) with one line
   * naming the file and its reason, as the README says, where it used to end with Spark's stack trace, whose
   * first line names a lambda and whose reason sits several causes down.
   */
  @Test
  void aFileThatCannotBeDecodedUnderErrorFailsTheJobInOneLineNamingIt() throws Exception {
    Path in = java.nio.file.Files.createDirectories(tmp.resolve("in/Apple"));
    List<Path> jpegs = io.p9.core.testing.RepoData.quickSampleSpread(2);
    for (int i = 0; i < jpegs.size(); i++) {
      java.nio.file.Files.copy(jpegs.get(i), in.resolve(i + ".jpg"));
    }
    java.nio.file.Files.writeString(in.resolve("notes.txt"), "not an image");
    String[] err = new String[1];
    int code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(),
        "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--handle-invalid", "error",
        "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(1);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
        .startsWith("p9: cannot decode file:" + in.resolve("notes.txt") + ": NOT_AN_IMAGE: ")
        .endsWith("; with --handle-invalid keep (the default) or skip the job goes on and counts it in report.json");
    assertThat(tmp.resolve("out/report.json")).doesNotExist();
  }

  /**
   * Under {@code --handle-invalid error} an image the model fails on (a real ONNX model that ONNX Runtime cannot
   * run on any image that is not all zeros) fails the job (exit code 1) with one line naming the file and the
   * model's reason, as a file that cannot be decoded does, where it used to end with Spark's stack trace.
   */
  @Test
  void anImageTheModelFailsOnUnderErrorFailsTheJobInOneLineNamingIt() throws Exception {
    Path in = java.nio.file.Files.createDirectories(tmp.resolve("in/Apple"));
    java.nio.file.Files.copy(io.p9.core.testing.RepoData.quickSampleSpread(1).get(0), in.resolve("0.jpg"));
    Path model = java.nio.file.Files.write(tmp.resolve("fails.onnx"),
        io.p9.core.testing.FailingOnnx.failsOnNonZero(8));
    String[] err = new String[1];
    int code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(),
        "--model", model.toString(), "--handle-invalid", "error", "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(1);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
        .startsWith("p9: CnnFeaturizer[").contains(" failed on the batch of 1 images [file:" + in.resolve("0.jpg")
            + "]: ").contains("out of data bounds")
        .endsWith("; with --handle-invalid keep (the default) or skip the job goes on and counts it in report.json");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out/report.json")).doesNotExist();
  }

  /**
   * A {@code --model} p9 cannot use (not a model file, a model file cut short or damaged, a folder, a missing
   * file, or no such {@code --feature-tensor} in it) is a bad option value: exit code 2 and one line naming the
   * file and the reason, found on the driver before any image.
   */
  @Test
  void aModelThatCannotBeUsedIsAConfigurationError() throws Exception {
    Path notAModel = java.nio.file.Files.writeString(tmp.resolve("garbage.onnx"), "not an ONNX model");
    String mobilenet = io.p9.core.testing.RepoData.mobilenet().toString();
    byte[] onnx = java.nio.file.Files.readAllBytes(io.p9.core.testing.RepoData.mobilenet());
    Path cutOnnx = java.nio.file.Files.write(tmp.resolve("cut.onnx"), java.util.Arrays.copyOf(onnx, 100_000));
    byte[] h5 = io.p9.core.testing.Fixtures.bytes("tiny_seq.h5");
    Path cutH5 = java.nio.file.Files.write(tmp.resolve("cut.h5"), java.util.Arrays.copyOf(h5, 3000));
    Path folder = java.nio.file.Files.createDirectories(tmp.resolve("folder.onnx"));
    Path missing = tmp.resolve("missing.onnx");
    String[][] cases = {
        {notAModel.toString(), "auto", "p9: cannot use " + notAModel + ": ", "not an ONNX model"},
        {mobilenet, "bogus", "p9: cannot use " + mobilenet + ": ", "ONNX graph has no tensor 'bogus'"},
        {cutOnnx.toString(), "auto", "p9: cannot use " + cutOnnx + ": ", "not an ONNX model"},
        {cutH5.toString(), "auto", "p9: cannot use " + cutH5 + ": ", "is not a readable HDF5 file"},
        {folder.toString(), "auto", "p9: cannot use " + folder + ": ", "cannot read " + folder + ": "},
        {missing.toString(), "auto", "p9: cannot use " + missing + ": ", "does not exist"}};
    java.nio.file.Files.createDirectories(tmp.resolve("in"));
    for (String[] c : cases) {
      String[] err = new String[1];
      int code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(),
          "--model", c[0], "--feature-tensor", c[1], "--master", "local[1]");
      assertThat(code).as(err[0]).isEqualTo(2);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(c[3]).singleElement().asString()
          .startsWith(c[2]).contains(c[3]);
      assertThat(err[0]).as(c[3]).doesNotContain("\tat ");
    }
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * An {@code --output} under an existing regular file cannot be written: refused as a bad option value once
   * the model is read, before the CNN pass (Hadoop's ParentNotDirectoryException came at the first write).
   */
  @Test
  void anOutputUnderARegularFileIsAConfigurationError() throws Exception {
    java.nio.file.Files.writeString(tmp.resolve("a-file"), "not a folder");
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    String[] err = new String[1];
    int code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("a-file/out").toString(),
        "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .isEqualTo("p9: --output " + tmp.resolve("a-file/out") + ": file:" + tmp.resolve("a-file")
            + " is a file, not a folder");
    assertThat(err[0]).doesNotContain("\tat ");
  }

  /**
   * An {@code --output} that cannot be written (here under {@code /proc}, where not even root creates a folder or
   * a file) is refused in one line before the CNN pass: it used to fail only when the fitted pipeline was saved,
   * after the whole featurize pass and fit, with exit code 1 and some 500 lines of Spark's stack traces.
   */
  @Test
  void anOutputThatCannotBeWrittenIsAConfigurationError() throws Exception {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    for (String output : List.of("/proc/p9-out", "/proc")) {
      String[] err = new String[1];
      int code = run(err, "--input", tmp.resolve("in").toString(), "--output", output, "--model",
          io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]", "--k", "1");
      assertThat(code).as(err[0]).isEqualTo(2);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(output).singleElement().asString()
          .startsWith("p9: --output " + output + " cannot be written: ");
      assertThat(err[0]).as(output).doesNotContain("\tat ");
    }
  }

  /**
   * An {@code --output} that stops being writable after the check before the CNN pass (here another process puts a
   * file where the folder was, once the pass is over) fails the job: exit code 1 and one line saying why, where
   * picocli used to print the whole stack trace of Spark's failure, after Spark ML had logged it twice, some 300
   * lines in all; with {@code --verbose} the stack trace is printed, and Spark ML logs it.
   */
  @Test
  void anOutputThatBecomesUnwritableMidJobFailsTheJobInOneLine() throws Exception {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    Path out = tmp.resolve("out");
    for (boolean verbose : new boolean[] {false, true}) {
      Files.deleteIfExists(out);
      String[] err = new String[1];
      int code;
      try (ConsoleLines console = new ConsoleLines();
          AfterTheCnnPass hook = new AfterTheCnnPass(() -> Files.writeString(out, "not a folder any more"))) {
        List<String> args = new java.util.ArrayList<>(List.of("--input", tmp.resolve("in").toString(), "--output",
            out.toString(), "--model", io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]",
            "--k", "1"));
        if (verbose) {
          args.add("--verbose");
        }
        code = run(err, args.toArray(String[]::new));
        assertThat(hook.ran()).as(err[0]).isTrue();
        if (verbose) {
          assertThat(console.text()).as("what Spark logs on the console").contains("ERROR Instrumentation: ",
              "\tat org.apache.spark.");
        } else {
          assertThat(console.text()).as("what Spark logs on the console").doesNotContain("\tat ");
        }
      }
      assertThat(code).as(err[0]).isEqualTo(1);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
          .startsWith("p9: the job failed: ").contains(out.toString()).endsWith(" (--verbose: its stack trace)");
      if (verbose) {
        assertThat(err[0]).contains("\tat org.apache.spark.");
      } else {
        assertThat(err[0]).doesNotContain("\tat ");
      }
    }
  }

  /**
   * A disk that fills up while the outputs are written (here a plot that is a link to {@code /dev/full}, where every
   * write fails as on a full disk) fails the job in one line: Hadoop's local file system throws an Error for it,
   * FSError, which used to end p9 with {@code Exception in thread "main"} and some 90 lines of stack trace.
   */
  @Test
  void aFullDiskFailsTheJobInOneLine() throws Exception {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.createSymbolicLink(out.resolve("explained-variance.svg"), Path.of("/dev/full"));
    String[] err = new String[1];
    int code = run(err, "--input", tmp.resolve("in").toString(), "--output", out.toString(), "--model",
        io.p9.core.testing.RepoData.mobilenet().toString(), "--master", "local[1]", "--k", "1");
    assertThat(code).as(err[0]).isEqualTo(1);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
        .isEqualTo("p9: the job failed: java.io.IOException: No space left on device (--verbose: its stack trace)");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(out.resolve("report.json")).doesNotExist();
  }

  /**
   * The executors run the model bytes that the driver read and broadcast, never the file; the driver reads the file
   * again when the pipeline is fitted after the CNN pass (a changed file would be a changed model): a {@code --model}
   * removed before then is a {@code --model} that does not exist, exit code 2 and one line naming it.
   */
  @Test
  void aModelRemovedAfterTheCnnPassIsOneLineNamingIt() throws Exception {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    Path model = Files.copy(io.p9.core.testing.RepoData.mobilenet(), tmp.resolve("model.onnx"));
    String[] err = new String[1];
    int code;
    try (AfterTheCnnPass hook = new AfterTheCnnPass(() -> {
      Files.delete(model);
      return null;
    })) {
      code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(), "--model",
          model.toString(), "--master", "local[1]", "--k", "1");
      assertThat(hook.ran()).as(err[0]).isTrue();
    }
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).as(err[0]).singleElement().asString()
        .startsWith("p9: CnnFeaturizer[").contains(": cannot read " + model + ": ").endsWith(" does not exist");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out/report.json")).doesNotExist();
  }

  @Test
  void anOutputInsideTheInputIsAConfigurationError() throws Exception {
    Fixtures.subset(tmp.resolve("in"), 1, 2);
    String model = io.p9.core.testing.RepoData.mobilenet().toString();
    for (String input : List.of(tmp.resolve("in").toString(), tmp.resolve("in") + "/", tmp.resolve("i*").toString(),
        "file:" + tmp.resolve("in"))) {
      for (Path output : List.of(tmp.resolve("in/out"), tmp.resolve("in"), tmp.resolve("in/a/b/"))) {
        String[] err = new String[1];
        int code = run(err, "--input", input, "--output", output.toString(), "--model", model, "--master",
            "local[1]");
        assertThat(code).as(input + " -> " + output + ": " + err[0]).isEqualTo(2);
        assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
            .startsWith("p9: --output " + output + " is inside --input " + input + " (file:" + tmp.resolve("in")
                + "): a later run");
      }
    }
    assertThat(tmp.resolve("in/out")).doesNotExist();
    assertThat(tmp.resolve("in/a")).doesNotExist();

    // a sibling whose name starts like the input's is outside it
    String[] err = new String[1];
    assertThat(run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("in-out").toString(),
        "--model", model, "--master", "local[1]", "--k", "1")).as(err[0]).isZero();
  }

  /**
   * An {@code --input} folder whose name holds glob characters ({@code Trip [2024]}) is that folder, as the
   * README's "image folder" says: p9 run used to take it as a glob, which read the photos of {@code Trip 2}
   * instead, and did not see an {@code --output} inside it.
   */
  @Test
  void anInputFolderWithGlobCharactersInItsNameIsThatFolder() throws Exception {
    Path trip = tmp.resolve("Trip [2024]");
    Fixtures.subset(trip, 1, 2);
    Fixtures.subset(tmp.resolve("Trip 2"), 2, 2);
    String model = io.p9.core.testing.RepoData.mobilenet().toString();
    String[] err = new String[1];
    assertThat(run(err, "--input", trip.toString(), "--output", trip.resolve("out").toString(), "--model", model,
        "--master", "local[1]", "--k", "1")).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .startsWith("p9: --output " + trip.resolve("out") + " is inside --input " + trip);

    assertThat(run(err, "--input", trip.toString(), "--output", tmp.resolve("out").toString(), "--model", model,
        "--master", "local[1]", "--k", "1")).as(err[0]).isZero();
    assertThat(FruitsJobTest.rfc4180(tmp.resolve("out/features.csv").toString()).subList(1, 3))
        .extracting(row -> row[0]).allSatisfy(p -> assertThat(p).startsWith("file:" + trip + "/"));
  }

  /**
   * Spark's {@code PipelineModel.load} reads a saved folder's metadata as a glob: a pipeline saved under
   * {@code out [1]} was written, but {@code --pipeline out [1]/pipeline-model} then failed ({@code Input Pattern
   * .../metadata matches 0 files}). A fit refuses such an --output before any work; applying a saved pipeline,
   * which saves none, writes there.
   */
  @Test
  void aFitRefusesAnOutputWithGlobCharactersWhereItsPipelineCouldNotBeLoaded() throws Exception {
    Path in = java.nio.file.Files.createDirectories(tmp.resolve("in/a"));
    java.nio.file.Files.copy(io.p9.core.testing.RepoData.quickSampleSpread(1).get(0), in.resolve("0.jpg"));
    for (String name : List.of("out [1]", "out {a}", "out*", "out?")) {
      String[] err = new String[1];
      String out = tmp.resolve(name).toString();
      int code = run(err, "--input", tmp.resolve("in").toString(), "--output", out, "--master", "local[1]");
      assertThat(code).as(err[0]).isEqualTo(2);
      assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
          .startsWith("p9: --output " + out + ": ").contains("glob");
      assertThat(tmp.resolve(name)).doesNotExist();
    }
  }

  /**
   * A relative input whose first name holds a ':' is a URI scheme to Hadoop: the user's to fix, as a missing input
   * is: exit 2 and one line naming the input, not exit 1 with Hadoop's {@code Relative path in absolute URI}.
   */
  @Test
  void aRelativeInputStartingWithANameWithAColonIsAConfigurationError() {
    String[] err = new String[1];
    String input = "col:on/0.jpg";
    int code = run(err, "--input", input, "--output", tmp.resolve("out").toString(), "--master", "local[1]");
    assertThat(code).as(err[0]).isEqualTo(2);
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .startsWith("p9: cannot list " + input).contains("col:on").contains("':'");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * features.csv has a column per component: a plan of more than Spark's default 25 fields, whose string Spark
   * truncates with a WARN that names a setting the user has nothing to do with.
   */
  @Test
  void aWideCsvIsWrittenWithoutSparksPlanTruncationWarning() {
    Fixtures.subset(tmp.resolve("in"), 6, 6);
    try (LogCapture log = new LogCapture("org.apache.spark.sql.catalyst.util.SparkStringUtils")) {
      String[] err = new String[1];
      int code = run(err, "--input", tmp.resolve("in").toString(), "--output", tmp.resolve("out").toString(),
          "--model", Fixtures.model().toString(), "--k", "30", "--master", "local[2]");
      assertThat(code).as(err[0]).isZero();
      assertThat(tmp.resolve("out/features.csv")).exists();
      assertThat(log.lines()).isEmpty();
    }
  }

  @Test
  void aMissingInputIsAConfigurationError() {
    String[] err = new String[1];
    Path missing = tmp.resolve("no-such-folder");
    int code = run(err, "--input", missing.toString(), "--output", tmp.resolve("out").toString(),
        "--master", "local[1]");
    assertThat(code).isEqualTo(2);
    // p9's own lines start "p9: "
    assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString()
        .startsWith("p9: cannot list " + missing).contains("Path does not exist");
    assertThat(err[0]).doesNotContain("\tat ");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  /**
   * S3 answers a request for a bucket of another region than the endpoint's with a 301 (PermanentRedirect), naming
   * the bucket's region in {@code x-amz-bucket-region}, and hadoop-aws 3.3 does not follow it: a configuration
   * error, whose line says which option reaches that bucket, or, for a region outside the allowed ones, says so.
   * (The stub on 127.0.0.1 answers as S3 does; p9 run looks no region up, so nothing else is asked.)
   */
  @Test
  void aBucketInAnotherRegionWithoutItsRegionSaysWhichOptionReachesIt() {
    try (AwsStub stub = new AwsStub()) {
      for (String region : List.of("eu-central-1", "us-east-1")) {
        stub.server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(301)
            .withHeader("x-amz-bucket-region", region).withHeader("Content-Type", "application/xml")
            .withBody("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The"
                + " bucket you are attempting to access must be addressed using the specified endpoint. Please send"
                + " all future requests to this endpoint.</Message><Endpoint>s3." + region + ".amazonaws.com"
                + "</Endpoint><Bucket>p9-far</Bucket><RequestId>R1</RequestId><HostId>H1</HostId></Error>")));
        String[] err = new String[1];
        int code = run(err, "--input", "s3a://p9-far/fruits", "--output", tmp.resolve("out").toString(),
            "--master", "local[1]", "--s3-endpoint", stub.endpoint().toString(), "--s3-path-style",
            "--s3-credentials", "anonymous");

        assertThat(code).as(err[0]).isEqualTo(2);
        String said = "p9: bucket 'p9-far' is not in --region eu-west-1 (S3 answered 301 Moved Permanently: it is in "
            + region + ")";
        assertThat(err[0].lines().filter(l -> l.startsWith("p9: "))).singleElement().asString().isEqualTo(
            region.equals("eu-central-1") ? said + "; pass --s3-bucket-region p9-far=eu-central-1"
                : said + ", outside the allowed regions " + io.p9.aws.RegionPolicy.euOnly().allowed()
                    + " (EU only by default, for GDPR)");
        assertThat(err[0]).doesNotContain("\tat ");
      }
    }
  }
}
