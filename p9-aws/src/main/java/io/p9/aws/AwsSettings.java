package io.p9.aws;

import io.p9.aws.internal.JdkHttpClient;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.emr.EmrClient;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * How the launcher's AWS SDK v2 clients are built: region (checked against a {@link RegionPolicy}),
 * credentials (the SDK default chain, or a named profile), an optional endpoint override (a local stub in
 * tests, an S3-compatible store, a VPC endpoint), and retries. Throttling ({@code ThrottlingException},
 * HTTP 429/503 "SlowDown") and transient errors are retried by the SDK's standard strategy with
 * exponential back-off, {@link Builder#maxAttempts} attempts in all (EMR's RunJobFlow and AddJobFlowSteps, which
 * take no idempotency token, only when they certainly did not take effect: {@link io.p9.aws.emr.EmrLauncher}). The
 * clients use the JDK's HTTP stack (no Apache HttpClient or Netty), so they sit next to Spark and Hadoop without
 * clashes: {@code HttpURLConnection}, and for EMR Serverless, whose UpdateApplication is a {@code PATCH}, which
 * that cannot send, {@code java.net.http}.
 *
 * <p>Credentials are only ever handed to the SDK: never logged, printed or written anywhere.
 */
public final class AwsSettings {
  private final Region region;
  private final URI endpoint;
  private final AwsCredentialsProvider credentials;
  private final int maxAttempts;
  private final Duration retryBaseDelay;
  private final Duration apiCallTimeout;

  private AwsSettings(Builder b) {
    this.region = b.policy.check(b.region);
    this.endpoint = b.endpoint;
    this.credentials = b.credentials != null ? b.credentials
        : b.profile != null ? ProfileCredentialsProvider.create(b.profile)
        : DefaultCredentialsProvider.create();
    this.maxAttempts = b.maxAttempts;
    this.retryBaseDelay = b.retryBaseDelay;
    this.apiCallTimeout = b.apiCallTimeout;
  }

  /** {@return a builder with the defaults of {@link Builder}} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the region the clients call, allowed by the builder's policy} */
  public Region region() {
    return region;
  }

  /** {@return the endpoint override, or null for AWS's regional endpoints} */
  public URI endpoint() {
    return endpoint;
  }

  /** {@return the credentials of the clients: explicit ones, a named profile's or the default chain} */
  public AwsCredentialsProvider credentials() {
    return credentials;
  }

  /**
   * {@return a new S3 client with these settings; path-style addressing where an endpoint is overridden}
   * The caller closes it.
   */
  public S3Client s3() {
    // An endpoint override is a single host: address buckets by path, not by sub-domain.
    return configure(S3Client.builder()).forcePathStyle(endpoint != null).build();
  }

  /** {@return a new EMR client with these settings; the caller closes it} */
  public EmrClient emr() {
    return configure(EmrClient.builder()).build();
  }

  /**
   * {@return a new EMR Serverless client with these settings, on the JDK's HTTP client (its UpdateApplication is
   * a PATCH)} The caller closes it.
   */
  public EmrServerlessClient emrServerless() {
    // UpdateApplication is a PATCH, which UrlConnectionHttpClient cannot send
    return configure(EmrServerlessClient.builder())
        .httpClientBuilder(defaults -> new JdkHttpClient(Duration.ofSeconds(10), Duration.ofSeconds(60))).build();
  }

  /** {@return a new STS client with these settings; the caller closes it} */
  public StsClient sts() {
    return configure(StsClient.builder()).build();
  }

  private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B b) {
    b.region(region).credentialsProvider(credentials)
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .apiCallTimeout(apiCallTimeout)
            .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(maxAttempts)
                .backoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, Duration.ofSeconds(20)))
                .throttlingBackoffStrategy(
                    BackoffStrategy.exponentialDelay(retryBaseDelay.multipliedBy(5), Duration.ofSeconds(20)))
                .build())
            .build());
    if (endpoint != null) {
      b.endpointOverride(endpoint);
    }
    return b;
  }

  @Override
  public String toString() {
    return "AwsSettings[region=" + region.id() + (endpoint != null ? ", endpoint=" + endpoint : "")
        + ", maxAttempts=" + maxAttempts + "]";
  }

  /** Defaults: {@link RegionPolicy#DEFAULT_REGION}, EU-only policy, default credentials chain, 6 attempts. */
  public static final class Builder {
    private String region;
    private RegionPolicy policy = RegionPolicy.euOnly();
    private URI endpoint;
    private AwsCredentialsProvider credentials;
    private String profile;
    private int maxAttempts = 6;
    private Duration retryBaseDelay = Duration.ofMillis(200);
    private Duration apiCallTimeout = Duration.ofMinutes(10);

    private Builder() {}

    /**
     * Sets the region; null or blank for {@link RegionPolicy#DEFAULT_REGION}. Checked against the policy on
     * {@link #build()}.
     *
     * @param region a region id, or null
     * @return this builder
     */
    public Builder region(String region) {
      this.region = region;
      return this;
    }

    /**
     * Sets the regions allowed (default {@link RegionPolicy#euOnly()}).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder policy(RegionPolicy policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    /**
     * Sets an endpoint override for every client (tests: a local stub or S3-compatible server).
     *
     * @param endpoint the endpoint, or null for AWS's regional endpoints
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * Uses a named profile of ~/.aws/config and ~/.aws/credentials instead of the default chain.
     *
     * @param profile the profile name, or null for the default chain
     * @return this builder
     */
    public Builder profile(String profile) {
      this.profile = profile;
      return this;
    }

    /**
     * Sets explicit credentials (tests: fixed fake keys); they win over a profile.
     *
     * @param credentials the provider, or null
     * @return this builder
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * Sets the attempts per API call, first included (default 6).
     *
     * @param maxAttempts the attempts (&ge; 1)
     * @return this builder
     * @throws IllegalArgumentException if {@code maxAttempts} is below 1
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the base of the retry back-off (default 200 ms; throttling waits 5 times longer; at most 20 s).
     *
     * @param d the base delay
     * @return this builder
     */
    public Builder retryBaseDelay(Duration d) {
      this.retryBaseDelay = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Sets how long one API call may take, retries included (default 10 min).
     *
     * @param d the timeout
     * @return this builder
     */
    public Builder apiCallTimeout(Duration d) {
      this.apiCallTimeout = Objects.requireNonNull(d);
      return this;
    }

    /**
     * {@return the settings}
     *
     * @throws RegionPolicy.RegionNotAllowedException if the region is unknown or not allowed by the policy
     */
    public AwsSettings build() {
      return new AwsSettings(this);
    }
  }
}
