package io.p9.aws.serverless;

import io.p9.aws.AwsFailure;
import io.p9.aws.Backoff;
import io.p9.aws.Durations;
import io.p9.aws.SparkJob;
import io.p9.aws.s3.S3Location;
import io.p9.aws.s3.S3Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.Application;
import software.amazon.awssdk.services.emrserverless.model.ApplicationState;
import software.amazon.awssdk.services.emrserverless.model.ApplicationSummary;
import software.amazon.awssdk.services.emrserverless.model.Architecture;
import software.amazon.awssdk.services.emrserverless.model.AutoStopConfig;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.emrserverless.model.MaximumAllowedResources;

/**
 * Runs a p9 job on EMR Serverless with the AWS SDK v2: {@link #findOrCreateApplication} reuses an
 * application with the same name, type, release and architecture (or creates one), waiting until it is
 * CREATED, and updates a reused one to the maximum capacity and idle stop asked, {@link #startJobRun} starts the
 * run, {@link #waitForJobRun} polls with back-off reporting state changes
 * (SUBMITTED, PENDING, SCHEDULED, RUNNING, then SUCCESS, FAILED or CANCELLED), and {@link #driverLog} reads
 * the driver's {@code stderr}/{@code stdout} from the log URI. API errors come back as {@link AwsFailure};
 * throttling is retried by the SDK client, and a wait rides out polls that still fail transiently
 * ({@link AwsFailure#isTransient}).
 */
public final class ServerlessLauncher {
  private static final Set<String> TERMINAL = Set.of("SUCCESS", "FAILED", "CANCELLED");
  private static final Set<ApplicationState> REUSABLE = Set.of(ApplicationState.CREATING, ApplicationState.CREATED,
      ApplicationState.STARTING, ApplicationState.STARTED, ApplicationState.STOPPING, ApplicationState.STOPPED);

  private final EmrServerlessClient client;
  private final S3Store s3;
  private final Consumer<String> progress;

  /**
   * A launcher on the given clients.
   *
   * @param client the EMR Serverless client
   * @param s3 the store the driver logs are read from
   * @param progress receives one line per event (state change, upload, ...)
   */
  public ServerlessLauncher(EmrServerlessClient client, S3Store s3, Consumer<String> progress) {
    this.client = Objects.requireNonNull(client);
    this.s3 = Objects.requireNonNull(s3);
    this.progress = Objects.requireNonNull(progress);
  }

  /**
   * How a job run ended (or stands): its state and EMR Serverless's details.
   *
   * @param applicationId the application
   * @param jobRunId the job run
   * @param state its state, e.g. {@code RUNNING}, {@code SUCCESS}, {@code FAILED}
   * @param details EMR Serverless's state details, or null
   */
  public record RunResult(String applicationId, String jobRunId, String state, String details) {
    /** {@return whether the run succeeded} */
    public boolean succeeded() {
      return "SUCCESS".equals(state);
    }
  }

  /**
   * The id of a usable application as {@code spec} describes it: an existing one with its name, release and
   * architecture, or a new one once CREATED. A reused one whose maximum capacity or auto-stop differs from those
   * {@code spec} gives (not null) is updated to them when CREATED or STOPPED, once STOPPED when STOPPING (waited for
   * with {@code backoff}); in another state (STARTING, STARTED) that fails with an {@link AwsFailure} naming both
   * values, before any run starts.
   *
   * @param spec the application and job settings
   * @param backoff how often to ask about an application being created or stopped, and for how long
   * @return the application id
   * @throws TimeoutException if the application is still being created or stopped when the timeout passes
   * @throws InterruptedException if the thread is interrupted while it waits
   * @throws AwsFailure if a request fails, or a reused application cannot be brought to {@code spec}
   */
  public String findOrCreateApplication(ServerlessSpec spec, Backoff backoff)
      throws TimeoutException, InterruptedException {
    try {
      for (ApplicationSummary a : client.listApplicationsPaginator(b -> b.maxResults(50)).applications()) {
        // an application listed without an architecture has the API's default
        String architecture = a.architecture() == null ? Architecture.X86_64.toString() : a.architectureAsString();
        if (a.name().equals(spec.applicationName()) && "SPARK".equalsIgnoreCase(a.type())
            && spec.releaseLabel().equals(a.releaseLabel()) && spec.architecture().equals(architecture)
            && REUSABLE.contains(a.state())) {
          progress.accept("application " + a.id() + " '" + a.name() + "' (" + a.releaseLabel() + ", "
              + architecture + ", " + a.stateAsString() + ") reused");
          // one that another submit is still creating takes no run yet
          Application app = a.state() == ApplicationState.CREATING
              ? waitWhile(a.id(), ApplicationState.CREATING, backoff) : null;
          bringToSpec(a.id(), app, spec, backoff);
          return a.id();
        }
      }
      String id = client.createApplication(ServerlessRequests.createApplication(spec, UUID.randomUUID().toString()))
          .applicationId();
      progress.accept("application " + id + " '" + spec.applicationName() + "' created (" + spec.releaseLabel() + ")");
      waitWhile(id, ApplicationState.CREATING, backoff);
      return id;
    } catch (SdkException e) {
      throw AwsFailure.of("finding or creating the EMR Serverless application", e);
    }
  }

