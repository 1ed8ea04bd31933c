package io.p9.aws.serverless;

import io.p9.aws.SparkJob;
import io.p9.aws.internal.ApiConstraints;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.emrserverless.model.AutoStartConfig;
import software.amazon.awssdk.services.emrserverless.model.AutoStopConfig;
import software.amazon.awssdk.services.emrserverless.model.ConfigurationOverrides;
import software.amazon.awssdk.services.emrserverless.model.CreateApplicationRequest;
import software.amazon.awssdk.services.emrserverless.model.JobDriver;
import software.amazon.awssdk.services.emrserverless.model.MaximumAllowedResources;
import software.amazon.awssdk.services.emrserverless.model.MonitoringConfiguration;
import software.amazon.awssdk.services.emrserverless.model.S3MonitoringConfiguration;
import software.amazon.awssdk.services.emrserverless.model.SparkSubmit;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunRequest;
import software.amazon.awssdk.services.emrserverless.model.UpdateApplicationRequest;

/**
 * The EMR Serverless API requests for a p9 job, built without calling AWS: what
 * {@link ServerlessLauncher} sends and what {@code --dry-run} prints. Each takes its idempotency token
 * (one per submission; the SDK's own retries reuse it, so a retried call does not start a second run), so
 * that the printed request is the one sent.
 */
public final class ServerlessRequests {
  /** The most entry point arguments StartJobRun takes. */
  private static final int MAX_ARGUMENTS = 1024;
  /** The longest sparkSubmitParameters StartJobRun takes. */
  private static final int MAX_SPARK_SUBMIT_PARAMETERS = 102_400;
  /** An application id as StartJobRun and GetApplication take it. */
  private static final Pattern APPLICATION_ID = Pattern.compile("[0-9a-z]+");

  private ServerlessRequests() {}

  /**
   * {@code d} in the whole minutes EMR Serverless takes, rounded up: an application stops no sooner, and a
   * run is cancelled no sooner, than asked ({@code 20s} is 1 minute, {@code 90s} 2 minutes).
   */
  static long minutesRoundedUp(Duration d) {
    long m = d.toMinutes();
    return d.compareTo(Duration.ofMinutes(m)) > 0 ? m + 1 : m;
  }

  /**
   * {@return the {@code CreateApplication} request: a Spark application of {@code spec}'s name, release and
   * architecture that starts by itself, stops after {@code spec}'s idle time (else
   * {@link ServerlessSpec#DEFAULT_IDLE_STOP}), with its tags and its maximum capacity, if any}
   *
   * @param spec the application settings
   * @param clientToken the idempotency token: a resent request creates one application
   */
  public static CreateApplicationRequest createApplication(ServerlessSpec spec, String clientToken) {
    CreateApplicationRequest.Builder b = CreateApplicationRequest.builder()
        .name(spec.applicationName())
        .type("SPARK")
        .releaseLabel(spec.releaseLabel())
        .architecture(spec.architecture())
        .autoStartConfiguration(AutoStartConfig.builder().enabled(true).build())
        .autoStopConfiguration(AutoStopConfig.builder().enabled(true)
            .idleTimeoutMinutes((int) minutesRoundedUp(spec.idleStop() != null ? spec.idleStop()
                : ServerlessSpec.DEFAULT_IDLE_STOP)).build())
        .tags(spec.tags());
    if (spec.maxCpu() != null) {
      b.maximumCapacity(MaximumAllowedResources.builder().cpu(spec.maxCpu()).memory(spec.maxMemory()).build());
    }
    b.clientToken(clientToken);
    return b.build();
  }

