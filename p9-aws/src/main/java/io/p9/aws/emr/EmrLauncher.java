package io.p9.aws.emr;

import io.p9.aws.AwsFailure;
import io.p9.aws.Backoff;
import io.p9.aws.Durations;
import io.p9.aws.SparkJob;
import io.p9.aws.internal.NoResend;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.emr.EmrClient;
import software.amazon.awssdk.services.emr.model.Cluster;
import software.amazon.awssdk.services.emr.model.ClusterState;
import software.amazon.awssdk.services.emr.model.ClusterStateChangeReason;
import software.amazon.awssdk.services.emr.model.FailureDetails;
import software.amazon.awssdk.services.emr.model.RunJobFlowResponse;
import software.amazon.awssdk.services.emr.model.Step;
import software.amazon.awssdk.services.emr.model.StepState;
import software.amazon.awssdk.services.emr.model.StepSummary;
import software.amazon.awssdk.services.emr.model.StepTimeline;

/**
 * Runs a p9 job on EMR on EC2 with the AWS SDK v2: {@link #launch} creates the cluster with the Spark step
 * ({@link EmrRequests}), {@link #addStep} adds it to a running cluster, {@link #waitForStep} polls with
 * back-off and reports every cluster and step state change, {@link #stepLog} reads the step's
 * {@code stderr}/{@code stdout} from the cluster's log URI on S3, {@link #terminate} ends the cluster.
 * API errors come back as {@link AwsFailure}; throttling is retried by the SDK client, and a wait rides out
 * polls that still fail transiently ({@link AwsFailure#isTransient}).
 */
public final class EmrLauncher {
  /** The most of a log that is fetched: the end of it, where the failure is. */
  public static final int LOG_TAIL_BYTES = 64 * 1024;
  /** The states of a cluster that is ending or has ended, and takes no more steps. */
  private static final Set<ClusterState> ENDING = Set.of(ClusterState.TERMINATING, ClusterState.TERMINATED,
      ClusterState.TERMINATED_WITH_ERRORS);

  private final EmrClient emr;
  private final S3Store s3;
  private final Consumer<String> progress;

  /**
   * A launcher on the given clients.
   *
   * @param emr the EMR client
   * @param s3 the store the step logs are read from
   * @param progress receives one line per event (state change, upload, ...)
   */
  public EmrLauncher(EmrClient emr, S3Store s3, Consumer<String> progress) {
    this.emr = Objects.requireNonNull(emr);
    this.s3 = Objects.requireNonNull(s3);
    this.progress = Objects.requireNonNull(progress);
  }

  /** A cluster and the step of the p9 job on it. */
  public record Launched(String clusterId, String stepId) {}

  /**
   * How a step ended: its state and, on failure, EMR's reason, message and log file; for a step that the cluster's
   * ending cancelled or interrupted without details of its own, the cluster's state and reason code as the reason
   * ({@code cluster j-... TERMINATED_WITH_ERRORS, VALIDATION_ERROR}) and its message, and no log file.
   * {@code started} is false when the step's timeline has no start time: it never ran, and wrote no log.
   */
  public record StepResult(String clusterId, String stepId, String state, String reason, String message,
      String logFile, boolean started) {
    /** {@return whether the step completed} */
    public boolean succeeded() {
      return StepState.COMPLETED.toString().equals(state);
    }
  }

  /** A cluster's state and its steps, newest first. */
  public record ClusterStatus(String clusterId, String name, String state, String stateReason, String logUri,
      List<StepSummary> steps) {}

  /**
   * Creates the cluster with {@code job} as its step. RunJobFlow takes no idempotency token, so the request is
   * resent only after a failure that certainly created nothing ({@link NoResend}); after any other, such as a
   * dropped connection, the failure says that the cluster may exist all the same.
   *
   * @param spec the cluster
   * @param job the Spark step
   * @return the ids of the cluster and the step
   * @throws AwsFailure if EMR refuses the request or it fails
   */
  public Launched launch(EmrClusterSpec spec, SparkJob job) {
    String clusterId;
    try {
      RunJobFlowResponse r = emr.runJobFlow(EmrRequests.runJobFlow(spec, job).toBuilder()
          .overrideConfiguration(o -> o.addPlugin(NoResend.PLUGIN)).build());
      clusterId = r.jobFlowId();
    } catch (SdkException e) {
      throw notResent("creating the EMR cluster", e, "EMR may have created the cluster all the same: look for a"
          + " cluster named '" + spec.name() + "' created just now (aws emr list-clusters --active) before"
          + " submitting again");
    }
    progress.accept("cluster " + clusterId + " requested (" + spec.releaseLabel() + ", " + (spec.coreCount())
        + " core nodes " + spec.coreMarket().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ")");
    List<StepSummary> steps = listSteps(clusterId);
    if (steps.isEmpty()) {
      throw new AwsFailure("cluster " + clusterId + " has no step; EMR did not accept the Spark step");
    }
    StepSummary s = steps.get(steps.size() - 1);
    progress.accept("step " + s.id() + " '" + s.name() + "' added");
    return new Launched(clusterId, s.id());
  }

