package io.p9.examples;

import io.p9.aws.DryRun;
import io.p9.aws.Durations;
import io.p9.aws.RegionPolicy;
import io.p9.aws.SparkJob;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.core.model.ModelSpec;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** What {@code emr submit} and {@code serverless submit} run: the job jar, the Fruits! job's arguments. */
public final class JobOptions {
  /** The submit command these options belong to: which of them were given. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--bucket", required = true, description = "S3 bucket for the job jar (p9/jars/), the logs"
      + " (p9/logs/) and, by default, the output; it must exist, in an allowed region")
  String bucket;

  @Option(names = "--input", required = true, description = "images on S3 (s3://bucket/prefix; s3a:// works too);"
      + " its bucket must lie in an allowed region, as must those of --output, --model, --pipeline, --log-uri and"
      + " of S3 URIs in --spark-conf values")
  String input;

  // a URI in the help starts a line (a description element of its own): picocli breaks lines after "s3:" too
  @Option(names = "--output", description = {"output on S3 (default:", "s3://BUCKET/p9/output/<time>/)"})
  String output;

  @Option(names = "--model", description = {"model URI the cluster can read, e.g.", "s3://BUCKET/models/m.onnx,"
      + " or a file on this machine, uploaded with its .p9.json sidecar next to the job jar (default: the int8"
      + " MobileNetV2 inside the job jar)"},
      defaultValue = P9Cli.BUNDLED_MODEL)
  String model;

  @Option(names = "--pipeline", description = {"a saved PipelineModel that p9 run --pipeline can apply, on S3, e.g.",
      "s3://BUCKET/p9/output/<time>/pipeline-model, or a folder on this machine, uploaded next to the job jar: the"
      + " job applies it to --input, fitting and saving nothing; --model, --k and --variance are refused with it"})
  String pipeline;

  /** The options of {@code p9 run} that shape a fit, which a saved {@code --pipeline} fixed. */
  static final List<String> FIT_OPTIONS = List.of("--model", "--k", "--variance");

  @Option(names = "--k", defaultValue = "0",
      description = "number of principal components (overrides --variance; default 0: chosen by --variance)")
  int k;

  @Option(names = "--variance", description = "explained variance to keep (default: ${DEFAULT-VALUE})",
      defaultValue = "0.95")
  double variance;

  @Option(names = "--jar", description = "the job jar (default: the jar p9 runs from, or"
      + " examples/target/p9-examples-*-job.jar; build it with mvn -B -DskipTests package -pl examples -am)")
  Path jar;

  @Mixin
  SparkConfOptions sparkConf = new SparkConfOptions();

  @Option(names = "--name", description = "name of the step / job run, 1 to 256 characters (default:"
      + " ${DEFAULT-VALUE})", defaultValue = "p9 fruits")
  String name;

  @Option(names = "--dry-run", description = "print the exact requests (JSON) and the equivalent aws CLI"
      + " commands; call nothing")
  boolean dryRun;

  @Option(names = "--no-wait", description = "return once submitted")
  boolean noWait;

  @Option(names = "--timeout", description = "give up waiting after this long; on EMR Serverless also the run's"
      + " execution timeout, in whole minutes rounded up (default: ${DEFAULT-VALUE})", defaultValue = "3h")
  String timeout;

  @Option(names = "--poll", hidden = true, description = "first wait between status polls", defaultValue = "10s")
  String poll;

  @Parameters(paramLabel = "JOB_ARG", description = "more arguments for 'p9 run' on the cluster (after --)")
  List<String> extraArgs = new ArrayList<>();

  private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

  S3Location base() {
    return new S3Location(bucket, "p9/");
  }

  String output() {
    return output != null ? output : base().resolve("output/" + stamp + "/").s3Uri();
  }

