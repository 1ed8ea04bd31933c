package io.p9.aws.emr;

import io.p9.aws.internal.ApiConstraints;
import io.p9.aws.internal.ProjectTag;
import io.p9.aws.s3.S3Location;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The EMR cluster a p9 job runs on: its name has up to 256 characters, with no control characters but tabs and
 * line breaks, as RunJobFlow takes. Defaults: release {@value #DEFAULT_RELEASE} (Spark 3.5, Java 17),
 * one {@code m5.xlarge} primary node on demand and two {@code m5.xlarge} core nodes on demand, as instance
 * groups; roles {@code EMR_DefaultRole} / {@code EMR_EC2_DefaultRole}; the cluster ends when its steps are
 * done ({@code keepAlive=false}); a kept-alive cluster ends after {@code idleTimeout} (1 h) idle; tag
 * {@code project=p9}, which other tags may join but not replace: at most 50 tags, keys of 1 to 128 and values of up
 * to 256 letters, digits, white space and {@code _ . : / = + - @}, no {@code aws:} prefix. Immutable; build with
 * {@link #builder()}.
 */
public final class EmrClusterSpec {
  /** The EMR release a cluster runs unless told otherwise. */
  public static final String DEFAULT_RELEASE = "emr-7.9.0";
  /** Where Amazon Corretto 17 lives on EMR 7 nodes. */
  public static final String JAVA17_HOME = "/usr/lib/jvm/jre-17";

  /** A cluster name: the characters XML allows. */
  private static final Pattern NAME = Pattern.compile("[" + ApiConstraints.XML_CHARS + "]*");
  /** An EC2 instance type: family (with options, as in {@code m7i-flex}) and size, e.g. {@code r7g.2xlarge}. */
  private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*\\.[a-z0-9]+(-[a-z0-9]+)*");
  /** The characters of tag keys and values: letters, digits, white space and {@code _ . : / = + - @}. */
  private static final Pattern TAG_CHARS = Pattern.compile("[\\p{L}\\p{M}\\p{N}\\p{Z}\\s_.:/=+\\-@]*");

  /** How core nodes are bought. */
  public enum Market {
    /** On-demand instances. */
    ON_DEMAND,
    /** Spot instances (a fleet falls back to on-demand). */
    SPOT
  }

  private final String name;
  private final String releaseLabel;
  private final S3Location logUri;
  private final String primaryType;
  private final List<String> coreTypes;
  private final int coreCount;
  private final Market coreMarket;
  private final boolean fleets;
  private final String serviceRole;
  private final String instanceProfile;
  private final String subnetId;
  private final String keyName;
  private final String securityConfiguration;
  private final Map<String, String> tags;
  private final boolean keepAlive;
  private final Duration idleTimeout;
  private final Map<String, String> sparkDefaults;
  private final String javaHome;
  private final Integer ebsRootVolumeGb;

  private EmrClusterSpec(Builder b) {
    if (b.logUri == null) {
      throw new IllegalArgumentException("a log URI (s3://bucket/prefix/) is required: step logs are read from it");
    }
    if (!b.releaseLabel.matches("emr-7\\.\\d+\\.\\d+")) {
      throw new IllegalArgumentException("release '" + b.releaseLabel + "' is not an EMR 7.x release (emr-7.N.N):"
          + " p9 needs Spark 3.5 on Java 17");
    }
    if (b.coreTypes.isEmpty()) {
      throw new IllegalArgumentException("at least one core instance type");
    }
    if (!b.fleets && b.coreTypes.size() > 1) {
      throw new IllegalArgumentException("several core instance types need instance fleets (--fleets)");
    }
    // without an allocation strategy a fleet takes 5 instance types, with one 30; p9 sets one for spot only
    if (b.fleets && b.coreMarket == Market.ON_DEMAND && b.coreTypes.size() > 5) {
      throw new IllegalArgumentException("an on-demand core fleet takes at most 5 instance types, got "
          + b.coreTypes.size() + ": EMR takes up to 30 only with an allocation strategy, which p9 sets for spot"
          + " (--spot)");
    }
    if (b.fleets && b.coreTypes.size() > 30) {
      throw new IllegalArgumentException("a spot core fleet takes at most 30 instance types, got "
          + b.coreTypes.size());
    }
    // refused here, before p9 uploads anything, rather than by EMR once the request is sent
    for (String type : Stream.concat(Stream.of(b.primaryType), b.coreTypes.stream()).toList()) {
      if (!INSTANCE_TYPE.matcher(type).matches()) {
        throw new IllegalArgumentException("'" + type + "' is not an EC2 instance type (family.size, e.g."
            + " m5.xlarge)");
      }
    }
    if (b.serviceRole.isBlank() || b.instanceProfile.isBlank()) {
      throw new IllegalArgumentException("the service role and the instance profile may not be blank");
    }
    if (b.coreCount < 1) {
      throw new IllegalArgumentException("core node count must be >= 1");
    }
    if (b.idleTimeout.compareTo(Duration.ofMinutes(1)) < 0 || b.idleTimeout.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("idle timeout must be between 1 minute and 7 days");
    }
    ApiConstraints.check("EMR cluster name", b.name, 0, 256, NAME, ApiConstraints.XML_RULE);
    ProjectTag.check(b.tags);
    ApiConstraints.tags("EMR", b.tags, TAG_CHARS, "among letters, digits, white space and _ . : / = + - @");
    this.name = b.name;
    this.releaseLabel = b.releaseLabel;
    this.logUri = b.logUri.asFolder();
    this.primaryType = b.primaryType;
    this.coreTypes = List.copyOf(b.coreTypes);
    this.coreCount = b.coreCount;
    this.coreMarket = b.coreMarket;
    this.fleets = b.fleets;
    this.serviceRole = b.serviceRole;
    this.instanceProfile = b.instanceProfile;
    this.subnetId = b.subnetId;
    this.keyName = b.keyName;
    this.securityConfiguration = b.securityConfiguration;
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
    this.keepAlive = b.keepAlive;
    this.idleTimeout = b.idleTimeout;
    this.sparkDefaults = Collections.unmodifiableMap(new LinkedHashMap<>(b.sparkDefaults));
    this.javaHome = b.javaHome;
    this.ebsRootVolumeGb = b.ebsRootVolumeGb;
  }

  /** {@return a builder with the defaults above; a log URI must be given} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the cluster name} */
  public String name() {
    return name;
  }

  /** {@return the EMR release, an EMR 7.x one ({@code emr-7.N.N})} */
  public String releaseLabel() {
    return releaseLabel;
  }

  /** {@return the S3 folder EMR writes the cluster and step logs to (required: step logs are read from it)} */
  public S3Location logUri() {
    return logUri;
  }

  /** {@return the primary node's instance type} */
  public String primaryType() {
    return primaryType;
  }

  /** {@return the core nodes' instance types (more than one only with instance fleets)} */
  public List<String> coreTypes() {
    return coreTypes;
  }

  /** {@return the number of core nodes} */
  public int coreCount() {
    return coreCount;
  }

  /** {@return how core nodes are bought} */
  public Market coreMarket() {
    return coreMarket;
  }

  /** {@return whether the nodes are instance fleets rather than instance groups} */
  public boolean fleets() {
    return fleets;
  }

  /** {@return the EMR service role} */
  public String serviceRole() {
    return serviceRole;
  }

  /** {@return the EC2 instance profile of the nodes} */
  public String instanceProfile() {
    return instanceProfile;
  }

  /** {@return the VPC subnet of the nodes, or null for the default VPC} */
  public String subnetId() {
    return subnetId;
  }

  /** {@return the EC2 key pair for SSH to the nodes, or null for none} */
  public String keyName() {
    return keyName;
  }

  /** {@return the EMR security configuration, or null for none} */
  public String securityConfiguration() {
    return securityConfiguration;
  }

  /** {@return the cluster tags, {@code project=p9} among them} */
  public Map<String, String> tags() {
    return tags;
  }

  /** {@return whether the cluster stays up when its steps are done (then it ends after {@link #idleTimeout()} idle)} */
  public boolean keepAlive() {
    return keepAlive;
  }

  /** {@return how long a kept-alive cluster may be idle before it ends} */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** {@return the extra {@code spark-defaults} the cluster is configured with (besides {@code JAVA_HOME})} */
  public Map<String, String> sparkDefaults() {
    return sparkDefaults;
  }

  /** {@return the {@code JAVA_HOME} of Spark, YARN and Hadoop on the nodes} */
  public String javaHome() {
    return javaHome;
  }

  /** {@return the size of each node's EBS root volume in GiB, or null for EMR's default} */
  public Integer ebsRootVolumeGb() {
    return ebsRootVolumeGb;
  }

  /** Builder; see {@link EmrClusterSpec} for the defaults. */
  public static final class Builder {
    private String name = "p9-fruits";
    private String releaseLabel = DEFAULT_RELEASE;
    private S3Location logUri;
    private String primaryType = "m5.xlarge";
    private List<String> coreTypes = List.of("m5.xlarge");
    private int coreCount = 2;
    private Market coreMarket = Market.ON_DEMAND;
    private boolean fleets;
    private String serviceRole = "EMR_DefaultRole";
    private String instanceProfile = "EMR_EC2_DefaultRole";
    private String subnetId;
    private String keyName;
    private String securityConfiguration;
    private final Map<String, String> tags = new LinkedHashMap<>(Map.of("project", "p9"));
    private boolean keepAlive;
    private Duration idleTimeout = Duration.ofHours(1);
    private final Map<String, String> sparkDefaults = new LinkedHashMap<>();
    private String javaHome = JAVA17_HOME;
    private Integer ebsRootVolumeGb;

    private Builder() {}

    /**
     * Sets the cluster name (default {@code p9-fruits}).
     *
     * @param v up to 256 characters
     * @return this builder
     */
    public Builder name(String v) {
      this.name = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the EMR release, an EMR 7.x one ({@code emr-7.N.N}) (default {@value #DEFAULT_RELEASE}).
     *
     * @param v the release label
     * @return this builder
     */
    public Builder releaseLabel(String v) {
      this.releaseLabel = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the S3 folder EMR writes the cluster and step logs to (required: step logs are read from it).
     *
     * @param v the log folder
     * @return this builder
     */
    public Builder logUri(S3Location v) {
      this.logUri = v;
      return this;
    }

    /**
     * Sets the primary node's instance type (default {@code m5.xlarge}).
     *
     * @param v an EC2 instance type
     * @return this builder
     */
    public Builder primaryType(String v) {
      this.primaryType = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the core nodes' instance types (more than one only with instance fleets) (default {@code m5.xlarge}).
     *
     * @param v EC2 instance types, at least one
     * @return this builder
     */
    public Builder coreTypes(List<String> v) {
      this.coreTypes = List.copyOf(v);
      return this;
    }

    /**
     * Sets the number of core nodes (default 2).
     *
     * @param v the count (&ge; 1)
     * @return this builder
     */
    public Builder coreCount(int v) {
      this.coreCount = v;
      return this;
    }

    /**
     * Sets how core nodes are bought (default on demand).
     *
     * @param v on demand or spot
     * @return this builder
     */
    public Builder coreMarket(Market v) {
      this.coreMarket = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Instance fleets (several instance types, spot falling back to on-demand) instead of groups: up to 5 core
     * instance types on demand, 30 on spot (where p9 sets an allocation strategy).
     *
     * @param v whether to use instance fleets (default false)
     * @return this builder
     */
    public Builder fleets(boolean v) {
      this.fleets = v;
      return this;
    }

    /**
     * Sets the EMR service role (default {@code EMR_DefaultRole}).
     *
     * @param v the role name
     * @return this builder
     */
    public Builder serviceRole(String v) {
      this.serviceRole = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the EC2 instance profile of the nodes (default {@code EMR_EC2_DefaultRole}).
     *
     * @param v the profile name
     * @return this builder
     */
    public Builder instanceProfile(String v) {
      this.instanceProfile = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the VPC subnet of the nodes, or null for the default VPC.
     *
     * @param v a subnet id, or null
     * @return this builder
     */
    public Builder subnetId(String v) {
      this.subnetId = v;
      return this;
    }

    /**
     * Sets the EC2 key pair for SSH to the nodes, or null for none.
     *
     * @param v a key pair name, or null
     * @return this builder
     */
    public Builder keyName(String v) {
      this.keyName = v;
      return this;
    }

    /**
     * Sets the EMR security configuration, or null for none.
     *
     * @param v its name, or null
     * @return this builder
     */
    public Builder securityConfiguration(String v) {
      this.securityConfiguration = v;
      return this;
    }

    /**
     * Adds a cluster tag; {@code project=p9} stays.
     *
     * @param key the tag key (1 to 128 characters, no {@code aws:} prefix)
     * @param value its value (up to 256 characters)
     * @return this builder
     */
    public Builder tag(String key, String value) {
      tags.put(key, value);
      return this;
    }

    /**
     * Keeps the cluster after the step (then it ends after {@link #idleTimeout} idle).
     *
     * @param v whether to keep it (default false)
     * @return this builder
     */
    public Builder keepAlive(boolean v) {
      this.keepAlive = v;
      return this;
    }

    /**
     * Sets how long a kept-alive cluster may be idle before it ends (default 1 h).
     *
     * @param v between 1 minute and 7 days
     * @return this builder
     */
    public Builder idleTimeout(Duration v) {
      this.idleTimeout = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Adds a {@code spark-defaults} property of the cluster.
     *
     * @param key a Spark conf key
     * @param value its value
     * @return this builder
     */
    public Builder sparkDefault(String key, String value) {
      sparkDefaults.put(key, value);
      return this;
    }

    /**
     * Sets the {@code JAVA_HOME} of Spark, YARN and Hadoop on the nodes (default {@value #JAVA17_HOME}).
     *
     * @param v a JDK folder on the nodes
     * @return this builder
     */
    public Builder javaHome(String v) {
      this.javaHome = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Sets the size of each node's EBS root volume in GiB, or null for EMR's default.
     *
     * @param v the size in GiB, or null
     * @return this builder
     */
    public Builder ebsRootVolumeGb(Integer v) {
      this.ebsRootVolumeGb = v;
      return this;
    }

    /**
     * {@return the spec}
     *
     * @throws IllegalArgumentException if a value is out of range or missing (the message names it)
     */
    public EmrClusterSpec build() {
      return new EmrClusterSpec(this);
    }
  }
}