  /**
   * {@code UpdateApplication} of a reused application to the settings {@code spec} gives: its maximum capacity
   * (keeping the application's {@code disk} limit, if not null) and auto-stop after {@code idleStop}; a setting
   * {@code spec} leaves null is not sent, so the application keeps its own. Empty when {@code spec} gives neither.
   * EMR Serverless takes it only while the application is CREATED or STOPPED.
   *
   * @param applicationId the application
   * @param spec the settings
   * @param disk the application's disk limit, or null
   * @param clientToken the idempotency token
   * @return the request, if there is anything to update
   */
  public static Optional<UpdateApplicationRequest> updateApplication(String applicationId, ServerlessSpec spec,
      String disk, String clientToken) {
    if (spec.maxCpu() == null && spec.idleStop() == null) {
      return Optional.empty();
    }
    UpdateApplicationRequest.Builder b = UpdateApplicationRequest.builder().applicationId(applicationId);
    if (spec.maxCpu() != null) {
      b.maximumCapacity(MaximumAllowedResources.builder().cpu(spec.maxCpu()).memory(spec.maxMemory()).disk(disk)
          .build());
    }
    if (spec.idleStop() != null) {
      b.autoStopConfiguration(AutoStopConfig.builder().enabled(true)
          .idleTimeoutMinutes((int) minutesRoundedUp(spec.idleStop())).build());
    }
    return Optional.of(b.clientToken(clientToken).build());
  }

  /**
   * Checks that {@code id} is an application id as StartJobRun takes it: 1 to 64 of {@code 0-9 a-z}.
   *
   * @param id the application id
   * @throws IllegalArgumentException if it is not
   */
  public static void checkApplicationId(String id) {
    ApiConstraints.check("EMR Serverless application id", id, 1, 64, APPLICATION_ID, "among 0-9 a-z");
  }

  /**
   * Checks that {@code job} is one StartJobRun takes: at most 1024 job arguments (entry point arguments), none
   * blank, and spark-submit parameters ({@link SparkJob#sparkSubmitParameters}: no {@code --conf} value with
   * spaces) of at most 102400 characters.
   *
   * @param job the Spark job
   * @throws IllegalArgumentException naming what it breaks
   */
  public static void checkJob(SparkJob job) {
    List<String> args = job.args();
    if (args.size() > MAX_ARGUMENTS) {
      throw new IllegalArgumentException("EMR Serverless takes at most " + MAX_ARGUMENTS + " job arguments, got "
          + args.size());
    }
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).isBlank()) {
        throw new IllegalArgumentException("EMR Serverless cannot pass a blank job argument: argument " + (i + 1)
            + " of " + args.size());
      }
    }
    int length = job.sparkSubmitParameters().length();
    if (length > MAX_SPARK_SUBMIT_PARAMETERS) {
      throw new IllegalArgumentException("EMR Serverless takes spark-submit parameters (--class and the --conf's)"
          + " of at most " + MAX_SPARK_SUBMIT_PARAMETERS + " characters, got " + length);
    }
  }

  /**
   * {@code StartJobRun} ({@link #checkJob checked}): the jar as entry point, the job's arguments,
   * {@code --class} and {@code --conf}s as spark-submit parameters, logs to {@code <logUri>} (S3 monitoring
   * configuration).
   *
   * @param applicationId the application
   * @param spec the role, log folder, timeout and tags of the run
   * @param job the Spark job
   * @param clientToken the idempotency token: a resent request starts one run
   * @return the request
   * @throws IllegalArgumentException if the job is one StartJobRun does not take
   */
  public static StartJobRunRequest startJobRun(String applicationId, ServerlessSpec spec, SparkJob job,
      String clientToken) {
    checkJob(job);
    return StartJobRunRequest.builder()
        .applicationId(applicationId)
        .name(job.name())
        .executionRoleArn(spec.executionRoleArn())
        .jobDriver(JobDriver.builder().sparkSubmit(SparkSubmit.builder()
            .entryPoint(job.jar().s3Uri())
            .entryPointArguments(job.args())
            .sparkSubmitParameters(job.sparkSubmitParameters())
            .build()).build())
        .configurationOverrides(ConfigurationOverrides.builder()
            .monitoringConfiguration(MonitoringConfiguration.builder()
                .s3MonitoringConfiguration(S3MonitoringConfiguration.builder().logUri(spec.logUri().s3Uri()).build())
                .build())
            .build())
        .executionTimeoutMinutes(minutesRoundedUp(spec.executionTimeout()))
        .tags(spec.tags())
        .clientToken(clientToken)
        .build();
  }
}