  /**
   * Brings reused application {@code id} ({@code app} as last read, or null to read it) to the maximum capacity and
   * idle stop {@code spec} gives, where they differ: with UpdateApplication while it is CREATED or STOPPED, the only
   * states EMR Serverless updates an application in, after waiting with {@code backoff} for one STOPPING to stop;
   * in another state it fails, naming both values, rather than run the job with settings other than those asked for.
   */
  private void bringToSpec(String id, Application app, ServerlessSpec spec, Backoff backoff)
      throws TimeoutException, InterruptedException {
    if (spec.maxCpu() == null && spec.idleStop() == null) {
      return;
    }
    Application a = app != null ? app : client.getApplication(b -> b.applicationId(id)).application();
    List<String> differences = differences(a, spec);
    if (!differences.isEmpty() && a.state() == ApplicationState.STOPPING) {
      a = waitWhile(id, ApplicationState.STOPPING, backoff);
      differences = differences(a, spec);
    }
    if (differences.isEmpty()) {
      return;
    }
    if (a.state() != ApplicationState.CREATED && a.state() != ApplicationState.STOPPED) {
      throw new AwsFailure("application " + id + " is " + a.stateAsString() + ", and EMR Serverless changes an"
          + " application only while it is CREATED or STOPPED: " + String.join("; ", differences) + " not made. Run"
          + " again once it has stopped (aws emr-serverless stop-application --application-id " + id + "), without"
          + " the options that differ to use its own settings, or with another application name");
    }
    MaximumAllowedResources max = a.maximumCapacity();
    client.updateApplication(ServerlessRequests.updateApplication(id, spec, max == null ? null : max.disk(),
        UUID.randomUUID().toString()).orElseThrow());
    progress.accept("application " + id + " updated: " + String.join("; ", differences));
  }

  /** How application {@code a}'s maximum capacity and auto-stop differ from those {@code spec} gives (not null). */
  private static List<String> differences(Application a, ServerlessSpec spec) {
    List<String> differences = new ArrayList<>();
    MaximumAllowedResources max = a.maximumCapacity();
    if (spec.maxCpu() != null && (max == null || !sameAmount(max.cpu(), spec.maxCpu())
        || !sameAmount(max.memory(), spec.maxMemory()))) {
      differences.add("maximum capacity " + (max == null ? "none" : max.cpu() + ", " + max.memory()) + " -> "
          + spec.maxCpu() + ", " + spec.maxMemory());
    }
    AutoStopConfig stop = a.autoStopConfiguration();
    long minutes = spec.idleStop() == null ? 0 : ServerlessRequests.minutesRoundedUp(spec.idleStop());
    if (spec.idleStop() != null && (stop == null || !Boolean.TRUE.equals(stop.enabled())
        || stop.idleTimeoutMinutes() == null || stop.idleTimeoutMinutes() != minutes)) {
      differences.add("auto-stop " + (stop == null || !Boolean.TRUE.equals(stop.enabled()) ? "off"
          : "after " + stop.idleTimeoutMinutes() + " min idle") + " -> after " + minutes + " min idle");
    }
    return differences;
  }

  /** Whether two capacities ({@code 32 vCPU}, {@code 32}; {@code 128 GB}, {@code 128gb}) are the same amount. */
  private static boolean sameAmount(String a, String b) {
    return a != null && a.replaceAll("\\D", "").equals(b.replaceAll("\\D", ""));
  }

  /**
   * Polls application {@code id} until it is no longer in {@code passing} (CREATING, STOPPING), reporting its state
   * changes and riding out polls that fail transiently, as {@link #waitForJobRun} does; returns it as last read.
   */
  private Application waitWhile(String id, ApplicationState passing, Backoff backoff)
      throws TimeoutException, InterruptedException {
    long start = backoff.now();
    String[] last = {null};
    try {
      return backoff.until(() -> {
        Application a = client.getApplication(b -> b.applicationId(id)).application();
        if (!a.stateAsString().equals(last[0])) {
          progress.accept(String.format("[%s] application %s %s", Durations.human(backoff.since(start)), id,
              a.stateAsString()));
          last[0] = a.stateAsString();
        }
        if (a.state() == ApplicationState.TERMINATED) {
          throw new AwsFailure("application " + id + " was terminated while " + passing + ": " + a.stateDetails());
        }
        return a.state() == passing ? null : a;
      }, AwsFailure::isTransient, AwsFailure.TRANSIENT_POLLS_TOLERATED,
          AwsFailure.reportingTo(progress, backoff, start, "application " + id));
    } catch (TimeoutException e) {
      throw new TimeoutException("application " + id + " still " + passing + ": " + e.getMessage());
    }
  }

