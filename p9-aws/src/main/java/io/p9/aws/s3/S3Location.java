package io.p9.aws.s3;

import java.util.Locale;
import java.util.Objects;

/**
 * A bucket and key: {@code s3://bucket/key}, {@code s3a://bucket/key} or {@code s3n://bucket/key}. The
 * key has no leading slash and may be empty (the bucket root). Immutable.
 */
public final class S3Location {
  private final String bucket;
  private final String key;

  public S3Location(String bucket, String key) {
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("'" + bucket + "' is not a valid S3 bucket name");
    }
    this.bucket = bucket;
    this.key = key == null ? "" : key.replaceFirst("^/+", "");
  }

  /** True for s3://, s3a:// and s3n:// URIs. */
  public static boolean isS3(String uri) {
    if (uri == null) {
      return false;
    }
    String u = uri.toLowerCase(Locale.ROOT);
    return u.startsWith("s3://") || u.startsWith("s3a://") || u.startsWith("s3n://");
  }

  public static S3Location parse(String uri) {
    if (!isS3(uri)) {
      throw new IllegalArgumentException("'" + uri + "' is not an S3 URI (s3://bucket/key or s3a://bucket/key)");
    }
    String rest = uri.substring(uri.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    return slash < 0 ? new S3Location(rest, "") : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
  }

  public String bucket() {
    return bucket;
  }

  public String key() {
    return key;
  }

  /** This location with {@code child} appended after a single slash. */
  public S3Location resolve(String child) {
    String c = child.replaceFirst("^/+", "");
    if (key.isEmpty()) {
      return new S3Location(bucket, c);
    }
    return new S3Location(bucket, key.endsWith("/") ? key + c : key + "/" + c);
  }

  /** The key as a folder prefix: ends with '/' unless empty. */
  public S3Location asFolder() {
    return key.isEmpty() || key.endsWith("/") ? this : new S3Location(bucket, key + "/");
  }

  /** {@code s3://bucket/key}: what EMR, EMR Serverless and the AWS CLI take. */
  public String s3Uri() {
    return "s3://" + bucket + "/" + key;
  }

  /** {@code s3a://bucket/key}: what Hadoop's S3A connector takes. */
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
