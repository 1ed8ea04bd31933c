package io.p9.examples;

import io.p9.spark.ml.CnnFeaturizer;
import io.p9.spark.ml.ImageLoader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.SLF4JServiceProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The p9 command line: {@code run} the Fruits! job locally, on S3 ({@code s3a://}) or under spark-submit;
 * {@code emr ...} and {@code serverless ...} run it on AWS.
 */
@Command(name = "p9", mixinStandardHelpOptions = true, versionProvider = P9Cli.Version.class,
    description = "Image collections to compact CNN feature vectors on Apache Spark.",
    subcommands = {P9Cli.Run.class, EmrCommands.class, ServerlessCommands.class})
public final class P9Cli implements Callable<Integer> {

  /** {@code p9 --version}: the version this jar was built as. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = P9Cli.class.getResourceAsStream("version.properties")) {
        p.load(Objects.requireNonNull(in, "version.properties is missing from the class path"));
      }
      return new String[] {"p9 " + p.getProperty("version")};
    }
  }

  /**
   * Runs the p9 command that {@code args} name and exits the JVM with its exit code: 0 done, 1 job failed, 2 a
   * usage or configuration error, 3 timed out waiting (the {@code emr} and {@code serverless} commands). Inside
   * YARN's ApplicationMaster (the EMR step) it does not exit: a success returns, a failure throws.
   *
   * @param args the command and its options, e.g. {@code run --input images --output out}
   */
  public static void main(String[] args) {
    quietLoggingWithoutProvider();
    CommandLine cmd = commandLine();
    Throwable[] failure = {null};
    CommandLine.IExecutionExceptionHandler printing = cmd.getExecutionExceptionHandler();
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      failure[0] = e;
      return printing.handleExecutionException(e, c, parsed);
    });
    end(cmd.execute(args), failure[0], System.getProperties(), System::exit);
  }

  /**
   * The p9 command line as {@link #main} runs it: an argument it cannot parse is one line on stderr, naming the
   * help to read, not followed by the whole help.
   */
  static CommandLine commandLine() {
    return new CommandLine(new P9Cli()).setParameterExceptionHandler(P9Cli::cannotParse);
  }

  /** Says on stderr, in one line, why the arguments of {@code e}'s command cannot be parsed; its exit code. */
  private static int cannotParse(CommandLine.ParameterException e, String[] args) {
    CommandLine c = e.getCommandLine();
    c.getErr().println("p9: " + e.getMessage() + " (see " + c.getCommandSpec().qualifiedName() + " --help)");
    c.getErr().flush();
    return c.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * Run by {@code java -jar} (the launcher for {@code emr} and {@code serverless}), the job jar has SLF4J's API
   * but no logging back end (on a cluster, Spark's is used), and SLF4J would open every command with three
   * lines on stderr saying it falls back to discarding log messages. Then it is initialized here with stderr
   * muted; with a back end on the class path nothing changes.
   */
  static void quietLoggingWithoutProvider() {
    if (ServiceLoader.load(SLF4JServiceProvider.class).findFirst().isPresent()) {
      return;
    }
    PrintStream err = System.err;
    System.setErr(new PrintStream(OutputStream.nullOutputStream()));
    try {
      LoggerFactory.getILoggerFactory();
    } finally {
      System.setErr(err);
    }
  }

  /**
   * How {@link #main} ends with exit code {@code code} ({@code failure}: what the command threw, if it
   * did). Inside YARN's ApplicationMaster (spark-submit {@code --deploy-mode cluster} on YARN, how the EMR
   * step runs p9; it sets the system properties {@code spark.master=yarn} and
   * {@code spark.submit.deployMode=cluster} before calling main) the JVM must not exit: the
   * ApplicationMaster's shutdown hook would then report the application FAILED (EXIT_EARLY) even after a
   * success, and YARN may run it again. There a success returns and a failure throws {@link Failed}, which
   * the ApplicationMaster reports as the application's failure. Everywhere else (java, mvn exec, spark-submit
   * in client mode, standalone cluster mode) the exit code is the outcome: {@code exit} is called with it.
   */
  static void end(int code, Throwable failure, Properties system, IntConsumer exit) {
    if (!insideApplicationMaster(system)) {
      exit.accept(code);
    } else if (code != 0) {
      throw new Failed(code, failure);
    }
  }

  /** Whether {@code system} (the system properties) are those of YARN's ApplicationMaster ({@link #end}). */
  static boolean insideApplicationMaster(Properties system) {
    return system.getProperty("spark.master", "").startsWith("yarn")
        && "cluster".equals(system.getProperty("spark.submit.deployMode"));
  }

  /**
   * Whether {@code run} prints a failure's stack trace and what Spark logs about it: under {@code --verbose}, and
   * always inside YARN's ApplicationMaster (an EMR step), whose stderr is a log file read after the run, where
   * nobody can run the step again with {@code --verbose} to see them.
   */
  static boolean failureDetails(boolean verbose, Properties system) {
    return verbose || insideApplicationMaster(system);
  }

  /** A failed run inside YARN's ApplicationMaster: the exit code it would have had, and the cause if any. */
  static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    Failed(int exitCode, Throwable cause) {
      super("p9 failed (exit code " + exitCode + ")" + (cause != null ? ": " + cause : "; its error is above"), cause);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }

  @Spec
  CommandSpec spec;

  /** {@code p9} with no command: a usage error, as for a command it cannot parse. */
  @Override
  public Integer call() {
    return CliSupport.missingSubcommand(spec);
  }

  static final String SAMPLE = "data/fruits360-sample/Training";
  static final String BUNDLED_MODEL = "classpath:p9/models/mobilenetv2-12-int8.onnx";
  /** Hadoop's error for a local write that fails, named as {@code run} catches it. */
  private static final String FS_ERROR = "org.apache.hadoop.fs.FSError";
  /** Spark's limit on the fields a plan's string shows, which {@code run} raises unless it is set. */
  private static final String MAX_PLAN_FIELDS = "spark.sql.debug.maxToStringFields";
  /**
   * The feature dimension of {@link #BUNDLED_MODEL} (its pooled tensor, the feature tensor {@code auto}
   * finds), which the launchers check {@code --k} against without opening the model.
   */
  static final int BUNDLED_FEATURE_DIM = 1280;

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = {"Run the Fruits! pipeline: images -> CNN features (the bundled MobileNetV2, or --model) ->"
          + " scaling -> PCA -> Parquet/CSV + saved PipelineModel + report.json.", "With --pipeline: apply a saved PipelineModel (an earlier run's,"
          + " or any with an ImageLoader, a CnnFeaturizer and a PcaReducerModel in that order) to the --input"
          + " images, fitting and saving nothing (Parquet/CSV + report.json)."})
  static final class Run implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input", description = "image folder or URI (file:, s3a:, hdfs:), searched recursively;"
        + " default: the sample shipped in the repository (${DEFAULT-VALUE})", defaultValue = SAMPLE)
    String input;

    @Option(names = "--output", description = "output folder or URI (default: ${DEFAULT-VALUE})",
        defaultValue = "target/p9-fruits")
    String output;

    @Option(names = "--pipeline", description = "apply this saved PipelineModel (an earlier p9 run's pipeline-model"
        + " folder, or any holding an ImageLoader, a CnnFeaturizer after it and a PcaReducerModel after that: a path"
        + " or a file:, s3a: or hdfs: URI), instead of fitting one: the features come from its model,"
        + " preprocessing, scaler and PCA as saved, and no pipeline is saved; the options that shape"
        + " a fit (--model, --backend, --preprocessing, --feature-tensor, --input-size, --k, --variance, --scaler)"
        + " are refused with it")
    String pipeline;

    /** The options that shape a fit, which a saved {@code --pipeline} fixed. */
    static final List<String> FIT_OPTIONS = List.of("--model", "--backend", "--preprocessing", "--feature-tensor",
        "--input-size", "--k", "--variance", "--scaler");

    /** What options of a fit given with {@code --pipeline pipeline} shape, in {@link CliSupport#refusal}'s words. */
    static String theFitNot(String pipeline) {
      return "the fit; with --pipeline " + pipeline + " the saved pipeline is applied as it is, nothing is fitted";
    }

    @Option(names = "--model", description = "model file or URI: ONNX, Keras .h5 or DL4J zip (default: the"
        + " bundled int8 MobileNetV2, ${DEFAULT-VALUE})", defaultValue = BUNDLED_MODEL)
    String model;

    @Option(names = "--backend", description = "model backend: auto (from the file: .onnx -> ONNX Runtime,"
        + " Keras .h5 or DL4J zip -> Deeplearning4j), onnx or dl4j (default: ${DEFAULT-VALUE})",
        defaultValue = "auto")
    String backend;

    @Option(names = "--preprocessing", description = "normalization preset: imagenet, mobilenet (Keras"
        + " MobileNet/MobileNetV2, [-1,1]), caffe, unit, raw (default: the model's .p9.json sidecar, else raw"
        + " for an ONNX model with a uint8 input, else imagenet)")
    String preprocessing;

    @Option(names = "--feature-tensor", description = "tensor or layer whose value is the feature vector"
        + " (default: the sidecar's, else auto = the input of the final classifier, or the output of a"
        + " headless ONNX model ending in global pooling)")
    String featureTensor;

    @Option(names = "--input-size", description = "model input height and width in pixels, for a model whose"
        + " file leaves them open (an ONNX model with dynamic height and width, a DL4J zip); 0: the model's, else"
        + " its .p9.json sidecar's, else 224 (default: ${DEFAULT-VALUE})", defaultValue = "0")
    int inputSize;

    @Option(names = "--k", defaultValue = "0",
        description = "number of principal components (overrides --variance; default 0: chosen by --variance)")
    int k;

    @Option(names = "--variance", description = "keep the fewest components explaining this share of the"
        + " variance (default: ${DEFAULT-VALUE})", defaultValue = "0.95")
    double variance;

    @Option(names = "--batch-size", description = "images per batch; an ONNX model with a fixed batch dimension"
        + " B is called on B images at a time (default: 8, or B for such a model)")
    Integer batchSize;

    @Option(names = "--handle-invalid", description = "error | skip | keep (default: ${DEFAULT-VALUE})",
        defaultValue = "keep")
    String handleInvalid;

    @Option(names = "--scaler", description = "pca (standardize inside the PCA stage, null-safe), spark"
        + " (Spark's StandardScaler stage; it fails on null features, so the saved pipeline fails on the images"
        + " that the default --handle-invalid keep keeps: use it with --handle-invalid skip) or none (default:"
        + " ${DEFAULT-VALUE})", defaultValue = "pca")
    String scaler;

    @Option(names = "--partitions", description = "repartition the file list (0: as listed)",
        defaultValue = "0")
    int partitions;

    @Option(names = "--master", description = "Spark master when not set by spark-submit"
        + " (default: ${DEFAULT-VALUE})", defaultValue = "local[*]")
    String master;

    @Option(names = "--verbose", description = "when the run fails, also print on stderr the failure's stack trace"
        + " and what Spark logs about it (a task's failure on a file, a failed fit or save); without it, the reason"
        + " is one line on stderr, starting p9: (inside an EMR step, always as with --verbose)")
    boolean verbose;

    /** Whether this run prints a failure's stack trace and what Spark logs about it ({@link #failureDetails}). */
    private boolean details;

    @picocli.CommandLine.Mixin
    S3Options s3 = new S3Options();

    @picocli.CommandLine.Mixin
    SparkConfOptions sparkConf = new SparkConfOptions();

    @Override
    public Integer call() throws Exception {
      if (!sparkOnClassPath()) {
        // java -jar on the job jar, which leaves Spark to the cluster (README: alias p9='java -jar ...')
        return failed(2, "p9 run needs Spark on the class path, which the job jar leaves to the cluster: run it with"
            + " mvn -B -q -DskipTests package exec:exec -pl examples -am -Dp9.args=\"run ...\", or spark-submit"
            + " --class " + P9Cli.class.getName() + " <job jar> run ...; java -jar runs the emr and serverless"
            + " commands");
      }
      if (input.equals(SAMPLE) && !Files.isDirectory(Paths.get(SAMPLE))) {
        return failed(2, "the sample folder " + SAMPLE + " is not here; run from the repository root or pass"
            + " --input");
      }
      String invalid = invalidOption();
      if (invalid != null) {
        return failed(2, invalid);
      }
      SparkConf conf = new SparkConf();
      SparkSession.Builder b = SparkSession.builder().appName("p9-fruits");
      if (!conf.contains("spark.master")) {
        b.master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "8");
      }
      if (!conf.contains(MAX_PLAN_FIELDS)) {
        // features.csv has a column per component: Spark would shorten its plan's string, with a WARN
        b.config(MAX_PLAN_FIELDS, "10000");
      }
      try {
        s3.apply(input, output, pipeline != null ? pipeline : model, b::config);
      } catch (IllegalArgumentException e) {
        return failed(2, e.getMessage());
      }
      // after p9 run's own defaults above, which they override; what p9 run sets from its options they may not
      // (invalidOption)
      sparkConf.values().forEach(b::config);
      SparkSession spark = b.getOrCreate();
      details = failureDetails(verbose, System.getProperties());
      QuietFailureLogs quiet = details ? null : QuietFailureLogs.onConsole();
      try {
        FruitsJob.Report r = FruitsJob.run(spark, options());
        System.out.println(FruitsJob.summary(r));
        return 0;
      } catch (FruitsJob.InvalidOptionException e) {
        return failed(2, e.getMessage(), e);
      } catch (FruitsJob.TooFewImagesException e) {
        return failed(1, e.getMessage(), e);
      } catch (UncheckedIOException e) {
        // a missing --input (or a glob that matches nothing), or a name in it that Hadoop cannot make a path of
        // (a ':' in a relative --input's first name; ImageFiles says which), is the user's to fix, as a bad option is
        if (e.getCause() instanceof FileNotFoundException
            || e.getCause() != null && e.getCause().getCause() instanceof IllegalArgumentException) {
          return failed(2, e.getMessage(), e);
        }
        if (e.getCause() instanceof UnsupportedFileSystemException) {
          // a URI scheme Hadoop has no file system for: s3:// is EMR's own (EMRFS), gs:// needs a connector
          return failed(2, e.getMessage() + "; p9 run reads S3 as s3a://", e);
        }
        return wrongRegionOrFailed(e);
      } catch (Exception e) {
        RuntimeException bad = fileFailure(e);
        if (bad != null) {
          // --handle-invalid error: Spark wraps the stage's one-line reason in its task and job failures
          return failed(1, bad.getMessage() + "; with --handle-invalid keep (the default) or skip the job goes on"
              + " and counts it in report.json", e);
        }
        return wrongRegionOrFailed(e);
      } catch (Error e) {
        // Hadoop's FSError: what its local file system throws for a write that fails, e.g. on a full disk. Named,
        // not caught by type: the verifier would load a catch's type with this class, and java -jar on the job jar
        // (the emr and serverless commands) has no Hadoop
        if (!FS_ERROR.equals(e.getClass().getName())) {
          throw e;
        }
        return jobFailed(e);
      } finally {
        spark.stop();
        // after the stop, which ends the tasks still running, whose failures may be logged late
        if (quiet != null) {
          quiet.close();
        }
      }
    }

    /**
     * The failures of one file that {@code --handle-invalid error} makes a job failure, each with a one-line
     * message naming the file and the reason.
     */
    static final List<Class<? extends RuntimeException>> FILE_FAILURES =
        List.of(ImageLoader.ImageLoadException.class, CnnFeaturizer.FeaturizeException.class);

    /** The first of {@link #FILE_FAILURES} in the cause chain of {@code e}, or null. */
    static RuntimeException fileFailure(Throwable e) {
      for (Class<? extends RuntimeException> type : FILE_FAILURES) {
        RuntimeException failure = causeOf(e, type);
        if (failure != null) {
          return failure;
        }
      }
      return null;
    }

    /**
     * Exit code 2 and a line saying which region to pass, when {@code e} is S3's 301 for a bucket; else exit
     * code 1, the job failed, and a line with the reason that {@code e} ends in.
     */
    private int wrongRegionOrFailed(Exception e) {
      String wrong = s3.wrongRegion(e);
      return wrong != null ? failed(2, wrong, e) : jobFailed(e);
    }

    /** Exit code 1, the job failed, and a line with the reason that {@code e} ends in. */
    private int jobFailed(Throwable e) {
      return failed(1, "the job failed: " + CliSupport.reason(e) + " (--verbose: its stack trace)", e);
    }

    /**
     * Prints {@code p9: message} on stderr, after {@code cause}'s stack trace where {@link #failureDetails} says;
     * {@code exitCode}.
     */
    private int failed(int exitCode, String message, Throwable cause) {
      if (details) {
        cause.printStackTrace();
      }
      return failed(exitCode, message);
    }

    /** Prints {@code p9: message} on stderr and returns {@code exitCode}. */
    private static int failed(int exitCode, String message) {
      System.err.println("p9: " + message);
      return exitCode;
    }

    /** The first exception of type {@code type} in the cause chain of {@code e}, or null. */
    static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (type.isInstance(t)) {
          return type.cast(t);
        }
      }
      return null;
    }

    static boolean sparkOnClassPath() {
      try {
        Class.forName("org.apache.spark.sql.SparkSession", false, P9Cli.class.getClassLoader());
        return true;
      } catch (ClassNotFoundException e) {
        return false;
      }
    }

    /** The job's options. */
    FruitsJob.Options options() {
      int batch = batchSize != null ? batchSize : 0;
      return pipeline != null ? FruitsJob.Options.applying(pipeline, input, output, batch, handleInvalid, partitions)
          : new FruitsJob.Options(input, output, model, k, variance, batch, handleInvalid, partitions, scaler,
              backend, preprocessing, featureTensor, inputSize);
    }

    /** What is wrong with the options, checked before Spark starts, or null. */
    String invalidOption() {
      if (pipeline != null && spec != null) {
        String refused = CliSupport.refusal(spec, FIT_OPTIONS, theFitNot(pipeline));
        if (refused != null) {
          return refused;
        }
      }
      if (!List.of("pca", "spark", "none").contains(scaler)) {
        return "--scaler must be pca, spark or none, not '" + scaler + "'";
      }
      if (!List.of("error", "skip", "keep").contains(handleInvalid)) {
        return "--handle-invalid must be error, skip or keep, not '" + handleInvalid + "'";
      }
      if (!List.of("auto", "onnx", "dl4j").contains(backend)) {
        return "--backend must be auto, onnx or dl4j, not '" + backend + "'";
      }
      if (preprocessing != null && !List.of("imagenet", "mobilenet", "caffe", "unit", "raw").contains(preprocessing)) {
        // "custom" needs a mean and a std, which the command line does not take
        return "--preprocessing must be imagenet, mobilenet, caffe, unit or raw, not '" + preprocessing + "'";
      }
      if (inputSize < 0) {
        return "--input-size must be >= 0 (0: the model's), not " + inputSize;
      }
      if (k < 0) {
        return "--k must be > 0 (or 0: choose by --variance), not " + k;
      }
      if (!(variance > 0 && variance <= 1)) {
        return "--variance must be in (0, 1], not " + variance;
      }
      if (batchSize != null && batchSize < 1) {
        return "--batch-size must be > 0, not " + batchSize;
      }
      if (partitions < 0) {
        return "--partitions must be >= 0, not " + partitions;
      }
      String s3Invalid = s3.invalidOption();
      return s3Invalid != null ? s3Invalid : sparkConfInvalid();
    }

    /**
     * What is wrong with the {@code --spark-conf} settings, or null: a blank key, or a key that p9 run sets itself
     * from its options, where two values would contradict each other: {@code spark.master} ({@code --master}, or
     * spark-submit's) and, for a run that reads or writes {@code s3a://}, the S3A settings it makes from
     * {@code --region} and the {@code --s3-*} options. Called after {@code s3.invalidOption()}.
     */
    private String sparkConfInvalid() {
      String invalid = sparkConf.invalidOption();
      if (invalid != null) {
        return invalid;
      }
      Map<String, String> given = sparkConf.values();
      if (given.isEmpty()) {
        return null;
      }
      if (given.containsKey("spark.master")) {
        return "--spark-conf spark.master: p9 run takes the master from --master (under spark-submit, from its"
            + " --master)";
      }
      Map<String, String> s3a = new LinkedHashMap<>();
      try {
        s3.apply(input, output, pipeline != null ? pipeline : model, s3a::put);
      } catch (IllegalArgumentException e) {
        // S3A settings p9 run cannot make (a pool no larger than the threads), as call() refuses them
        return e.getMessage();
      }
      for (String key : given.keySet()) {
        if (s3a.containsKey(key)) {
          return "--spark-conf " + key + ": p9 run sets it itself for s3a://, from --region and the --s3-* options"
              + " (see p9 run --help)";
        }
      }
      return null;
    }
  }
}