  /**
   * Starts the job run; returns its id.
   *
   * @param applicationId the application
   * @param spec the job settings (role, logs, timeout, tags)
   * @param job the Spark job
   * @return the job run id
   * @throws AwsFailure if the request fails
   */
  public String startJobRun(String applicationId, ServerlessSpec spec, SparkJob job) {
    try {
      String id = client.startJobRun(ServerlessRequests.startJobRun(applicationId, spec, job,
          UUID.randomUUID().toString())).jobRunId();
      progress.accept("job run " + id + " '" + job.name() + "' started on " + applicationId);
      return id;
    } catch (SdkException e) {
      throw AwsFailure.of("starting the job run on " + applicationId, e);
    }
  }

  /**
   * Waits until the run ends (SUCCESS, FAILED or CANCELLED), reporting each state change with the elapsed time.
   *
   * @param applicationId the application
   * @param jobRunId the job run
   * @param backoff how often to ask, and for how long
   * @return how the run ended
   * @throws TimeoutException if the run still goes on when {@code backoff}'s timeout passes
   * @throws InterruptedException if the thread is interrupted while it waits
   * @throws AwsFailure if a poll fails other than transiently, or more than
   *     {@value AwsFailure#TRANSIENT_POLLS_TOLERATED} times in a row
   */
  public RunResult waitForJobRun(String applicationId, String jobRunId, Backoff backoff)
      throws TimeoutException, InterruptedException {
    long start = backoff.now();
    String[] last = {null};
    try {
      return backoff.until(() -> {
        RunResult r = status(applicationId, jobRunId);
        if (!r.state().equals(last[0])) {
          progress.accept(String.format("[%s] job run %s %s%s", Durations.human(backoff.since(start)), jobRunId,
              r.state(), r.details() == null || r.details().isBlank() ? "" : " (" + r.details() + ")"));
          last[0] = r.state();
        }
        return TERMINAL.contains(r.state()) ? r : null;
      }, AwsFailure::isTransient, AwsFailure.TRANSIENT_POLLS_TOLERATED,
          AwsFailure.reportingTo(progress, backoff, start, "job run " + jobRunId));
    } catch (TimeoutException e) {
      throw new TimeoutException("job run " + jobRunId + " still running: " + e.getMessage()
          + "; it goes on (p9 serverless status)");
    }
  }

  /**
   * {@return the run's state now}
   *
   * @param applicationId the application
   * @param jobRunId the job run
   * @throws AwsFailure if the request fails
   */
  public RunResult status(String applicationId, String jobRunId) {
    try {
      JobRun r = client.getJobRun(b -> b.applicationId(applicationId).jobRunId(jobRunId)).jobRun();
      return new RunResult(applicationId, jobRunId, r.stateAsString(), r.stateDetails());
    } catch (SdkException e) {
      throw AwsFailure.of("getting job run " + jobRunId, e);
    }
  }

  /**
   * The tail of the driver's log {@code file} ({@code stderr} or {@code stdout}):
   * {@code <logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/<file>.gz}; empty if not (yet) there.
   *
   * @param applicationId the application
   * @param jobRunId the job run
   * @param logUri the S3 log folder the run was started with
   * @param file {@code stderr} or {@code stdout}
   * @return the last {@value io.p9.aws.emr.EmrLauncher#LOG_TAIL_BYTES} bytes of the log as text, if it is there
   */
  public Optional<String> driverLog(String applicationId, String jobRunId, S3Location logUri, String file) {
    S3Location loc = logUri.asFolder()
        .resolve("applications/" + applicationId + "/jobs/" + jobRunId + "/SPARK_DRIVER/" + file + ".gz");
    return s3.readText(loc, io.p9.aws.emr.EmrLauncher.LOG_TAIL_BYTES);
  }

  /**
   * Cancels the run (idempotent).
   *
   * @param applicationId the application
   * @param jobRunId the job run
   */
  public void cancel(String applicationId, String jobRunId) {
    try {
      client.cancelJobRun(b -> b.applicationId(applicationId).jobRunId(jobRunId));
      progress.accept("job run " + jobRunId + " cancelling");
    } catch (SdkException e) {
      throw AwsFailure.of("cancelling job run " + jobRunId, e);
    }
  }
}
