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
  public static final String DEFAULT_RELEASE = "emr-7.9.0";
  /** Where Amazon Corretto 17 lives on EMR 7 nodes. */
  public static final String JAVA17_HOME = "/usr/lib/jvm/jre-17";

  /** A cluster name: the characters XML allows. */
  private static final Pattern NAME = Pattern.compile("[" + ApiConstraints.XML_CHARS + "]*");
  /** The characters of tag keys and values: letters, digits, white space and {@code _ . : / = + - @}. */
  private static final Pattern TAG_CHARS = Pattern.compile("[\\p{L}\\p{M}\\p{N}\\p{Z}\\s_.:/=+\\-@]*");

  /** How core nodes are bought. */
  public enum Market {
    ON_DEMAND, SPOT
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

  public static Builder builder() {
    return new Builder();
  }

  public String name() {
    return name;
  }

  public String releaseLabel() {
    return releaseLabel;
  }

  public S3Location logUri() {
    return logUri;
  }

  public String primaryType() {
    return primaryType;
  }

  public List<String> coreTypes() {
    return coreTypes;
  }

  public int coreCount() {
    return coreCount;
  }

  public Market coreMarket() {
    return coreMarket;
  }

  public boolean fleets() {
    return fleets;
  }

  public String serviceRole() {
    return serviceRole;
  }

  public String instanceProfile() {
    return instanceProfile;
  }

  public String subnetId() {
    return subnetId;
  }

  public String keyName() {
    return keyName;
  }

  public String securityConfiguration() {
    return securityConfiguration;
  }

  public Map<String, String> tags() {
    return tags;
  }

  public boolean keepAlive() {
    return keepAlive;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public Map<String, String> sparkDefaults() {
    return sparkDefaults;
  }

  public String javaHome() {
    return javaHome;
  }

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

    public Builder name(String v) {
      this.name = Objects.requireNonNull(v);
      return this;
    }

    public Builder releaseLabel(String v) {
      this.releaseLabel = Objects.requireNonNull(v);
      return this;
    }

    public Builder logUri(S3Location v) {
      this.logUri = v;
      return this;
    }

    public Builder primaryType(String v) {
      this.primaryType = Objects.requireNonNull(v);
      return this;
    }

    public Builder coreTypes(List<String> v) {
      this.coreTypes = List.copyOf(v);
      return this;
    }

    public Builder coreCount(int v) {
      this.coreCount = v;
      return this;
    }

    public Builder coreMarket(Market v) {
      this.coreMarket = Objects.requireNonNull(v);
      return this;
    }

    /**
     * Instance fleets (several instance types, spot falling back to on-demand) instead of groups: up to 5 core
     * instance types on demand, 30 on spot (where p9 sets an allocation strategy).
     */
    public Builder fleets(boolean v) {
      this.fleets = v;
      return this;
    }

    public Builder serviceRole(String v) {
      this.serviceRole = Objects.requireNonNull(v);
      return this;
    }

    public Builder instanceProfile(String v) {
      this.instanceProfile = Objects.requireNonNull(v);
      return this;
    }

    public Builder subnetId(String v) {
      this.subnetId = v;
      return this;
    }

    public Builder keyName(String v) {
      this.keyName = v;
      return this;
    }

    public Builder securityConfiguration(String v) {
      this.securityConfiguration = v;
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(key, value);
      return this;
    }

    /** Keep the cluster after the step (then it ends after {@link #idleTimeout} idle). */
    public Builder keepAlive(boolean v) {
      this.keepAlive = v;
      return this;
    }

    public Builder idleTimeout(Duration v) {
      this.idleTimeout = Objects.requireNonNull(v);
      return this;
    }

    public Builder sparkDefault(String key, String value) {
      sparkDefaults.put(key, value);
      return this;
    }

    public Builder javaHome(String v) {
      this.javaHome = Objects.requireNonNull(v);
      return this;
    }

    public Builder ebsRootVolumeGb(Integer v) {
      this.ebsRootVolumeGb = v;
      return this;
    }

    public EmrClusterSpec build() {
      return new EmrClusterSpec(this);
    }
  }
}