  /**
   * Adds {@code job} to a running cluster, which a failed step leaves running; returns the step id. Like
   * RunJobFlow, AddJobFlowSteps takes no idempotency token: it is resent only as {@link #launch} resends that.
   *
   * @param clusterId the cluster
   * @param job the Spark step
   * @return the step id
   * @throws AwsFailure if EMR refuses the request or it fails
   */
  public String addStep(String clusterId, SparkJob job) {
    try {
      String id = emr.addJobFlowSteps(EmrRequests.addStep(clusterId, job).toBuilder()
          .overrideConfiguration(o -> o.addPlugin(NoResend.PLUGIN)).build()).stepIds().get(0);
      progress.accept("step " + id + " '" + job.name() + "' added to " + clusterId);
      return id;
    } catch (SdkException e) {
      throw notResent("adding the step to " + clusterId, e, "EMR may have added the step all the same: look"
          + " for it (p9 emr status --cluster-id " + clusterId + ") before submitting again");
    }
  }

  /**
   * The failure of a request {@link NoResend} kept from being resent: when it may have taken effect (a transient
   * failure other than throttling), with {@code mayExist} saying what to look for.
   */
  private static AwsFailure notResent(String what, SdkException e, String mayExist) {
    AwsFailure f = AwsFailure.of(what, e);
    return AwsFailure.isTransient(e) && !NoResend.notTakenEffect(e)
        ? new AwsFailure(f.getMessage() + "; " + mayExist, e) : f;
  }

  /**
   * Describes the running cluster {@code clusterId} that a step is to be added to, before anything is uploaded:
   * refuses one that is ending or has ended (TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS), which takes no
   * step, and returns the location of its log URI when that is on S3, so that its bucket can be region-checked
   * like the job's own; empty when the cluster has no log URI or keeps it elsewhere.
   *
   * @param clusterId the cluster
   * @return its S3 log folder, if any
   * @throws AwsFailure if the cluster is ending or has ended, or cannot be described
   */
  public Optional<S3Location> logUriOfRunning(String clusterId) {
    Cluster c = describe(clusterId);
    ClusterState state = c.status() == null ? null : c.status().state();
    if (ENDING.contains(state)) {
      throw new AwsFailure("cluster " + clusterId + " is " + state + " and takes no more steps; start a new one"
          + " (leave out --cluster-id)");
    }
    String logUri = c.logUri();
    return logUri != null && S3Location.isS3(logUri) ? Optional.of(S3Location.parse(logUri)) : Optional.empty();
  }

