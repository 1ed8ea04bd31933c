package io.p9.aws.serverless;

import io.p9.aws.Durations;
import io.p9.aws.internal.ApiConstraints;
import io.p9.aws.internal.ProjectTag;
import io.p9.aws.s3.S3Location;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An EMR Serverless application and job run for p9. The application (name, release 7.x, architecture,
 * auto-stop after {@code idleStop}, optional maximum capacity) is reused when one with the same name,
 * type, release and architecture exists, and brought to the {@code idleStop} and maximum capacity given
 * ({@link ServerlessLauncher#findOrCreateApplication}); a null {@code idleStop} is {@link #DEFAULT_IDLE_STOP} for a
 * new application and leaves a reused one's as it is, as no maximum capacity does. Its name has 1 to 64
 * characters among {@code A-Z a-z 0-9 . _ / # -}, as
 * CreateApplication takes. The run needs an execution role (S3 access for the job, see
 * {@code examples/iam/}), writes its logs under {@code logUri} and is cancelled after
 * {@code executionTimeout}. EMR Serverless counts both durations in whole minutes: they are rounded up
 * ({@code idleStop} from 1 minute to 7 days, {@code executionTimeout} above zero and at most 1,000,000
 * minutes). A maximum capacity has both cpu and memory, or neither, written as MaximumAllowedResources
 * takes them: a whole number of vCPUs ({@code 32}, {@code 32 vCPU}) and of GB ({@code 128}, {@code 128 GB}).
 * Tagged {@code project=p9}, which other tags may join but not replace: at most 50 tags, keys of 1 to 128 and
 * values of up to 256 characters among {@code A-Z a-z 0-9 space / _ . : = + @ -}, no {@code aws:} prefix.
 * Immutable; {@link #builder()}.
 *
 * @param applicationName the application name
 * @param releaseLabel the EMR release, an EMR 7.x one
 * @param architecture {@code X86_64} or {@code ARM64}
 * @param idleStop how long the application stays idle before it stops, or null
 * @param maxCpu the application's maximum vCPUs, or null for no maximum capacity
 * @param maxMemory the application's maximum memory in GB, or null for no maximum capacity
 * @param executionRoleArn the IAM role the job runs as
 * @param logUri the S3 folder of the run's logs
 * @param executionTimeout how long the run may take before it is cancelled
 * @param tags the tags of the application and the run, {@code project=p9} among them
 */
public record ServerlessSpec(String applicationName, String releaseLabel, String architecture, Duration idleStop,
    String maxCpu, String maxMemory, String executionRoleArn, S3Location logUri, Duration executionTimeout,
    Map<String, String> tags) {
  /** The characters of an application name (CreateApplication). */
  private static final Pattern APPLICATION_NAME = Pattern.compile("[A-Za-z0-9._/#-]+");
  /** A maximum cpu and memory as MaximumAllowedResources takes them. */
  private static final Pattern MAX_CPU = Pattern.compile("[1-9][0-9]*(\\s)?(vCPU|vcpu|VCPU)?");
  private static final Pattern MAX_MEMORY = Pattern.compile("[1-9][0-9]*(\\s)?(GB|gb|gB|Gb)?");
  /** The characters of tag keys and values (CreateApplication, StartJobRun). */
  private static final Pattern TAG_CHARS = Pattern.compile("[A-Za-z0-9 /_.:=+@-]*");
  /** A role ARN as StartJobRun takes it: an optional path, a name of letters, digits and {@code _+=,.@-}. */
  private static final Pattern EXECUTION_ROLE_ARN =
      Pattern.compile("arn:(aws[a-zA-Z0-9-]*):iam::([0-9]{12}):(role((/)|(/[\\x21-\\x7F]+/))[\\w+=,.@-]+)");
  /** How long a new application stays idle before it stops when {@code idleStop} is null. */
  public static final Duration DEFAULT_IDLE_STOP = Duration.ofMinutes(15);
  /** The longest execution timeout StartJobRun takes. */
  private static final long MAX_EXECUTION_TIMEOUT_MINUTES = 1_000_000;

  /**
   * Checks the values and normalizes them: blank capacities to null, the log URI to a folder, the tags to an
   * unmodifiable copy.
   *
   * @param applicationName the application name
   * @param releaseLabel the EMR release, an EMR 7.x one
   * @param architecture {@code X86_64} or {@code ARM64}
   * @param idleStop how long the application stays idle before it stops, or null
   * @param maxCpu the application's maximum vCPUs, or null for no maximum capacity
   * @param maxMemory the application's maximum memory in GB, or null for no maximum capacity
   * @param executionRoleArn the IAM role the job runs as
   * @param logUri the S3 folder of the run's logs
   * @param executionTimeout how long the run may take before it is cancelled
   * @param tags the tags of the application and the run, {@code project=p9} among them
   * @throws IllegalArgumentException naming the value that EMR Serverless would not take
   */
  public ServerlessSpec {
    Objects.requireNonNull(applicationName, "applicationName");
    ApiConstraints.check("EMR Serverless application name", applicationName, 1, 64, APPLICATION_NAME,
        "among A-Z a-z 0-9 . _ / # -");
    if (!releaseLabel.matches("emr-7\\.\\d+\\.\\d+")) {
      throw new IllegalArgumentException("release '" + releaseLabel + "' is not an EMR 7.x release (emr-7.N.N):"
          + " p9 needs Spark 3.5 on Java 17");
    }
    if (!architecture.equals("X86_64") && !architecture.equals("ARM64")) {
      throw new IllegalArgumentException("architecture must be X86_64 or ARM64");
    }
    if (executionRoleArn == null || executionRoleArn.length() > 2048
        || !EXECUTION_ROLE_ARN.matcher(executionRoleArn).matches()) {
      throw new IllegalArgumentException("an execution role ARN (arn:aws:iam::<account>:role/<name>) is required,"
          + " got '" + executionRoleArn + "'");
    }
    maxCpu = maxCpu == null || maxCpu.isBlank() ? null : maxCpu;
    maxMemory = maxMemory == null || maxMemory.isBlank() ? null : maxMemory;
    if ((maxCpu == null) != (maxMemory == null)) {
      throw new IllegalArgumentException("a maximum capacity needs both cpu and memory (--max-cpu and --max-memory,"
          + " e.g. '32 vCPU' and '128 GB'): EMR Serverless takes neither alone");
    }
    if (maxCpu != null) {
      ApiConstraints.check("maximum cpu", maxCpu, 1, 15, MAX_CPU, "a whole number of vCPUs, e.g. '32 vCPU'");
      ApiConstraints.check("maximum memory", maxMemory, 1, 15, MAX_MEMORY, "a whole number of GB, e.g. '128 GB'");
    }
    if (idleStop != null
        && (idleStop.compareTo(Duration.ofMinutes(1)) < 0 || idleStop.compareTo(Duration.ofDays(7)) > 0)) {
      throw new IllegalArgumentException("idle stop must be between 1 minute and 7 days, got "
          + Durations.human(idleStop));
    }
    Objects.requireNonNull(executionTimeout, "executionTimeout");
    if (executionTimeout.isZero() || executionTimeout.isNegative()) {
      throw new IllegalArgumentException("execution timeout must be positive, got " + executionTimeout);
    }
    if (ServerlessRequests.minutesRoundedUp(executionTimeout) > MAX_EXECUTION_TIMEOUT_MINUTES) {
      throw new IllegalArgumentException("execution timeout must be at most " + MAX_EXECUTION_TIMEOUT_MINUTES
          + " minutes (EMR Serverless's limit), got " + ServerlessRequests.minutesRoundedUp(executionTimeout)
          + " minutes");
    }
    Objects.requireNonNull(logUri, "logUri (s3://bucket/prefix/) is required: driver logs are read from it");
    logUri = logUri.asFolder();
    ProjectTag.check(tags);
    ApiConstraints.tags("EMR Serverless", tags, TAG_CHARS, "among A-Z a-z 0-9 space / _ . : = + @ -");
    tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
  }

  /** {@return a builder with the defaults of {@link Builder}} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builder: application {@code p9}, {@code emr-7.9.0}, X86_64, no idle stop and no maximum capacity given (a new
   * application stops after 15 min idle), run timeout 3 h.
   */
  public static final class Builder {
    private String applicationName = "p9";
    private String releaseLabel = io.p9.aws.emr.EmrClusterSpec.DEFAULT_RELEASE;
    private String architecture = "X86_64";
    private Duration idleStop;
    private String maxCpu;
    private String maxMemory;
    private String executionRoleArn;
    private S3Location logUri;
    private Duration executionTimeout = Duration.ofHours(3);
    private final Map<String, String> tags = new LinkedHashMap<>(Map.of("project", "p9"));

    private Builder() {}

    /**
     * Sets the application name (default {@code p9}).
     *
     * @param v 1 to 64 characters among {@code A-Z a-z 0-9 . _ / # -}
     * @return this builder
     */
    public Builder applicationName(String v) {
      this.applicationName = v;
      return this;
    }

    /**
     * Sets the EMR release (default {@value io.p9.aws.emr.EmrClusterSpec#DEFAULT_RELEASE}).
     *
     * @param v an EMR 7.x release label
     * @return this builder
     */
    public Builder releaseLabel(String v) {
      this.releaseLabel = v;
      return this;
    }

    /**
     * Sets the architecture (default {@code X86_64}).
     *
     * @param v {@code X86_64} or {@code ARM64}
     * @return this builder
     */
    public Builder architecture(String v) {
      this.architecture = v;
      return this;
    }

    /**
     * Sets how long the application stays idle before it stops.
     *
     * @param v between 1 minute and 7 days; null: 15 min for a new one, as it is for a reused one
     * @return this builder
     */
    public Builder idleStop(Duration v) {
      this.idleStop = v;
      return this;
    }

    /**
     * Sets the maximum capacity of the application; both null for none.
     *
     * @param cpu whole vCPUs, e.g. {@code 32 vCPU}
     * @param memory whole GB, e.g. {@code 128 GB}
     * @return this builder
     */
    public Builder maxCapacity(String cpu, String memory) {
      this.maxCpu = cpu;
      this.maxMemory = memory;
      return this;
    }

    /**
     * Sets the IAM role the job runs as (required).
     *
     * @param v a role ARN, {@code arn:aws:iam::<account>:role/<name>}
     * @return this builder
     */
    public Builder executionRoleArn(String v) {
      this.executionRoleArn = v;
      return this;
    }

    /**
     * Sets the S3 folder of the run's logs (required: driver logs are read from it).
     *
     * @param v the log folder
     * @return this builder
     */
    public Builder logUri(S3Location v) {
      this.logUri = v;
      return this;
    }

    /**
     * Sets how long the run may take before it is cancelled (default 3 h).
     *
     * @param v above zero, at most 1,000,000 minutes
     * @return this builder
     */
    public Builder executionTimeout(Duration v) {
      this.executionTimeout = v;
      return this;
    }

    /**
     * Adds a tag of the application and the run; {@code project=p9} stays.
     *
     * @param k the tag key (1 to 128 characters, no {@code aws:} prefix)
     * @param v its value (up to 256 characters)
     * @return this builder
     */
    public Builder tag(String k, String v) {
      tags.put(k, v);
      return this;
    }

    /**
     * {@return the spec}
     *
     * @throws IllegalArgumentException naming the value that EMR Serverless would not take
     * @throws NullPointerException if the log URI is missing
     */
    public ServerlessSpec build() {
      return new ServerlessSpec(applicationName, releaseLabel, architecture, idleStop, maxCpu, maxMemory,
          executionRoleArn, logUri, executionTimeout, tags);
    }
  }
}