  /**
   * {@code --timeout}, above 0: with none, {@code emr submit} started a cluster and stopped waiting for it at once,
   * leaving it running unwatched.
   */
  Duration timeout() {
    Duration d = CliSupport.duration("--timeout", timeout);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("--timeout must be above 0, not '" + timeout + "'");
    }
    return d;
  }

  /**
   * Checks, before anything is uploaded or started, that {@code --bucket} exists, can be reached and lies in
   * an allowed region ({@link S3Store#checkBucket}), and that every other bucket the job reads or writes lies
   * in an allowed region too ({@link S3Store#checkDataBucket}), each bucket once: those of {@code --input},
   * {@code --output}, {@code --model} and {@code --pipeline} on S3, of {@code logUri} (where EMR or EMR
   * Serverless writes the logs; null when p9 does not choose it), and of the S3 URIs among the
   * {@code --spark-conf} values (e.g. {@code spark.eventLog.dir}, or {@code spark.jars} with several,
   * comma-separated). Keeps each bucket's region, which {@link #runArgs} passes to the job.
   */
  void checkBuckets(S3Store s3, S3Location logUri) {
    String home = s3.checkBucket(bucket);
    if (home != null) {
      bucketRegions.put(bucket, home);
    }
    for (String b : dataBuckets(logUri)) {
      String region = s3.checkDataBucket(b);
      if (region != null) {
        bucketRegions.put(b, region);
      }
    }
  }

  /** The region of each bucket, as {@link #checkBuckets} found it; empty before (and in a dry run). */
  private final Map<String, String> bucketRegions = new LinkedHashMap<>();

  /** For a dry run, which calls nothing: the line saying what {@link #checkBuckets} checks in a real run. */
  private String bucketsChecked(RegionPolicy policy, S3Location logUri) {
    Set<String> all = new LinkedHashSet<>(List.of(bucket));
    all.addAll(dataBuckets(logUri));
    return "# 0. a real run first checks that these buckets exist in the allowed regions " + policy.allowed() + ": "
        + String.join(", ", all);
  }

  /** For a dry run: the line saying what a real run adds to the job's arguments for a bucket in another region. */
  private static String bucketRegionsAdded(String region) {
    return "# and gives the job --s3-bucket-region BUCKET=REGION for each of them in another region than " + region
        + " (S3A reaches an s3a:// bucket through " + region + "'s endpoint otherwise)";
  }

  /** The buckets {@link #checkBuckets} checks for their region only: all but {@code --bucket}, each once. */
  private Set<String> dataBuckets(S3Location logUri) {
    List<String> uris = new ArrayList<>(List.of(input, output(), model));
    if (pipeline != null) {
      uris.add(pipeline);
    }
    if (logUri != null) {
      uris.add(logUri.s3Uri());
    }
    for (String value : sparkConf.values().values()) {
      uris.addAll(List.of(value.split(",")));
    }
    Set<String> b = new LinkedHashSet<>();
    for (String uri : uris) {
      if (S3Location.isS3(uri.trim())) {
        b.add(S3Location.parse(uri.trim()).bucket());
      }
    }
    b.remove(bucket);
    return b;
  }

  /** Polls after {@code --poll} (10 s), doubling up to six times that, for {@code --timeout} in all. */
  io.p9.aws.Backoff backoff() {
    Duration p = Durations.parse(poll);
    return new io.p9.aws.Backoff(p, 2.0, p.multipliedBy(6), timeout(), io.p9.aws.Backoff.SYSTEM);
  }

  /** The job jar, checked. */
  Path jar() {
    Path j = jar != null ? jar : findJar();
    if (j == null || !Files.isRegularFile(j)) {
      throw new IllegalArgumentException("no job jar" + (j != null ? " at " + j : "") + ": build it with"
          + " mvn -B -DskipTests package -pl examples -am, or pass --jar");
    }
    return j;
  }

  static Path findJar() {
    try {
      Path self = Paths.get(P9Cli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (self.getFileName().toString().endsWith("-job.jar")) {
        return self;
      }
    } catch (Exception e) {
      // not from a file: look in the build folder
    }
    for (Path dir : List.of(Paths.get("examples/target"), Paths.get("target"))) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.list(dir)) {
          Path p = s.filter(f -> f.getFileName().toString().matches("p9-examples-.*-job\\.jar")).findFirst()
              .orElse(null);
          if (p != null) {
            return p;
          }
        } catch (java.io.IOException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** A {@code --model} that is a file on this machine, which the launcher uploads; null for a URI. */
  Path localModel() {
    return localFile(model);
  }

  /** A local model, its sidecar (null when none), where they go on S3, and their sha256 as hashed then. */
  private record Placement(Path model, Path sidecar, S3Location target, String modelSha, String sidecarSha) {}

  /** The {@link #placement}, once computed; {@link #NO_PLACEMENT} for a model given as a URI. */
  private Placement placement;
  private static final Placement NO_PLACEMENT = new Placement(null, null, null, null, null);

  /**
   * Where the launcher puts a {@link #localModel}: {@code p9/jars/models/<tag>/<its file name>}, its sidecar
   * {@code <file name>.p9.json}, when there is one, beside it. The tag is the start of a sha256 over both
   * files, so a changed model or sidecar goes to a new folder, and a model without a sidecar never sits next
   * to one left by an earlier upload (the job would read it). Null for a model given as a URI; a path with no
   * file here is refused.
   * Computed once per submit (the job's arguments, the dry run's copies and the upload all use it): the files
   * are read and hashed once, and the job reads the model where it is uploaded even if the files change on
   * disk meanwhile.
   */
  S3Location modelTarget() {
    return placement().target();
  }

  private Placement placement() {
    if (placement == null) {
      Path local = localModel();
      if (local == null) {
        if (!model.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) {
          // a path with no file here (a typo) would reach the cluster as it is and fail there, once it is up
          throw new IllegalArgumentException("--model " + model + " is no file on this machine: give a file here,"
              + " which is uploaded, or a URI the cluster can read (s3://bucket/key, hdfs://...)");
        }
        placement = NO_PLACEMENT;
      } else {
        Path sidecar = sidecar(local);
        String modelSha = S3Store.sha256(local);
        String sidecarSha = sidecar != null ? S3Store.sha256(sidecar) : null;
        String tag = tag(modelSha + (sidecarSha != null ? sidecarSha : ""));
        placement = new Placement(local, sidecar, base().resolve("jars/models/" + tag + "/" + local.getFileName()),
            modelSha, sidecarSha);
      }
    }
    return placement;
  }

  /** The first 12 hex digits of the sha256 of {@code text}, ASCII. */
  private static String tag(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.US_ASCII))).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A local pipeline folder, its files, and where they go on S3. */
  private record PipelinePlacement(Path folder, List<Path> files, S3Location target) {}

  /** The {@link #pipelinePlacement}, once computed; {@link #NO_PIPELINE_PLACEMENT} for a pipeline on S3 or none. */
  private PipelinePlacement pipelinePlacement;
  private static final PipelinePlacement NO_PIPELINE_PLACEMENT = new PipelinePlacement(null, List.of(), null);

  /**
   * Where the launcher puts a {@code --pipeline} that is a folder on this machine (a path or a {@code file:} URI):
   * {@code p9/jars/pipelines/<tag>/<folder name>/}, every file under the folder at its relative path. The tag is
   * the start of a sha256 over the files' relative paths and sha256s, so another pipeline, or the same one
   * changed, goes to another folder, and no file an earlier upload left is read with it. Null for a pipeline on
   * S3, or none. Computed once per submit, as {@link #modelTarget}. Refuses (IllegalArgumentException) a
   * pipeline that is neither on S3 nor a folder here, and a folder that holds no saved PipelineModel (no
   * {@code metadata/} inside).
   */
  S3Location pipelineTarget() {
    return pipelinePlacement().target();
  }

  private PipelinePlacement pipelinePlacement() {
    if (pipelinePlacement == null) {
      pipelinePlacement = pipeline == null || S3Location.isS3(pipeline) ? NO_PIPELINE_PLACEMENT
          : placePipeline(localPath(pipeline));
    }
    return pipelinePlacement;
  }

  private PipelinePlacement placePipeline(Path folder) {
    if (folder == null || !Files.isDirectory(folder)) {
      throw new IllegalArgumentException("--pipeline must be on S3 (s3://bucket/prefix/pipeline-model) or a folder"
          + " on this machine, which is uploaded, got " + pipeline);
    }
    if (!Files.isDirectory(folder.resolve("metadata"))) {
      throw new IllegalArgumentException("--pipeline " + pipeline + " is not a saved PipelineModel folder: no"
          + " metadata/ inside");
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(folder)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + folder, e);
    }
    StringBuilder listing = new StringBuilder();
    for (Path f : files) {
      listing.append(relative(folder, f)).append('\0').append(S3Store.sha256(f)).append('\n');
    }
    Path name = folder.toAbsolutePath().normalize().getFileName();
    return new PipelinePlacement(folder, files, base().resolve("jars/pipelines/" + tag(listing.toString()) + "/"
        + (name != null ? name + "/" : "")));
  }

  /** {@code file}'s path under {@code folder}, with '/' between names, as an S3 key. */
  private static String relative(Path folder, Path file) {
    return folder.relativize(file).toString().replace(java.io.File.separatorChar, '/');
  }

  /** Uploads the files of a local {@code --pipeline} to {@link #pipelineTarget}; does nothing for one on S3. */
  void uploadPipeline(S3Store s3, Consumer<String> progress) {
    PipelinePlacement p = pipelinePlacement();
    if (p.target() == null) {
      return;
    }
    for (Path f : p.files()) {
      s3.uploadAs(f, p.target().resolve(relative(p.folder(), f)));
    }
    progress.accept("pipeline at " + p.target() + " (" + p.files().size() + " files)");
  }

  /**
   * Dry run: what a real run uploads before it starts the job: the job jar {@code jar} to {@code jarTarget}, a
   * local {@code --model} with its sidecar, a local {@code --pipeline} folder; a heading line, then the
   * commands.
   */
  private List<String> dryRunUploads(Path jar, String jarSha, S3Location jarTarget, String region) {
    List<String> lines = new ArrayList<>(List.of("# 1. upload the job jar" + (localModel() != null ? " and the model"
        : "") + (pipelineTarget() != null ? " and the pipeline" : ""), DryRun.s3Copy(jar, jarTarget, region, jarSha)));
    lines.addAll(modelCopies(region));
    PipelinePlacement p = pipelinePlacement();
    if (p.target() != null) {
      lines.add(DryRun.s3CopyFolder(p.folder(), p.target(), region));
    }
    return lines;
  }

  /** The sidecar of the local model {@code model}, if there is one. */
  static Path sidecar(Path model) {
    Path s = model.resolveSibling(model.getFileName() + ModelSpec.SIDECAR_SUFFIX);
    return Files.isRegularFile(s) ? s : null;
  }

  /**
   * Dry run: the commands that put a local {@code --model} (and its sidecar) where the job will read it;
   * none for a model given as a URI.
   */
  List<String> modelCopies(String region) {
    Placement p = placement();
    if (p.target() == null) {
      return List.of();
    }
    List<String> c = new ArrayList<>(List.of(DryRun.s3Copy(p.model(), p.target(), region, p.modelSha())));
    if (p.sidecar() != null) {
      c.add(DryRun.s3Copy(p.sidecar(), S3Location.parse(p.target().s3Uri() + ModelSpec.SIDECAR_SUFFIX), region,
          p.sidecarSha()));
    }
    return c;
  }

  /** Uploads a local {@code --model} and its sidecar to {@link #modelTarget}; does nothing for a URI. */
  void uploadModel(S3Store s3, Consumer<String> progress) {
    Placement p = placement();
    if (p.target() == null) {
      return;
    }
    if (p.sidecar() != null) {
      s3.uploadAs(p.sidecar(), S3Location.parse(p.target().s3Uri() + ModelSpec.SIDECAR_SUFFIX));
    }
    s3.uploadAs(p.model(), p.target());
    progress.accept("model at " + p.target() + (p.sidecar() != null ? " with its sidecar" : ""));
  }

  /**
   * The arguments of {@code p9 run} on the cluster. {@code --input} and {@code --output} must be on S3; a
   * {@code --model} on this machine is given as the S3 URI {@link #uploadModel} puts it at. With
   * {@code --pipeline}, on S3 or a folder here (given as the S3 URI {@link #uploadPipeline} puts it at), the job
   * applies it: no {@code --model}, {@code --k} or {@code --variance} (refused when given). Each bucket that
   * {@link #checkBuckets} found in another region than {@code --region} is passed as
   * {@code --s3-bucket-region BUCKET=REGION}: S3A reaches a bucket through {@code --region}'s endpoint otherwise,
   * which fails for it (EMRFS, {@code s3://} on EMR, finds the region itself). A {@code --s3-bucket-region} among
   * the job's arguments after {@code --} for a bucket {@link #checkBuckets} found in another region is refused,
   * as the job would use it instead of the one found; one naming the region found is passed once.
   */
  List<String> runArgs(AwsOptions aws) {
    if (!io.p9.aws.s3.S3Location.isS3(input)) {
      throw new IllegalArgumentException("--input must be on S3 (s3://bucket/prefix), got " + input);
    }
    if (!io.p9.aws.s3.S3Location.isS3(output())) {
      // a path or hdfs: URI would be written to the cluster's own disks, which go when the cluster ends
      throw new IllegalArgumentException("--output must be on S3 (s3://bucket/prefix), got " + output()
          + ": anything else is written to the cluster's own disks and lost with them");
    }
    S3Location in = S3Location.parse(input).asFolder();
    S3Location out = S3Location.parse(output()).asFolder();
    if (!input.matches(".*[*?\\[{].*") && in.bucket().equals(out.bucket()) && out.key().startsWith(in.key())) {
      // p9 run refuses it too, but on the cluster (a glob only there)
      throw new IllegalArgumentException("--output " + output() + " is inside --input " + input + ": a later run"
          + " over that input would read this run's outputs as images");
    }
    List<String> a = new ArrayList<>(List.of("run", "--input", input, "--output", output()));
    if (pipeline != null) {
      S3Location uploaded = pipelineTarget();
      CliSupport.refuseGiven(command, FIT_OPTIONS, P9Cli.Run.theFitNot(pipeline));
      a.addAll(List.of("--pipeline", uploaded != null ? uploaded.s3Uri() : pipeline));
    } else {
      S3Location uploaded = modelTarget();
      a.addAll(List.of("--model", uploaded != null ? uploaded.s3Uri() : model));
      if (k != 0) {
        a.addAll(List.of("--k", Integer.toString(k)));
      } else {
        a.addAll(List.of("--variance", Double.toString(variance)));
      }
    }
    String region = aws.regions.checked();
    a.addAll(List.of("--region", region));
    for (String r : aws.regions.allowRegions) {
      a.addAll(List.of("--allow-region", r));
    }
    List<String> given = new ArrayList<>(a.subList(1, a.size()));
    if (k != 0 && command.commandLine().getParseResult().hasMatchedOption("--variance")) {
      // not passed next to --k, which overrides it, but a bad value all the same, as p9 run says
      given.addAll(List.of("--variance", Double.toString(variance)));
    }
    given.addAll(extraArgs);
    Map<String, String> givenRegions = checkRunArgs(given).s3.bucketRegions;
    bucketRegions.forEach((b, r) -> {
      String g = givenRegions.get(b);
      if (g != null && !g.trim().equalsIgnoreCase(r)) {
        throw new IllegalArgumentException("the job's argument --s3-bucket-region " + b + "=" + g + " contradicts S3,"
            + " which has bucket '" + b + "' in " + r + ": leave it out (submit passes each bucket's region)");
      }
      if (g == null && !r.equals(region)) {
        a.addAll(List.of("--s3-bucket-region", b + "=" + r));
      }
    });
    a.addAll(extraArgs);
    checkRunArgs(a.subList(1, a.size()));
    return a;
  }

  /** The existing file on this machine that {@code uri} names (a path, or a {@code file:} URI), else null. */
  static Path localFile(String uri) {
    Path p = localPath(uri);
    return p != null && Files.isRegularFile(p) ? p : null;
  }

  /** The path on this machine that {@code uri} names (a path, or a {@code file:} URI), else null. */
  private static Path localPath(String uri) {
    if (uri.regionMatches(true, 0, "file:", 0, "file:".length())) {
      try {
        return Paths.get(new URI(uri).getPath());
      } catch (URISyntaxException e) {
        return null;
      }
    }
    return uri.contains(":") ? null : Paths.get(uri);
  }

  /**
   * Parses {@code args} as {@code p9 run} will on the cluster and checks its option values, so that a bad
   * value ({@code --k -3}, {@code --variance 1.5}, an unknown or repeated option among the extra arguments,
   * a {@code --k} above the bundled model's feature dimension) is refused here, before anything is uploaded
   * or started, and not by the step after a cluster was paid for. A {@code --k} for another model, which only
   * the job reads, is checked by the job before its CNN pass. Returns the options as parsed.
   */
  static P9Cli.Run checkRunArgs(List<String> args) {
    P9Cli.Run run = new P9Cli.Run();
    try {
      new CommandLine(run).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException("the job's arguments: " + e.getMessage());
    }
    String invalid = run.invalidOption();
    if (invalid != null) {
      throw new IllegalArgumentException(invalid);
    }
    if (run.k > P9Cli.BUNDLED_FEATURE_DIM && run.model.equals(P9Cli.BUNDLED_MODEL) && run.featureTensor == null) {
      // FruitsJob's own sentence for it
      throw new IllegalArgumentException("k = " + run.k + " is larger than the model's feature dimension "
          + P9Cli.BUNDLED_FEATURE_DIM + " (" + run.model + "): PCA gives at most that many components");
    }
    return run;
  }

  /** What a successful job leaves, and where: the line a submit that waited ends with. */
  String done() {
    return "done: features" + (pipeline != null ? " and report.json under " + output() + " (pipeline applied: "
        + pipeline + ")" : ", pipeline model and report.json under " + output());
  }

  SparkJob job(S3Location jarLocation, AwsOptions aws) {
    Map<String, String> conf = sparkConf.checked();
    return new SparkJob(name, jarLocation, P9Cli.class.getName(), runArgs(aws), conf);
  }

  /**
   * Dry run: prints which buckets a real run checks ({@link #bucketsChecked}, then {@code alsoChecked}) and what it
   * uploads; returns the job as it would start it, on the job jar {@code jar} where the upload into
   * {@code jarFolder} would put it.
   */
  SparkJob dryRun(PrintWriter out, Path jar, S3Location jarFolder, AwsOptions aws, S3Location logUri,
      String alsoChecked, String region) {
    String jarSha = S3Store.sha256(jar);
    SparkJob job = job(S3Store.uploadTarget(jar, jarSha, jarFolder), aws);
    out.println(bucketsChecked(aws.policy(), logUri) + alsoChecked);
    out.println(bucketRegionsAdded(region));
    dryRunUploads(jar, jarSha, job.jar(), region).forEach(out::println);
    return job;
  }

  /**
   * Checks the job with {@code check} (the launcher's checks of what its request takes) and uploads what it
   * needs: the job jar {@code jar} into {@code jarFolder}, a local {@code --model} and {@code --pipeline}; returns
   * the job, on the uploaded jar. Called after {@link #checkBuckets}.
   */
  SparkJob upload(S3Store s3, Path jar, S3Location jarFolder, AwsOptions aws, Consumer<SparkJob> check,
      Consumer<String> progress) {
    // again with the --s3-bucket-region arguments of the regions found, before the upload
    check.accept(job(jarFolder, aws));
    // the job runs the jar where this upload put it: the jar is hashed once per submit, so a jar built
    // again meanwhile cannot make the job name another object than the one uploaded
    S3Location uploaded = s3.upload(jar, jarFolder);
    progress.accept("job jar at " + uploaded);
    SparkJob job = job(uploaded, aws);
    uploadModel(s3, progress);
    uploadPipeline(s3, progress);
    return job;
  }
}
