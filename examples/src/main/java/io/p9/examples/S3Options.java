package io.p9.examples;

import io.p9.aws.s3.S3aSettings;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The S3A options of {@code p9 run}: applied to the SparkSession when the input, output or model (or saved
 * pipeline) is an {@code s3a://} URI. Credentials are never options: they come from the AWS default chain
 * (environment, profile, web identity, instance role) or the source named by {@code --s3-credentials}.
 *
 * <p>Every bucket is reached through {@code --region}'s S3 endpoint, signed for that region, except those named
 * with {@code --s3-bucket-region BUCKET=REGION}: each of them through its own region's endpoint. S3A does not
 * look a bucket's region up: a bucket in another region without it fails (S3 answers 301, "PermanentRedirect").
 * The launchers ({@code p9 emr submit}, {@code p9 serverless submit}) pass it for each bucket they found in
 * another region.
 */
public final class S3Options {
  /** The bucket of the first {@code s3a://} URI in a text. */
  private static final Pattern S3A_BUCKET = Pattern.compile("s3a://([^/\\s:]+)");

  /** The host of an AWS S3 endpoint, its region captured. */
  private static final Pattern AWS_ENDPOINT = Pattern.compile("(?:.*\\.)?s3(?:-fips)?(?:[.-]dualstack)?[.-]"
      + "([a-z]{2}(?:-gov)?-[a-z]+-\\d+)(?:\\.vpce)?\\.amazonaws\\.com(?:\\.cn)?");

  @Mixin
  RegionOptions regions = new RegionOptions();

  @Option(names = "--s3-endpoint", description = "S3-compatible endpoint instead of AWS's regional one, e.g."
      + " http://127.0.0.1:9000")
  URI endpoint;

  @Option(names = "--s3-bucket-region", paramLabel = "BUCKET=REGION", description = "the region of an s3a://"
      + " bucket in another region than --region (S3A then sends its requests to that region's endpoint); the"
      + " region must be allowed as --region is; repeatable; no effect with --s3-endpoint")
  Map<String, String> bucketRegions = new LinkedHashMap<>();

  @Option(names = "--s3-path-style", description = "path-style bucket addressing (S3-compatible stores)")
  boolean pathStyle;

  @Option(names = "--s3-credentials", description = "default-chain (default), environment (keys in"
      + " AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; never as options), profile,"
      + " instance-role, web-identity or anonymous", defaultValue = "default-chain")
  String credentials;

  @Option(names = "--s3-committer", description = "magic (default: no partial output on failure, no local"
      + " staging), directory (staging on local disk) or file (rename; S3-compatible stores without multipart"
      + " uploads)", defaultValue = "magic")
  String committer;

  @Option(names = "--s3-max-connections", description = "S3A connection pool, larger than --s3-threads"
      + " (default: ${DEFAULT-VALUE})", defaultValue = "200")
  int maxConnections;

  @Option(names = "--s3-threads", description = "S3A upload/copy threads (default: ${DEFAULT-VALUE})",
      defaultValue = "64")
  int threads;

  /**
   * What is wrong with {@code --region}, {@code --s3-committer} or {@code --s3-credentials}, or null. Checked
   * whatever the input and output, so that a typo made in a local trial run is found there, not in the long S3
   * run after it.
   */
  String invalidOption() {
    String region;
    try {
      region = regions.checked();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    String named = endpoint == null ? null : regionOfAwsEndpoint(endpoint.toString());
    if (named != null && !named.equals(region)) {
      return "--s3-endpoint " + endpoint + " is S3 in " + named + ", but --region is " + region + ": S3 refuses"
          + " requests signed for another region; pass --region " + named;
    }
    for (Map.Entry<String, String> e : bucketRegions.entrySet()) {
      String bucket = e.getKey();
      if (bucket.isEmpty() || bucket.contains("/") || bucket.contains(":")) {
        return "--s3-bucket-region takes BUCKET=REGION with a bucket name (no s3a://, no /), not '" + bucket + "'";
      }
      if (e.getValue().isBlank()) {
        return "--s3-bucket-region " + bucket + "= names no region";
      }
      String bucketRegion;
      try {
        bucketRegion = regions.policy().check(e.getValue()).id();
      } catch (IllegalArgumentException x) {
        return "--s3-bucket-region " + bucket + "=" + e.getValue() + ": " + x.getMessage();
      }
      if (named != null && !bucketRegion.equals(named)) {
        return "--s3-bucket-region " + bucket + "=" + bucketRegion + ": --s3-endpoint " + endpoint + " is S3 in "
            + named + ", which refuses requests for a bucket in another region";
      }
    }
    try {
      S3aSettings.Committer.parse(committer);
    } catch (IllegalArgumentException e) {
      return "--s3-committer must be magic, directory or file, not '" + committer + "'";
    }
    try {
      if (S3aSettings.Credentials.parse(credentials) == S3aSettings.Credentials.STATIC) {
        // S3aSettings' source for keys a Java caller passes; keys given as option values would sit in process
        // lists and shell history, and the environment variables the AWS CLI and SDKs read already serve
        return "--s3-credentials static takes no keys on the command line: set AWS_ACCESS_KEY_ID and"
            + " AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) and use --s3-credentials"
            + " environment (the default chain reads them too)";
      }
    } catch (IllegalArgumentException e) {
      return "--s3-credentials must be default-chain, environment, profile, instance-role, web-identity or"
          + " anonymous, not '" + credentials + "'";
    }
    return null;
  }

  /**
   * The region an AWS S3 endpoint names ({@code s3.<region>.amazonaws.com}, its dual-stack, FIPS, legacy
   * {@code s3-<region>} and interface VPC endpoint forms, with or without a scheme), or null for any other.
   */
  static String regionOfAwsEndpoint(String endpoint) {
    String host = endpoint.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "").replaceFirst("[:/].*$", "")
        .toLowerCase(Locale.ROOT);
    Matcher m = AWS_ENDPOINT.matcher(host);
    return m.matches() ? m.group(1) : null;
  }

  static boolean isS3a(String uri) {
    return uri != null && uri.toLowerCase(Locale.ROOT).startsWith("s3a://");
  }

  /**
   * The settings for a job reading {@code input}/{@code model} (the model, or the saved pipeline it applies)
   * and writing {@code output}, or null when none of them is on S3A. The committer applies only when the output
   * is on S3A. Buckets named with dots are addressed by path; those of {@code --s3-bucket-region} get their
   * region's endpoint. Checks the region.
   */
  S3aSettings settings(String input, String output, String model) {
    if (!isS3a(input) && !isS3a(output) && !isS3a(model)) {
      return null;
    }
    S3aSettings.Builder b = S3aSettings.builder().region(regions.checked()).endpoint(endpoint).pathStyle(pathStyle)
        .credentials(S3aSettings.Credentials.parse(credentials))
        .committer(isS3a(output) ? S3aSettings.Committer.parse(committer) : S3aSettings.Committer.FILE)
        .maxConnections(maxConnections).threads(threads);
    bucketRegions.forEach((bucket, r) -> b.bucketRegion(bucket, regions.policy().check(r).id()));
    if (!pathStyle) {
      // a bucket named with dots is not covered by S3's TLS certificate (*.s3.<region>.amazonaws.com) as a
      // sub-domain, and hadoop-aws 3.3's SDK v1 does not fall back to path-style by itself as the SDK v2 does
      for (String uri : new String[] {input, output, model}) {
        if (isS3a(uri)) {
          String rest = uri.substring("s3a://".length());
          String bucket = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
          if (bucket.contains(".")) {
            b.set("fs.s3a.bucket." + bucket + ".path.style.access", "true");
          }
        }
      }
    }
    return b.build();
  }

  /**
   * What to tell the user when {@code failure} (or one of its causes) is S3A's {@code AWSRedirectException}: S3
   * answered 301 because a bucket lies in another region than the one its requests went to, which hadoop-aws
   * does not follow (3.3; nor 3.4, with the endpoint and region set). The sentence names the bucket (from the
   * failure's {@code s3a://} URI) and its region (S3's {@code x-amz-bucket-region} header) when known: the
   * {@code --s3-bucket-region} to pass, or, for a region the policy refuses, that it is outside the allowed regions.
   * Null for any other failure.
   */
  String wrongRegion(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      // by name: hadoop-aws (and its AWS SDK v1) is on the class path only where S3A is used
      if (t.getClass().getName().equals("org.apache.hadoop.fs.s3a.AWSRedirectException")) {
        // hadoop-aws 3.3 names the path in its message, 3.4 only the region: then the failures around it
        String bucket = s3aBucket(t);
        for (Throwable u = failure; bucket == null && u != null; u = u.getCause()) {
          bucket = s3aBucket(u);
        }
        bucket = bucket == null ? "BUCKET" : bucket;
        String region = bucketRegion(t.getCause());
        String said = "bucket '" + bucket + "' is not in " + (bucketRegions.containsKey(bucket)
            ? "--s3-bucket-region's " + bucketRegions.get(bucket) : "--region " + regions.region)
            + " (S3 answered 301 Moved Permanently" + (region != null ? ": it is in " + region : "") + ")";
        if (region != null && !regions.policy().allows(region)) {
          return said + ", outside the allowed regions " + regions.policy().allowed()
              + " (EU only by default, for GDPR)";
        }
        return said + "; pass --s3-bucket-region " + bucket + "=" + (region != null ? region : "<its region>");
      }
    }
    return null;
  }

  private static String s3aBucket(Throwable t) {
    Matcher m = S3A_BUCKET.matcher(String.valueOf(t.getMessage()));
    return m.find() ? m.group(1) : null;
  }

  /**
   * S3's {@code x-amz-bucket-region} header on the AWS SDK exception that S3A's {@code AWSRedirectException} wraps:
   * the SDK v2's on hadoop-aws 3.4, the SDK v1's on 3.3; null without one. The SDK v1 one is recognized by name
   * first: hadoop-aws 3.4 runs without the SDK v1 on the class path.
   */
  private static String bucketRegion(Throwable cause) {
    if (cause instanceof software.amazon.awssdk.awscore.exception.AwsServiceException v2) {
      return v2.awsErrorDetails() == null || v2.awsErrorDetails().sdkHttpResponse() == null ? null
          : v2.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region").orElse(null);
    }
    for (Class<?> c = cause == null ? null : cause.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("com.amazonaws.AmazonServiceException")) {
        return SdkV1.bucketRegion(cause);
      }
    }
    return null;
  }

  /** The SDK v1 exception's header; loaded only where the SDK v1 is on the class path (hadoop-aws 3.3). */
  private static final class SdkV1 {
    static String bucketRegion(Throwable t) {
      com.amazonaws.AmazonServiceException s = (com.amazonaws.AmazonServiceException) t;
      return s.getHttpHeaders() == null ? null : s.getHttpHeaders().get("x-amz-bucket-region");
    }
  }

  /** Applies {@link #settings} (if any) to a SparkSession builder's {@code config}. */
  void apply(String input, String output, String model, BiConsumer<String, String> sparkConf) {
    S3aSettings s = settings(input, output, model);
    if (s != null) {
      s.applyToSpark(sparkConf);
    }
  }
}
