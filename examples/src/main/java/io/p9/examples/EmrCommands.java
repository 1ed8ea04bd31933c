package io.p9.examples;

import io.p9.aws.AwsSettings;
import io.p9.aws.Backoff;
import io.p9.aws.DryRun;
import io.p9.aws.SparkJob;
import io.p9.aws.emr.EmrClusterSpec;
import io.p9.aws.emr.EmrLauncher;
import io.p9.aws.emr.EmrRequests;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.emr.EmrClient;
import software.amazon.awssdk.services.emr.model.RunJobFlowRequest;
import software.amazon.awssdk.services.emr.model.StepSummary;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code p9 emr submit|status|logs|terminate}: the Fruits! job on EMR on EC2. */
@Command(name = "emr", mixinStandardHelpOptions = true,
    description = "Run the Fruits! job on an EMR cluster (EMR 7.x, Spark 3.5, Java 17) in an EU region.",
    subcommands = {EmrCommands.Submit.class, EmrCommands.Status.class, EmrCommands.Logs.class,
        EmrCommands.Terminate.class})
final class EmrCommands implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return CliSupport.missingSubcommand(spec);
  }

  @Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Upload the job jar to S3, create a cluster whose Spark step runs 'p9 run' on it, wait"
          + " (reporting state changes), print the step's stderr if it fails. The cluster ends after the step"
          + " unless --keep-alive.", "Example: p9 emr submit --bucket my-p9 --input s3://my-p9/fruits/Training"})
  static final class Submit implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Mixin
    JobOptions jobOptions;

    @Option(names = "--release", description = "EMR release (default: ${DEFAULT-VALUE})",
        defaultValue = EmrClusterSpec.DEFAULT_RELEASE)
    String release;
    @Option(names = "--cluster-name", description = "up to 256 characters (default: ${DEFAULT-VALUE})",
        defaultValue = "p9-fruits")
    String clusterName;
    @Option(names = "--primary-type", description = "primary node type (default: ${DEFAULT-VALUE})",
        defaultValue = "m5.xlarge")
    String primaryType;
    @Option(names = "--core-type", split = ",", description = "core node type(s); several need --fleets (up to 5,"
        + " 30 with --spot; default: ${DEFAULT-VALUE})", defaultValue = "m5.xlarge")
    List<String> coreTypes;
    @Option(names = "--core-count", description = "core nodes (default: ${DEFAULT-VALUE})", defaultValue = "2")
    int coreCount;
    @Option(names = "--spot", description = "core nodes on spot (the primary node stays on demand)")
    boolean spot;
    @Option(names = "--fleets", description = "instance fleets instead of groups (several types; spot falls"
        + " back to on-demand)")
    boolean fleets;
    @Option(names = "--subnet", description = "EC2 subnet id")
    String subnet;
    @Option(names = "--key-name", description = "EC2 key pair for SSH")
    String keyName;
    @Option(names = "--service-role", defaultValue = "EMR_DefaultRole", description = "default: ${DEFAULT-VALUE}")
    String serviceRole;
    @Option(names = "--instance-profile", defaultValue = "EMR_EC2_DefaultRole",
        description = "default: ${DEFAULT-VALUE}")
    String instanceProfile;
    @Option(names = "--security-configuration", description = "EMR security configuration name")
    String securityConfiguration;
    @Option(names = "--log-uri", description = {"where EMR writes the logs (default:", "s3://BUCKET/p9/logs/emr/);"
        + " its bucket must lie in an allowed region"})
    String logUri;
    @Option(names = "--tag", description = "KEY=VALUE tag; repeatable (project=p9 always, and no"
        + " other project)")
    Map<String, String> tags = new LinkedHashMap<>();
    @Option(names = "--keep-alive", description = "keep the cluster after the step")
    boolean keepAlive;
    @Option(names = "--idle-timeout", description = "with --keep-alive: the cluster ends after this long idle,"
        + " 1m to 7d (default: ${DEFAULT-VALUE})", defaultValue = "1h")
    String idleTimeout;
    @Option(names = "--cluster-id", description = "add the step to this running cluster instead of creating one;"
        + " a failed step leaves it running (ActionOnFailure CONTINUE); the bucket of that cluster's log URI must"
        + " lie in an allowed region too; the options that shape a new cluster"
        + " (node types, --log-uri, --tag...) are refused with it")
    String clusterId;

    /** Options that shape a cluster p9 creates; a step added with {@code --cluster-id} cannot honour them. */
    static final List<String> CLUSTER_OPTIONS = List.of("--release", "--cluster-name", "--primary-type", "--core-type",
        "--core-count", "--spot", "--fleets", "--subnet", "--key-name", "--service-role", "--instance-profile",
        "--security-configuration", "--log-uri", "--tag", "--keep-alive", "--idle-timeout");

    /** Refuses options given explicitly next to {@code --cluster-id}, which the running cluster would ignore. */
    void checkClusterOptions() {
      if (clusterId != null) {
        CliSupport.refuseGiven(spec, CLUSTER_OPTIONS, "a cluster p9 creates; with --cluster-id the step runs on "
            + clusterId + " as it is (its logs go where that cluster's do)");
      }
    }

    /**
     * Refuses {@code --idle-timeout} without {@code --keep-alive}: a cluster that ends after its step has no idle
     * time.
     */
    void checkIdleTimeout() {
      if (!keepAlive && spec.commandLine().getParseResult().hasMatchedOption("--idle-timeout")) {
        throw new IllegalArgumentException("--idle-timeout needs --keep-alive: without it the cluster ends after"
            + " its step");
      }
    }

    EmrClusterSpec clusterSpec() {
      EmrClusterSpec.Builder b = EmrClusterSpec.builder().name(clusterName).releaseLabel(release)
          .logUri(logUri != null ? S3Location.parse(logUri) : jobOptions.base().resolve("logs/emr/"))
          .primaryType(primaryType).coreTypes(coreTypes).coreCount(coreCount)
          .coreMarket(spot ? EmrClusterSpec.Market.SPOT : EmrClusterSpec.Market.ON_DEMAND).fleets(fleets)
          .subnetId(subnet).keyName(keyName).serviceRole(serviceRole).instanceProfile(instanceProfile)
          .securityConfiguration(securityConfiguration).keepAlive(keepAlive)
          .idleTimeout(CliSupport.minuteToWeek("--idle-timeout", idleTimeout));
      tags.forEach(b::tag);
      return b.build();
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      return CliSupport.guarded(err, () -> {
        checkClusterOptions();
        checkIdleTimeout();
        AwsSettings settings = aws.settings();
        String region = settings.region().id();
        EmrClusterSpec cluster = clusterSpec();
        // a step added to a running cluster logs where that cluster does: --log-uri is not used, and a real
        // run reads that cluster's log URI (DescribeCluster) to check its bucket with the others
        S3Location logUri = clusterId == null ? cluster.logUri() : null;
        Path jar = jobOptions.jar();
        Backoff backoff = jobOptions.backoff();
        S3Location jarFolder = jobOptions.base().resolve("jars/");
        // the job's name and arguments, checked before anything is uploaded or started, also for what a step takes
        // of them (the jar's folder stands for the jar, whose name the upload gives)
        EmrRequests.checkJob(jobOptions.job(jarFolder, aws));
        if (jobOptions.dryRun) {
          SparkJob job = jobOptions.dryRun(out, jar, jarFolder, aws, logUri, clusterId == null ? ""
              : ", and the bucket of " + clusterId + "'s own log URI (read with DescribeCluster)", region);
          if (clusterId == null) {
            RunJobFlowRequest r = EmrRequests.runJobFlow(cluster, job);
            out.println("# 2. the RunJobFlow request");
            out.println(DryRun.requestJson("emr", "RunJobFlow", region, r));
            out.println("# the same with the AWS CLI");
            out.println(DryRun.emrCreateCluster(r, region));
          } else {
            var r = EmrRequests.addStep(clusterId, job);
            out.println("# 2. the AddJobFlowSteps request");
            out.println(DryRun.requestJson("emr", "AddJobFlowSteps", region, r));
            out.println("# the same with the AWS CLI");
            out.println(DryRun.emrAddSteps(r, region));
          }
          out.flush();
          return CliSupport.OK;
        }
        Consumer<String> progress = CliSupport.progress(err);
        CliSupport.checkCredentials(settings, progress);
        try (S3Client s3c = settings.s3(); EmrClient emr = settings.emr()) {
          S3Store s3 = new S3Store(s3c, aws.policy());
          EmrLauncher launcher = new EmrLauncher(emr, s3, progress);
          if (clusterId != null) {
            logUri = launcher.logUriOfRunning(clusterId).orElse(null);
          }
          jobOptions.checkBuckets(s3, logUri);
          SparkJob job = jobOptions.upload(s3, jar, jarFolder, aws, EmrRequests::checkJob, progress);
          String cid;
          String sid;
          if (clusterId == null) {
            EmrLauncher.Launched l = launcher.launch(cluster, job);
            cid = l.clusterId();
            sid = l.stepId();
          } else {
            cid = clusterId;
            sid = launcher.addStep(clusterId, job);
          }
          out.println("cluster " + cid + " step " + sid);
          out.println("output " + jobOptions.output());
          out.println("console https://" + region + ".console.aws.amazon.com/emr/home?region=" + region
              + "#/clusterDetails/" + cid);
          out.flush();
          if (jobOptions.noWait) {
            return CliSupport.OK;
          }
          EmrLauncher.StepResult r = launcher.waitForStep(cid, sid, backoff);
          if (r.succeeded()) {
            out.println(jobOptions.done());
            out.flush();
            return CliSupport.OK;
          }
          err.println("p9: step " + sid + " " + r.state() + (r.reason() != null ? ": " + r.reason() : "")
              + (r.message() != null ? " - " + r.message() : "")
              + (r.logFile() != null ? " (" + r.logFile() + ")" : ""));
          if (!r.started()) {
            err.println("p9: step " + sid + " never started (EMR gives it no start time), so it has no stderr");
            return CliSupport.JOB_FAILED;
          }
          CliSupport.printFailureLog(err, () -> launcher.stepLog(cid, sid, "stderr"), "the step's stderr",
              "the step's stderr is not on S3 yet (EMR copies logs every few minutes)",
              "p9 emr logs --cluster-id " + cid + " --step-id " + sid);
          return CliSupport.JOB_FAILED;
        }
      });
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a cluster's state and steps.")
  static final class Status implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Option(names = "--cluster-id", required = true, description = "e.g. j-2AXXXXXXGAPLF")
    String clusterId;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      return CliSupport.guarded(spec.commandLine().getErr(), () -> {
        AwsSettings settings = aws.settings();
        try (S3Client s3c = settings.s3(); EmrClient emr = settings.emr()) {
          EmrLauncher.ClusterStatus st = new EmrLauncher(emr, new S3Store(s3c, aws.policy()), l -> { })
              .status(clusterId);
          out.println("cluster " + st.clusterId() + " '" + st.name() + "' " + st.state()
              + (st.stateReason() != null ? " (" + st.stateReason() + ")" : ""));
          out.println("logs " + st.logUri());
          for (StepSummary s : st.steps()) {
            out.println("step " + s.id() + " '" + s.name() + "' " + s.status().stateAsString()
                + (s.status().failureDetails() != null && s.status().failureDetails().message() != null
                    ? " - " + s.status().failureDetails().message() : ""));
          }
          out.flush();
          return CliSupport.OK;
        }
      });
    }
  }

  @Command(name = "logs", mixinStandardHelpOptions = true,
      description = "Print the end of a step's stderr (or another of its logs) from the cluster's log URI on S3.")
  static final class Logs implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Option(names = "--cluster-id", required = true, description = "the step's cluster, e.g. j-2AXXXXXXGAPLF")
    String clusterId;
    @Option(names = "--step-id", required = true, description = "the step, as submit printed it, e.g. s-1XXXXXXXXXXXX")
    String stepId;
    @Option(names = "--file", description = "the step's stderr (default), stdout, controller or syslog",
        defaultValue = "stderr")
    String file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      return CliSupport.guarded(err, () -> {
        if (!List.of("stderr", "stdout", "controller", "syslog").contains(file)) {
          throw new IllegalArgumentException("--file must be stderr, stdout, controller or syslog");
        }
        AwsSettings settings = aws.settings();
        try (S3Client s3c = settings.s3(); EmrClient emr = settings.emr()) {
          var text = new EmrLauncher(emr, new S3Store(s3c, aws.policy()), l -> { }).stepLog(clusterId, stepId, file);
          return CliSupport.printFetchedLog(out, err, text,
              "no " + file + " for step " + stepId + " on S3 yet (EMR copies logs every few minutes)");
        }
      });
    }
  }

  @Command(name = "terminate", mixinStandardHelpOptions = true, description = "Terminate a cluster.")
  static final class Terminate implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    AwsOptions aws;
    @Option(names = "--cluster-id", required = true, description = "the cluster to terminate, e.g. j-2AXXXXXXGAPLF")
    String clusterId;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      return CliSupport.guarded(err, () -> {
        AwsSettings settings = aws.settings();
        try (S3Client s3c = settings.s3(); EmrClient emr = settings.emr()) {
          new EmrLauncher(emr, new S3Store(s3c, aws.policy()), CliSupport.progress(err)).terminate(clusterId);
          return CliSupport.OK;
        }
      });
    }
  }
}