  /**
   * Waits until the step ends (COMPLETED, FAILED, CANCELLED or INTERRUPTED), reporting each state change
   * of the cluster and the step with the elapsed time.
   *
   * @param clusterId the cluster
   * @param stepId the step
   * @param backoff how often to ask, and for how long
   * @return how the step ended
   * @throws TimeoutException if the step still runs when {@code backoff}'s timeout passes
   * @throws InterruptedException if the thread is interrupted while it waits
   * @throws AwsFailure if a poll fails other than transiently, or more than
   *     {@value AwsFailure#TRANSIENT_POLLS_TOLERATED} times in a row
   */
  public StepResult waitForStep(String clusterId, String stepId, Backoff backoff)
      throws TimeoutException, InterruptedException {
    long start = backoff.now();
    String[] last = {null, null};
    try {
      return backoff.until(() -> {
        Cluster c = emr.describeCluster(b -> b.clusterId(clusterId)).cluster();
        Step s = emr.describeStep(b -> b.clusterId(clusterId).stepId(stepId)).step();
        String cs = c.status().stateAsString();
        String ss = s.status().stateAsString();
        if (!cs.equals(last[0]) || !ss.equals(last[1])) {
          String why = c.status().stateChangeReason() != null && c.status().stateChangeReason().message() != null
              ? " (" + c.status().stateChangeReason().message() + ")" : "";
          progress.accept(String.format("[%s] cluster %s %s%s, step %s %s", Durations.human(backoff.since(start)),
              clusterId, cs, why, stepId, ss));
          last[0] = cs;
          last[1] = ss;
        }
        switch (s.status().state()) {
          case COMPLETED:
          case FAILED:
          case CANCELLED:
          case INTERRUPTED:
            FailureDetails f = s.status().failureDetails();
            StepTimeline t = s.status().timeline();
            boolean started = t == null || t.startDateTime() != null;
            if (f == null && s.status().state() != StepState.COMPLETED && ENDING.contains(c.status().state())) {
              // a cluster that failed or was ended cancels its steps, which then have no details of their own
              ClusterStateChangeReason why = c.status().stateChangeReason();
              String code = why == null ? null : why.codeAsString();
              return new StepResult(clusterId, stepId, ss, "cluster " + clusterId + " " + cs
                  + (code != null ? ", " + code : ""), why == null ? null : why.message(), null, started);
            }
            return new StepResult(clusterId, stepId, ss, f == null ? null : f.reason(),
                f == null ? null : f.message(), f == null ? null : f.logFile(), started);
          default:
            return null;
        }
      }, AwsFailure::isTransient, AwsFailure.TRANSIENT_POLLS_TOLERATED,
          AwsFailure.reportingTo(progress, backoff, start, "step " + stepId));
    } catch (SdkException e) {
      throw AwsFailure.of("waiting for step " + stepId + " of " + clusterId, e);
    } catch (TimeoutException e) {
      throw new TimeoutException("step " + stepId + " of " + clusterId + " still running: " + e.getMessage()
          + "; the cluster keeps running (p9 emr status / terminate)");
    }
  }

  /**
   * The tail of the step's log {@code file} ({@code stderr} or {@code stdout}), read from
   * {@code <logUri>/<cluster>/steps/<step>/<file>.gz}; empty while EMR has not copied it yet (it does so
   * every few minutes and when the cluster ends).
   *
   * @param clusterId the cluster
   * @param stepId the step
   * @param file {@code stderr} or {@code stdout}
   * @return the last {@value #LOG_TAIL_BYTES} bytes of the log as text, if it is there
   * @throws AwsFailure if the cluster has no log URI, or it cannot be read
   */
  public Optional<String> stepLog(String clusterId, String stepId, String file) {
    String logUri = describe(clusterId).logUri();
    if (logUri == null) {
      throw new AwsFailure("cluster " + clusterId + " has no log URI: its step logs are not on S3");
    }
    S3Location loc = S3Location.parse(logUri).asFolder().resolve(clusterId + "/steps/" + stepId + "/" + file + ".gz");
    return s3.readText(loc, LOG_TAIL_BYTES);
  }

  /**
   * {@return the cluster's state and steps}
   *
   * @param clusterId the cluster
   */
  public ClusterStatus status(String clusterId) {
    Cluster c = describe(clusterId);
    String reason = c.status().stateChangeReason() == null ? null : c.status().stateChangeReason().message();
    return new ClusterStatus(c.id(), c.name(), c.status().stateAsString(), reason, c.logUri(), listSteps(clusterId));
  }

  /**
   * Terminates the cluster (idempotent).
   *
   * @param clusterId the cluster
   */
  public void terminate(String clusterId) {
    try {
      emr.terminateJobFlows(b -> b.jobFlowIds(clusterId));
      progress.accept("cluster " + clusterId + " terminating");
    } catch (SdkException e) {
      throw AwsFailure.of("terminating " + clusterId, e);
    }
  }

  private Cluster describe(String clusterId) {
    try {
      return emr.describeCluster(b -> b.clusterId(clusterId)).cluster();
    } catch (SdkException e) {
      throw AwsFailure.of("describing cluster " + clusterId, e);
    }
  }

  private List<StepSummary> listSteps(String clusterId) {
    try {
      return emr.listStepsPaginator(b -> b.clusterId(clusterId)).steps().stream().toList();
    } catch (SdkException e) {
      throw AwsFailure.of("listing the steps of " + clusterId, e);
    }
  }
}
