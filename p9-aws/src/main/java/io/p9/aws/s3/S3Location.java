package io.p9.aws.s3;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A bucket and key: {@code s3://bucket/key}, {@code s3a://bucket/key} or {@code s3n://bucket/key}. The
 * bucket name follows S3's naming rules ({@link #checkBucketName}), so a wrong one is refused when parsed, not by S3;
 * the key has no leading slash and may be empty (the bucket root). Immutable.
 */
public final class S3Location {
  private final String bucket;
  private final String key;

  /** Four dot-separated numbers: a name formatted as an IPv4 address. */
  private static final Pattern IP_ADDRESS = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
  private static final List<String> RESERVED_PREFIXES = List.of("xn--", "sthree-", "amzn-s3-demo-");
  private static final List<String> RESERVED_SUFFIXES = List.of("-s3alias", "--ol-s3", ".mrap", "--x-s3",
      "--table-s3");

  /**
   * {@code bucket} and {@code key}; the bucket name must follow {@link #checkBucketName S3's naming rules}.
   *
   * @param bucket the bucket name
   * @param key the key, leading slashes dropped; null or empty for the bucket root
   * @throws IllegalArgumentException if the bucket name breaks a rule
   */
  public S3Location(String bucket, String key) {
    checkBucketName(bucket);
    this.bucket = bucket;
    this.key = key == null ? "" : key.replaceFirst("^/+", "");
  }

  /**
   * Checks {@code bucket} against S3's naming rules for general purpose buckets, quoting the rule it breaks: 3 to
   * 63 characters among lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit,
   * no two adjacent dots, not formatted as an IP address, none of the reserved prefixes ({@code xn--},
   * {@code sthree-}, {@code amzn-s3-demo-}) and suffixes ({@code -s3alias}, {@code --ol-s3}, {@code .mrap},
   * {@code --x-s3}, {@code --table-s3}). Dots are allowed (legacy names, still valid).
   *
   * @param bucket the bucket name
   * @throws IllegalArgumentException if it breaks one
   */
  public static void checkBucketName(String bucket) {
    String rule = bucket == null || bucket.length() < 3 || bucket.length() > 63 ? "3 to 63 characters"
        : !bucket.matches("[a-z0-9.-]+") ? "lowercase letters, digits, dots and hyphens only"
        : !bucket.matches("[a-z0-9].*[a-z0-9]") ? "begin and end with a letter or digit"
        : bucket.contains("..") ? "no two adjacent dots"
        : IP_ADDRESS.matcher(bucket).matches() ? "not formatted as an IP address"
        : RESERVED_PREFIXES.stream().anyMatch(bucket::startsWith) ? "not start with xn--, sthree- or amzn-s3-demo-"
        : RESERVED_SUFFIXES.stream().anyMatch(bucket::endsWith)
            ? "not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3" : null;
    if (rule != null) {
      throw new IllegalArgumentException("'" + bucket + "' is not a valid S3 bucket name: " + rule
          + " (S3's bucket naming rules)");
    }
  }

  /**
   * {@return true for s3://, s3a:// and s3n:// URIs (scheme in any case), false for anything else and null}
   *
   * @param uri a URI, or null
   */
  public static boolean isS3(String uri) {
    if (uri == null) {
      return false;
    }
    String u = uri.toLowerCase(Locale.ROOT);
    return u.startsWith("s3://") || u.startsWith("s3a://") || u.startsWith("s3n://");
  }

  /**
   * {@return the bucket and key of an S3 URI}
   *
   * @param uri {@code s3://bucket/key}, {@code s3a://bucket/key} or {@code s3n://bucket/key}
   * @throws IllegalArgumentException if it is not an S3 URI or names an invalid bucket
   */
  public static S3Location parse(String uri) {
    if (!isS3(uri)) {
      throw new IllegalArgumentException("'" + uri + "' is not an S3 URI (s3://bucket/key or s3a://bucket/key)");
    }
    String rest = uri.substring(uri.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    return slash < 0 ? new S3Location(rest, "") : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
  }

  /** {@return the bucket name} */
  public String bucket() {
    return bucket;
  }

  /** {@return the key, without a leading slash; empty for the bucket root} */
  public String key() {
    return key;
  }

  /**
   * {@return this location with {@code child} appended after a single slash}
   *
   * @param child a relative key, leading slashes dropped
   */
  public S3Location resolve(String child) {
    String c = child.replaceFirst("^/+", "");
    if (key.isEmpty()) {
      return new S3Location(bucket, c);
    }
    return new S3Location(bucket, key.endsWith("/") ? key + c : key + "/" + c);
  }

  /** {@return this location with its key as a folder prefix: ending with '/' unless empty} */
  public S3Location asFolder() {
    return key.isEmpty() || key.endsWith("/") ? this : new S3Location(bucket, key + "/");
  }

  /** {@return {@code s3://bucket/key}: what EMR, EMR Serverless and the AWS CLI take} */
  public String s3Uri() {
    return "s3://" + bucket + "/" + key;
  }

  /** {@return {@code s3a://bucket/key}: what Hadoop's S3A connector takes} */
  public String s3aUri() {
    return "s3a://" + bucket + "/" + key;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof S3Location l && l.bucket.equals(bucket) && l.key.equals(key);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bucket, key);
  }

  @Override
  public String toString() {
    return s3Uri();
  }
}
