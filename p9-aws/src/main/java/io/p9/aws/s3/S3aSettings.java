package io.p9.aws.s3;

import io.p9.aws.RegionPolicy;
import java.net.URI;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Typed configuration of Hadoop's S3A connector (hadoop-aws 3.3.x, Spark 3.5's line and EMR 7.0-7.3's, and 3.4.x,
 * EMR 7.4 and later's), as
 * the key/value pairs a Hadoop {@code Configuration} ({@link #hadoopProperties()}) or a SparkConf /
 * {@code SparkSession.Builder} ({@link #sparkProperties()}, keys prefixed {@code spark.hadoop.} plus the
 * Spark SQL committer bindings) takes. Apply with e.g. {@code s.applyToSpark(builder::config)} or
 * {@code s.applyToHadoop(conf::set)}; this class has no Spark or Hadoop dependency.
 *
 * <p><b>Credentials</b> ({@link Credentials}): the AWS default chain (environment, system properties, web
 * identity, profile, container and instance role) unless told otherwise. Explicit keys
 * ({@link Builder#staticCredentials}) are for S3-compatible test servers: they go into the configuration
 * only (Spark redacts {@code *.secret.key}/{@code *.access.key}/{@code *token} in its UI and logs), never
 * into {@link #toString()}, {@link #redacted()}, saved pipelines or reports. Prefer roles. An SSE-C key set
 * with {@link Builder#set} is redacted by {@link #redacted()}, but not by Spark's default
 * {@code spark.redaction.regex}.
 *
 * <p><b>Endpoint.</b> Without an override the regional endpoint {@code s3.<region>.amazonaws.com} is used;
 * an override (S3-compatible store, VPC endpoint) usually wants {@link Builder#pathStyle path-style}
 * access; an {@code http://} override turns TLS off. A bucket in another region than {@link #region()}
 * ({@link Builder#bucketRegion}) gets its own region's endpoint and signing region through S3A's per-bucket
 * options ({@code fs.s3a.bucket.<bucket>.endpoint}, {@code fs.s3a.bucket.<bucket>.endpoint.region}): hadoop-aws
 * 3.3 does not follow S3's redirect to another region by itself.
 *
 * <p><b>Many small files</b> (the Fruits-360 layout: 100x100 JPEGs of ~6 KB): one HTTP request per file
 * dominates, so the defaults raise the connection pool to 200 and the upload/copy threads to 64, so that
 * every task thread and the listing and commit threads find a connection; directory markers are kept
 * ({@code fs.s3a.directory.marker.retention=keep}) so that writing a file does not also delete the markers
 * of all its parent folders.
 *
 * <p><b>Committer</b> ({@link Committer}). The default is S3A's <em>magic</em> committer: tasks write
 * straight to S3 as multipart uploads that stay invisible until job commit, which completes them all, so a
 * failed or killed job leaves no partial output (pending uploads are aborted) and no rename (a slow,
 * non-atomic copy on S3) happens. It needs no local disk for the data and no shared cluster file system,
 * which the <em>staging</em> ("directory") committer needs for its task-commit summaries; that matters on
 * EMR Serverless and on clusters without HDFS. The classic rename-based {@code FILE} committer is only for
 * stores without multipart uploads: on S3 it can leave partial output. Spark SQL reaches the S3A
 * committers through a commit protocol bound to Hadoop's committer factory: by default
 * {@value #DEFAULT_COMMIT_PROTOCOL} from p9-spark-ml (Spark's own, in {@code spark-hadoop-cloud}, is not
 * published to Maven Central); {@link Builder#commitProtocolClass} changes it. Apply the committer only to
 * jobs writing to {@code s3a://}: on EMR, {@code s3://} output goes through EMRFS and its own committer.
 *
 * <p><b>Uploads</b> use S3A's block output stream ("fast upload", always on in Hadoop 3) buffered on local
 * disk by default ({@link UploadBuffer}); {@code bytebuffer} keeps blocks off-heap for small outputs.
 */
public final class S3aSettings {
  /**
   * Where S3A credentials come from. Each is named by a class that hadoop-aws 3.3 (AWS SDK v1) loads; hadoop-aws
   * 3.4 (SDK v2) maps the SDK v1 names it knows to SDK v2 classes itself, and {@link #hadoopProperties()} maps the
   * two it does not know ({@link #sdkV2ProviderClass()}).
   */
  public enum Credentials {
    /** The AWS SDK default chain: env, system properties, web identity, profile, container/instance role. */
    DEFAULT_CHAIN("com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
        "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"),
    /** {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}(/{@code AWS_SESSION_TOKEN}). */
    ENVIRONMENT("com.amazonaws.auth.EnvironmentVariableCredentialsProvider", null),
    /** The named profile of {@code AWS_PROFILE} in ~/.aws/credentials. */
    PROFILE("com.amazonaws.auth.profile.ProfileCredentialsProvider", null),
    /** The EC2 instance profile / container role (EMR nodes). */
    INSTANCE_ROLE("org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider", null),
    /** EKS/IRSA web identity token ({@code AWS_WEB_IDENTITY_TOKEN_FILE}, {@code AWS_ROLE_ARN}). */
    WEB_IDENTITY("com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
        "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"),
    /** No credentials: public buckets only. */
    ANONYMOUS("org.apache.hadoop.fs.s3a.AnonymousAWSCredentialsProvider", null),
    /** Keys set with {@link Builder#staticCredentials} (test servers). */
    STATIC("org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider", null);

    private final String providerClass;
    private final String sdkV2ProviderClass;

    Credentials(String providerClass, String sdkV2ProviderClass) {
      this.providerClass = providerClass;
      this.sdkV2ProviderClass = sdkV2ProviderClass;
    }

    /** {@return the credentials provider class named in {@code fs.s3a.aws.credentials.provider}} */
    public String providerClass() {
      return providerClass;
    }

    /**
     * The AWS SDK v2 class that stands in for {@link #providerClass()} on hadoop-aws 3.4, where hadoop-aws does not
     * map it itself (it fails with {@code ClassNotFoundException} without the SDK v1 on the class path); null where
     * the class works on both lines.
     *
     * @return the class name, or null
     */
    public String sdkV2ProviderClass() {
      return sdkV2ProviderClass;
    }

    /**
     * {@return the source named {@code s}} Names are as on the command line, case and {@code -}/{@code _} aside:
     * {@code default-chain} (or {@code default}), {@code environment} (or {@code env}), {@code profile},
     * {@code instance-role} (or {@code instance}), {@code web-identity}, {@code anonymous}, {@code static}.
     *
     * @param s the name
     * @throws IllegalArgumentException if no source has that name
     */
    public static Credentials parse(String s) {
      String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (Credentials c : values()) {
        if (c.name().equals(n) || (c == DEFAULT_CHAIN && n.equals("DEFAULT")) || (c == ENVIRONMENT
            && n.equals("ENV")) || (c == INSTANCE_ROLE && n.equals("INSTANCE"))) {
          return c;
        }
      }
      throw new IllegalArgumentException("unknown credentials source '" + s + "'; one of default-chain, "
          + "environment, profile, instance-role, web-identity, anonymous");
    }
  }

  /** Which output committer S3A uses for Spark writes (see the class comment for the choice). */
  public enum Committer {
    /** S3A's magic committer: tasks write invisible multipart uploads that job commit completes. */
    MAGIC("magic"),
    /** S3A's staging committer: tasks write to local disk, with summaries on the cluster file system. */
    DIRECTORY("directory"),
    /** Hadoop's rename-based committer: only for stores without multipart uploads. */
    FILE("file");

    private final String s3aName;

    Committer(String s3aName) {
      this.s3aName = s3aName;
    }

    /** {@return the name in {@code fs.s3a.committer.name}} */
    public String s3aName() {
      return s3aName;
    }

    /**
     * {@return the committer named {@code s}: {@code magic}, {@code directory} (or {@code staging}) or
     * {@code file}, in any case}
     *
     * @param s the name
     * @throws IllegalArgumentException if no committer has that name
     */
    public static Committer parse(String s) {
      for (Committer c : values()) {
        if (c.s3aName.equalsIgnoreCase(s.trim()) || c.name().equalsIgnoreCase(s.trim())
            || (c == DIRECTORY && s.trim().equalsIgnoreCase("staging"))) {
          return c;
        }
      }
      throw new IllegalArgumentException("unknown committer '" + s + "'; one of magic, directory (staging), file");
    }
  }

  /** Where S3A buffers blocks of an upload. */
  public enum UploadBuffer {
    /** Files in the local buffer directory ({@code fs.s3a.buffer.dir}): the default, for any output size. */
    DISK("disk"),
    /** Arrays on the JVM heap. */
    ARRAY("array"),
    /** Direct (off-heap) byte buffers, for small outputs. */
    BYTEBUFFER("bytebuffer");

    private final String s3aName;

    UploadBuffer(String s3aName) {
      this.s3aName = s3aName;
    }

    /** {@return the name in {@code fs.s3a.fast.upload.buffer}} */
    public String s3aName() {
      return s3aName;
    }
  }

  /** The Spark commit protocol bound to Hadoop's committer factory (in p9-spark-ml). */
  public static final String DEFAULT_COMMIT_PROTOCOL = "io.p9.spark.cloud.PathCommitProtocol";

  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(secret|password|token|access[.]key|encryption[.]key).*");
  static final String REDACTED = "*********(redacted)";

  private final String region;
  private final URI endpoint;
  private final boolean pathStyle;
  private final List<String> providerClasses;
  private final String accessKey;
  private final String secretKey;
  private final String sessionToken;
  private final int maxConnections;
  private final int threads;
  private final Committer committer;
  private final UploadBuffer uploadBuffer;
  private final String multipartSize;
  private final String commitProtocolClass;
  private final Map<String, String> bucketRegions;
  private final Map<String, String> extra;

  private S3aSettings(Builder b) {
    this.region = b.region;
    this.endpoint = b.endpoint;
    this.pathStyle = b.pathStyle;
    this.providerClasses = List.copyOf(b.providerClasses);
    this.accessKey = b.accessKey;
    this.secretKey = b.secretKey;
    this.sessionToken = b.sessionToken;
    this.maxConnections = b.maxConnections;
    this.threads = b.threads;
    this.committer = b.committer;
    this.uploadBuffer = b.uploadBuffer;
    this.multipartSize = b.multipartSize;
    this.commitProtocolClass = b.commitProtocolClass;
    this.bucketRegions = Collections.unmodifiableMap(new LinkedHashMap<>(b.bucketRegions));
    this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(b.extra));
  }

  /** {@return a builder with the defaults described above} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the region of the buckets and of the S3 endpoint} */
  public String region() {
    return region;
  }

  /** {@return the endpoint override, or null for AWS's regional endpoint} */
  public URI endpoint() {
    return endpoint;
  }

  /** {@return the output committer of Spark writes} */
  public Committer committer() {
    return committer;
  }

  /**
   * {@return the Hadoop keys ({@code fs.s3a.*} and the committer factory), secrets included: for a
   * Configuration}
   */
  public Map<String, String> hadoopProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.aws.credentials.provider", String.join(",", providerClasses));
    // hadoop-aws 3.4 (SDK v2) takes each name below as its SDK v2 stand-in; 3.3 does not know the key
    List<String> v2 = providerClasses.stream().flatMap(c -> Arrays.stream(Credentials.values())
        .filter(k -> k.providerClass.equals(c) && k.sdkV2ProviderClass != null)
        .map(k -> c + "=" + k.sdkV2ProviderClass)).toList();
    if (!v2.isEmpty()) {
      m.put("fs.s3a.aws.credentials.provider.mapping", String.join(",", v2));
    }
    if (accessKey != null) {
      m.put("fs.s3a.access.key", accessKey);
      m.put("fs.s3a.secret.key", secretKey);
      if (sessionToken != null) {
        m.put("fs.s3a.session.token", sessionToken);
      }
    }
    m.put("fs.s3a.endpoint.region", region);
    if (endpoint != null) {
      m.put("fs.s3a.endpoint", endpoint.toString());
      m.put("fs.s3a.connection.ssl.enabled", Boolean.toString(!"http".equalsIgnoreCase(endpoint.getScheme())));
    } else {
      m.put("fs.s3a.endpoint", regionalEndpoint(region));
    }
    m.put("fs.s3a.path.style.access", Boolean.toString(pathStyle));
    if (endpoint == null) {
      bucketRegions.forEach((bucket, r) -> {
        if (!r.equals(region)) {
          m.put("fs.s3a.bucket." + bucket + ".endpoint", regionalEndpoint(r));
          m.put("fs.s3a.bucket." + bucket + ".endpoint.region", r);
        }
      });
    }
    m.put("fs.s3a.connection.maximum", Integer.toString(maxConnections));
    m.put("fs.s3a.threads.max", Integer.toString(threads));
    m.put("fs.s3a.max.total.tasks", Integer.toString(threads * 2));
    // Keep directory markers: no DELETE of every parent marker after each file written (Hadoop 3.3.1+ and
    // EMR's S3A understand kept markers).
    m.put("fs.s3a.directory.marker.retention", "keep");
    m.put("fs.s3a.fast.upload.buffer", uploadBuffer.s3aName());
    m.put("fs.s3a.multipart.size", multipartSize);
    m.put("fs.s3a.committer.name", committer.s3aName());
    m.put("fs.s3a.committer.magic.enabled", Boolean.toString(committer == Committer.MAGIC));
    m.put("fs.s3a.committer.abort.pending.uploads", "true");
    if (committer != Committer.FILE) {
      m.put("mapreduce.outputcommitter.factory.scheme.s3a", "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory");
      // Overwrite (SaveMode.Overwrite) clears the destination itself; the committer then just adds files.
      m.put("fs.s3a.committer.staging.conflict-mode", "append");
    }
    m.putAll(extra);
    return m;
  }

  private static String regionalEndpoint(String region) {
    return "s3." + region + ".amazonaws.com";
  }

  /**
   * The SparkConf keys: each Hadoop key prefixed {@code spark.hadoop.}, plus, for the magic and directory
   * committers, Spark SQL's commit protocol bound to Hadoop's committer factory.
   *
   * @return the keys and values, secrets included
   */
  public Map<String, String> sparkProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    hadoopProperties().forEach((k, v) -> m.put("spark.hadoop." + k, v));
    if (committer != Committer.FILE) {
      m.put("spark.sql.sources.commitProtocolClass", commitProtocolClass);
    }
    return m;
  }

  /**
   * Gives each of {@link #hadoopProperties()} to {@code conf}.
   *
   * @param conf takes a key and its value, e.g. {@code conf::set} of a Hadoop {@code Configuration}
   */
  public void applyToHadoop(BiConsumer<String, String> conf) {
    hadoopProperties().forEach(conf);
  }

  /**
   * Gives each of {@link #sparkProperties()} to {@code conf}.
   *
   * @param conf takes a key and its value, e.g. {@code builder::config} of a {@code SparkSession.Builder}
   */
  public void applyToSpark(BiConsumer<String, String> conf) {
    sparkProperties().forEach(conf);
  }

  /** {@return {@link #sparkProperties()} with every secret replaced: safe to log or print} */
  public Map<String, String> redacted() {
    Map<String, String> m = new LinkedHashMap<>();
    sparkProperties().forEach((k, v) -> m.put(k, isSecret(k) ? REDACTED : v));
    return m;
  }

  /**
   * Whether a configuration key holds a secret: Spark's default {@code spark.redaction.regex} plus S3A's
   * encryption keys ({@code fs.s3a.encryption.key}, {@code fs.s3a.server-side-encryption.key}, per bucket
   * too: an SSE-C key is the encryption key itself), which Hadoop's {@code hadoop.security.sensitive-config-keys}
   * lists and Spark's default does not.
   *
   * @param key a configuration key
   * @return whether its value is a secret
   */
  public static boolean isSecret(String key) {
    return SECRET_KEY.matcher(key).matches();
  }

  @Override
  public String toString() {
    return "S3aSettings[region=" + region + ", endpoint=" + (endpoint == null ? "(regional)" : endpoint)
        + (bucketRegions.isEmpty() ? "" : ", bucketRegions=" + bucketRegions)
        + ", pathStyle=" + pathStyle + ", credentials=" + providerClasses
        + (accessKey != null ? " (static keys, redacted)" : "") + ", committer=" + committer.s3aName()
        + ", connections=" + maxConnections + ", threads=" + threads + "]";
  }

  /** Builder with the defaults described on {@link S3aSettings}. */
  public static final class Builder {
    private String region = RegionPolicy.DEFAULT_REGION.id();
    private URI endpoint;
    private boolean pathStyle;
    private List<String> providerClasses = List.of(Credentials.DEFAULT_CHAIN.providerClass());
    private String accessKey;
    private String secretKey;
    private String sessionToken;
    private int maxConnections = 200;
    private int threads = 64;
    private Committer committer = Committer.MAGIC;
    private UploadBuffer uploadBuffer = UploadBuffer.DISK;
    private String multipartSize = "64M";
    private String commitProtocolClass = DEFAULT_COMMIT_PROTOCOL;
    private final Map<String, String> bucketRegions = new LinkedHashMap<>();
    private final Map<String, String> extra = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the bucket region (default {@link RegionPolicy#DEFAULT_REGION}); not checked here.
     *
     * @param region a region id, e.g. {@code eu-west-1}
     * @return this builder
     */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region);
      return this;
    }

    /**
     * Sets an S3-compatible endpoint, e.g. {@code http://127.0.0.1:9000}; null for AWS's regional endpoint.
     *
     * @param endpoint the endpoint, or null
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * The region of {@code bucket}, for a bucket the job reads or writes in another region than {@link #region}:
     * S3A then sends that bucket's requests to {@code s3.<region>.amazonaws.com}, signed for that region. No
     * effect for a bucket in {@link #region} or with an {@link #endpoint} override (every bucket is on that
     * endpoint). Not checked here: callers check the region against their {@link RegionPolicy}.
     *
     * @param bucket a bucket name (no {@code /})
     * @param region its region id
     * @return this builder
     * @throws IllegalArgumentException if {@code bucket} is not a bucket name
     */
    public Builder bucketRegion(String bucket, String region) {
      if (bucket.isEmpty() || bucket.contains("/")) {
        throw new IllegalArgumentException("'" + bucket + "' is not a bucket name");
      }
      bucketRegions.put(bucket, Objects.requireNonNull(region, "region"));
      return this;
    }

    /**
     * Sets path-style access: {@code http(s)://host:port/bucket/key} instead of {@code bucket.host};
     * S3-compatible stores need it.
     *
     * @param pathStyle whether to use it (default false)
     * @return this builder
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /**
     * Sets where the credentials come from, dropping any static keys.
     *
     * @param source any source but {@link Credentials#STATIC}
     * @return this builder
     * @throws IllegalArgumentException for {@link Credentials#STATIC}: use {@link #staticCredentials}
     */
    public Builder credentials(Credentials source) {
      if (source == Credentials.STATIC) {
        throw new IllegalArgumentException("use staticCredentials(accessKey, secretKey) for static keys");
      }
      this.providerClasses = List.of(source.providerClass());
      this.accessKey = null;
      this.secretKey = null;
      this.sessionToken = null;
      return this;
    }

    /**
     * Explicit provider classes, tried in order (each a Hadoop or AWS SDK v1 credentials provider on hadoop-aws 3.3;
     * hadoop-aws 3.4 takes Hadoop's and AWS SDK v2 ones, and SDK v1 ones only as it maps them or with the SDK v1 on
     * the class path).
     *
     * @param classNames the provider classes, at least one
     * @return this builder
     * @throws IllegalArgumentException if the list is empty
     */
    public Builder credentialProviders(List<String> classNames) {
      if (classNames.isEmpty()) {
        throw new IllegalArgumentException("at least one credentials provider class");
      }
      this.providerClasses = List.copyOf(classNames);
      return this;
    }

    /**
     * Sets static keys (S3-compatible test servers). Never logged.
     *
     * @param accessKey the access key id
     * @param secretKey the secret access key
     * @param sessionToken the session token of temporary keys, or null
     * @return this builder
     */
    public Builder staticCredentials(String accessKey, String secretKey, String sessionToken) {
      this.accessKey = Objects.requireNonNull(accessKey, "accessKey");
      this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
      this.sessionToken = sessionToken;
      this.providerClasses = List.of(sessionToken == null ? Credentials.STATIC.providerClass()
          : "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider");
      return this;
    }

    /**
     * Sets the HTTP connection pool size (default 200); {@link #build} checks it is larger than {@link #threads}.
     *
     * @param n the connections (&gt; 0)
     * @return this builder
     */
    public Builder maxConnections(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxConnections must be > 0");
      }
      this.maxConnections = n;
      return this;
    }

    /**
     * Sets the threads for uploads, copies and deletes (default 64); fewer than {@link #maxConnections}.
     *
     * @param n the threads (&gt; 0)
     * @return this builder
     */
    public Builder threads(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("threads must be > 0");
      }
      this.threads = n;
      return this;
    }

    /**
     * Sets the output committer of Spark writes (default {@link Committer#MAGIC}).
     *
     * @param committer the committer
     * @return this builder
     */
    public Builder committer(Committer committer) {
      this.committer = Objects.requireNonNull(committer);
      return this;
    }

    /**
     * Sets where upload blocks are buffered (default {@link UploadBuffer#DISK}).
     *
     * @param buffer the buffer kind
     * @return this builder
     */
    public Builder uploadBuffer(UploadBuffer buffer) {
      this.uploadBuffer = Objects.requireNonNull(buffer);
      return this;
    }

    /**
     * Sets the multipart block size.
     *
     * @param size a Hadoop size: digits and an optional K, M or G ({@code 64M}, the default)
     * @return this builder
     * @throws IllegalArgumentException if it is not such a size
     */
    public Builder multipartSize(String size) {
      if (!size.matches("\\d+[KMGkmg]?")) {
        throw new IllegalArgumentException("'" + size + "' is not a size (e.g. 64M)");
      }
      this.multipartSize = size;
      return this;
    }

    /**
     * The Spark SQL commit protocol for the magic and directory committers (default
     * {@value S3aSettings#DEFAULT_COMMIT_PROTOCOL}; Spark's
     * {@code org.apache.spark.internal.io.cloud.PathOutputCommitProtocol} where spark-hadoop-cloud is
     * installed).
     *
     * @param className the commit protocol class
     * @return this builder
     */
    public Builder commitProtocolClass(String className) {
      this.commitProtocolClass = Objects.requireNonNull(className);
      return this;
    }

    /**
     * Sets any other S3A key; applied last, so it overrides the keys this class sets.
     *
     * @param hadoopKey an {@code fs.s3a.*} key
     * @param value its value
     * @return this builder
     * @throws IllegalArgumentException if the key is not an {@code fs.s3a.*} key
     */
    public Builder set(String hadoopKey, String value) {
      if (!hadoopKey.startsWith("fs.s3a.")) {
        throw new IllegalArgumentException("only fs.s3a.* keys: " + hadoopKey);
      }
      extra.put(hadoopKey, value);
      return this;
    }

    /**
     * The settings; refuses a connection pool no larger than the threads: Hadoop's S3A wants
     * {@code fs.s3a.connection.maximum} bigger than {@code fs.s3a.threads.max}, else threads block waiting
     * for a connection.
     *
     * @return the settings
     * @throws IllegalArgumentException if {@code maxConnections} is not larger than {@code threads}
     */
    public S3aSettings build() {
      if (maxConnections <= threads) {
        throw new IllegalArgumentException("maxConnections (" + maxConnections + ") must be larger than threads ("
            + threads + "): S3A wants fs.s3a.connection.maximum bigger than fs.s3a.threads.max, else threads"
            + " block waiting for a connection");
      }
      return new S3aSettings(this);
    }
  }
}
