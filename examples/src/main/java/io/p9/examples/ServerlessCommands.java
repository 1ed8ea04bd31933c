package io.p9.examples;

import io.p9.aws.AwsSettings;
import io.p9.aws.Backoff;
import io.p9.aws.DryRun;
import io.p9.aws.SparkJob;
import io.p9.aws.emr.EmrClusterSpec;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import io.p9.aws.serverless.ServerlessLauncher;
import io.p9.aws.serverless.ServerlessRequests;
import io.p9.aws.serverless.ServerlessSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code p9 serverless submit|status|logs}: the Fruits! job on EMR Serverless. */
@Command(name = "serverless", mixinStandardHelpOptions = true,
    description = "Run the Fruits! job on EMR Serverless (EMR 7.x, Spark 3.5, Java 17) in an EU region.",
    subcommands = {ServerlessCommands.Submit.class, ServerlessCommands.Status.class, ServerlessCommands.Logs.class})
final class ServerlessCommands implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return CliSupport.missingSubcommand(spec);
  }

  @Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Upload the job jar to S3, reuse (or create) the EMR Serverless application, updated to the"
          + " --max-cpu/--max-memory/--idle-stop given, start a job run of 'p9 run', wait (reporting state"
          + " changes), print the driver's stderr if it fails.",
          "Example: p9 serverless submit --bucket my-p9 --input s3://my-p9/fruits/Training"
              + " --execution-role-arn arn:aws:iam::123456789012:role/p9-serverless-job"})
  static final class Submit implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Mixin
    JobOptions jobOptions;

    @Option(names = "--execution-role-arn", required = true, description = "the role the job runs as (S3 access;"
        + " see examples/iam/p9-serverless-job-role-policy.json)")
    String executionRole;
    @Option(names = "--application-name", description = "1 to 64 of A-Z a-z 0-9 . _ / # - (default:"
        + " ${DEFAULT-VALUE})", defaultValue = "p9")
    String applicationName;
    @Option(names = "--application-id", description = "use this application (skips the look-up); the options"
        + " that shape a new application (--release, --architecture, --max-cpu, ...) are refused with it")
    String applicationId;
    @Option(names = "--release", description = "EMR release (default: ${DEFAULT-VALUE})",
        defaultValue = EmrClusterSpec.DEFAULT_RELEASE)
    String release;
    @Option(names = "--architecture", description = "X86_64 (default) or ARM64", defaultValue = "X86_64")
    String architecture;
    @Option(names = "--max-cpu", description = "application capacity limit, whole vCPUs, e.g. '32 vCPU'; with"
        + " --max-memory; a reused application is updated to it (none given: it keeps its own)")
    String maxCpu;
    @Option(names = "--max-memory", description = "application capacity limit, whole GB, e.g. '128 GB'; with"
        + " --max-cpu")
    String maxMemory;
    @Option(names = "--idle-stop", description = "the application stops after this long idle: 1m to 7d, whole"
        + " minutes, rounded up (default: 15m for a new application; a reused one is updated to it if given, else"
        + " keeps its own)")
    String idleStop;
    @Option(names = "--log-uri", description = {"where EMR Serverless writes the logs (default:",
        "s3://BUCKET/p9/logs/serverless/); its bucket must lie in an allowed region"})
    String logUri;
    @Option(names = "--tag", description = "KEY=VALUE tag; repeatable (project=p9 always, and no"
        + " other project)")
    Map<String, String> tags = new LinkedHashMap<>();

    /** Options that only find or shape an application p9 creates; a run on {@code --application-id} ignores them. */
    static final List<String> APPLICATION_OPTIONS = List.of("--application-name", "--release", "--architecture",
        "--max-cpu", "--max-memory", "--idle-stop");

    /**
     * Refuses an {@code --application-id} StartJobRun would reject, and options given explicitly next to it, which
     * that application would ignore.
     */
    void checkApplicationOptions() {
      if (applicationId != null) {
        ServerlessRequests.checkApplicationId(applicationId);
        CliSupport.refuseGiven(spec, APPLICATION_OPTIONS, "an application p9 finds or creates; with"
            + " --application-id the run goes to " + applicationId + " as it is");
      }
    }

    ServerlessSpec serverlessSpec() {
      ServerlessSpec.Builder b = ServerlessSpec.builder().applicationName(applicationName).releaseLabel(release)
          .architecture(architecture)
          .idleStop(idleStop == null ? null : CliSupport.minuteToWeek("--idle-stop", idleStop))
          .maxCapacity(maxCpu, maxMemory)
          .executionRoleArn(executionRole)
          .logUri(logUri != null ? S3Location.parse(logUri) : jobOptions.base().resolve("logs/serverless/"))
          .executionTimeout(jobOptions.timeout());
      tags.forEach(b::tag);
      return b.build();
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      return CliSupport.guarded(err, () -> {
        checkApplicationOptions();
        AwsSettings settings = aws.settings();
        String region = settings.region().id();
        ServerlessSpec ss = serverlessSpec();
        Path jar = jobOptions.jar();
        Backoff backoff = jobOptions.backoff();
        S3Location jarFolder = jobOptions.base().resolve("jars/");
        // the job's name and arguments, checked before anything is uploaded or started, also for what StartJobRun
        // takes of them (the jar's folder stands for the jar, whose name the upload gives)
        ServerlessRequests.checkJob(jobOptions.job(jarFolder, aws));
        if (jobOptions.dryRun) {
          SparkJob job = jobOptions.dryRun(out, jar, jarFolder, aws, ss.logUri(), "", region);
          String token = UUID.randomUUID().toString();
          String app = applicationId;
          if (app == null) {
            var create = ServerlessRequests.createApplication(ss, token);
            out.println("# 2. unless an application named '" + applicationName + "' (" + release
                + ") exists: the CreateApplication request");
            out.println(DryRun.requestJson("emr-serverless", "CreateApplication", region, create));
            out.println("# the same with the AWS CLI (APPLICATION_ID=its applicationId)");
            out.println(DryRun.serverlessCreateApplication(create, region));
            app = "$APPLICATION_ID";
            var update = ServerlessRequests.updateApplication(app, ss, null, token);
            if (update.isPresent()) {
              out.println("# if it exists with another maximum capacity or auto-stop than --max-cpu, --max-memory,"
                  + " --idle-stop give: the UpdateApplication request (its disk limit kept); EMR Serverless takes it"
                  + " only while the application is CREATED or STOPPED (one STOPPING is waited for), in another state"
                  + " submit stops before the run");
              out.println(DryRun.requestJson("emr-serverless", "UpdateApplication", region, update.get()));
            }
          }
          var start = ServerlessRequests.startJobRun(app, ss, job, token);
          out.println("# 3. the StartJobRun request");
          out.println(DryRun.requestJson("emr-serverless", "StartJobRun", region, start));
          out.println("# the same with the AWS CLI");
          out.println(DryRun.serverlessStartJobRun(start, region).replace("'$APPLICATION_ID'", "\"$APPLICATION_ID\""));
          out.flush();
          return CliSupport.OK;
        }
        Consumer<String> progress = CliSupport.progress(err);
        CliSupport.checkCredentials(settings, progress);
        try (S3Client s3c = settings.s3(); EmrServerlessClient client = settings.emrServerless()) {
          S3Store s3 = new S3Store(s3c, aws.policy());
          jobOptions.checkBuckets(s3, ss.logUri());
          SparkJob job = jobOptions.upload(s3, jar, jarFolder, aws, ServerlessRequests::checkJob, progress);
          ServerlessLauncher launcher = new ServerlessLauncher(client, s3, progress);
          String app = applicationId != null ? applicationId : launcher.findOrCreateApplication(ss, backoff);
          String run = launcher.startJobRun(app, ss, job);
          out.println("application " + app + " job run " + run);
          out.println("output " + jobOptions.output());
          out.flush();
          if (jobOptions.noWait) {
            return CliSupport.OK;
          }
          ServerlessLauncher.RunResult r = launcher.waitForJobRun(app, run, backoff);
          if (r.succeeded()) {
            out.println(jobOptions.done());
            out.flush();
            return CliSupport.OK;
          }
          err.println("p9: job run " + run + " " + r.state() + (r.details() != null ? ": " + r.details() : ""));
          CliSupport.printFailureLog(err, () -> launcher.driverLog(app, run, ss.logUri(), "stderr"),
              "the driver's stderr", "the driver's stderr is not under " + ss.logUri() + " (yet)",
              "p9 serverless logs --application-id " + app + " --job-run-id " + run + " --log-uri " + ss.logUri());
          return CliSupport.JOB_FAILED;
        }
      });
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a job run's state.")
  static final class Status implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Option(names = "--application-id", required = true,
        description = "the job run's application, as submit printed it")
    String applicationId;
    @Option(names = "--job-run-id", required = true, description = "the job run, as submit printed it")
    String jobRunId;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      return CliSupport.guarded(spec.commandLine().getErr(), () -> {
        AwsSettings settings = aws.settings();
        try (S3Client s3c = settings.s3(); EmrServerlessClient client = settings.emrServerless()) {
          var r = new ServerlessLauncher(client, new S3Store(s3c, aws.policy()), l -> { })
              .status(applicationId, jobRunId);
          out.println("job run " + r.jobRunId() + " " + r.state()
              + (r.details() != null && !r.details().isBlank() ? " (" + r.details() + ")" : ""));
          out.flush();
          return CliSupport.OK;
        }
      });
    }
  }

  @Command(name = "logs", mixinStandardHelpOptions = true,
      description = "Print the end of the driver's stderr (or stdout) from the log URI on S3.")
  static final class Logs implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Option(names = "--application-id", required = true,
        description = "the job run's application, as submit printed it")
    String applicationId;
    @Option(names = "--job-run-id", required = true, description = "the job run, as submit printed it")
    String jobRunId;
    @Option(names = "--log-uri", required = true, description = "the run's log URI (s3://BUCKET/p9/logs/serverless/)")
    String logUri;
    @Option(names = "--file", description = "stderr (default) or stdout", defaultValue = "stderr")
    String file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      return CliSupport.guarded(err, () -> {
        if (!file.equals("stderr") && !file.equals("stdout")) {
          throw new IllegalArgumentException("--file must be stderr or stdout");
        }
        AwsSettings settings = aws.settings();
        try (S3Client s3c = settings.s3(); EmrServerlessClient client = settings.emrServerless()) {
          var text = new ServerlessLauncher(client, new S3Store(s3c, aws.policy()), l -> { })
              .driverLog(applicationId, jobRunId, S3Location.parse(logUri), file);
          return CliSupport.printFetchedLog(out, err, text,
              "no driver " + file + " for job run " + jobRunId + " under " + logUri);
        }
      });
    }
  }
}
