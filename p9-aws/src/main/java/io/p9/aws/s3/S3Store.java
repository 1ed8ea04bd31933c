package io.p9.aws.s3;

import io.p9.aws.AwsFailure;
import io.p9.aws.RegionPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadBucketResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What the launcher does on S3 through the AWS SDK v2: check that a bucket exists, is reachable and lies in
 * an allowed region (for the other buckets the job reads or writes: that they lie in an allowed region); upload
 * the job jar (or a model) under a content-addressed name, skipping the upload when the same bytes are
 * already there; read a log file, gunzipping {@code .gz}. Errors come back as
 * {@link AwsFailure} with a sentence saying what to do.
 */
public final class S3Store {
  private static final Logger LOG = LoggerFactory.getLogger(S3Store.class);
  /** User metadata holding the sha256 of an uploaded file. */
  public static final String SHA256_METADATA = "p9-sha256";

  private final S3Client s3;
  private final RegionPolicy policy;

  /**
   * A store on the given client.
   *
   * @param s3 the S3 client
   * @param policy the regions a bucket may lie in
   */
  public S3Store(S3Client s3, RegionPolicy policy) {
    this.s3 = s3;
    this.policy = policy;
  }

  /**
   * Checks that {@code bucket} exists and can be reached, and that its region is allowed by the policy.
   * Returns the bucket's region when S3 reports it (null from stores that do not).
   *
   * @param bucket the bucket name
   * @return its region, or null
   * @throws AwsFailure if it does not exist, is in another region than the client's, or cannot be reached
   * @throws RegionPolicy.RegionNotAllowedException if its region is not allowed
   */
  public String checkBucket(String bucket) {
    return check(bucket, false);
  }

  /**
   * Checks that {@code bucket}, which the job reads or writes (input, output, model, logs), exists and lies in a
   * region the policy allows, which may differ from the client's. S3 names a bucket's region in the
   * {@code x-amz-bucket-region} header of a redirect (another region) or a refusal too, so the launcher
   * itself needs no access to the bucket: the job's role reads and writes it. Without that header a refusal
   * fails, as in {@link #checkBucket}. Returns the bucket's region, or null from stores that do not report it.
   *
   * @param bucket the bucket name
   * @return its region, or null
   * @throws AwsFailure if it does not exist or cannot be reached, and S3 does not name its region
   * @throws RegionPolicy.RegionNotAllowedException if its region is not allowed
   */
  public String checkDataBucket(String bucket) {
    return check(bucket, true);
  }

  private String check(String bucket, boolean anyAllowedRegion) {
    String region;
    try {
      HeadBucketResponse r = s3.headBucket(b -> b.bucket(bucket));
      region = r.bucketRegion();
    } catch (S3Exception e) {
      String actual = e.awsErrorDetails() == null ? null
          : e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region").orElse(null);
      if (e.statusCode() == 404) {
        throw new AwsFailure("bucket '" + bucket + "' does not exist; create it in an allowed region, e.g. "
            + "aws s3 mb s3://" + bucket + " --region " + RegionPolicy.DEFAULT_REGION.id(), e);
      }
      // another region's bucket: 301, or 400 where the bucket's or the endpoint's region was launched after
      // March 2019 (eu-south-1, eu-south-2, ...), as the SDK's own cross-region client reads them
      boolean located = actual != null
          && (e.statusCode() == 301 || e.statusCode() == 400 || anyAllowedRegion && e.statusCode() == 403);
      if (located) {
        if (!policy.allows(actual)) {
          throw outsideThePolicy(bucket, actual);
        }
        if (anyAllowedRegion) {
          return actual;
        }
        throw new AwsFailure("bucket '" + bucket + "' is in region " + actual + "; pass --region " + actual, e);
      }
      if (e.statusCode() == 403) {
        throw new AwsFailure("access denied to bucket '" + bucket + "' (s3:ListBucket needed); the policies in"
            + " examples/iam/ list the permissions p9 needs", e);
      }
      throw AwsFailure.of("checking bucket '" + bucket + "'", e);
    } catch (SdkException e) {
      throw AwsFailure.of("checking bucket '" + bucket + "'", e);
    }
    if (region != null && !policy.allows(region)) {
      throw outsideThePolicy(bucket, region);
    }
    return region;
  }

  private RegionPolicy.RegionNotAllowedException outsideThePolicy(String bucket, String region) {
    return new RegionPolicy.RegionNotAllowedException("bucket '" + bucket + "' is in " + region
        + ", outside the allowed regions " + policy.allowed() + " (EU only by default, for GDPR)");
  }

  /**
   * Uploads {@code file} into the folder {@code folder} as {@code <name>-<sha256 prefix>.<ext>}, unless an
   * object with that name and the same sha256 is already there. Returns where it is.
   *
   * @param file the local file
   * @param folder the S3 folder
   * @return the object
   * @throws AwsFailure if the upload fails
   */
  public S3Location upload(Path file, S3Location folder) {
    String sha = sha256(file);
    return upload(file, sha, uploadTarget(file, sha, folder));
  }

  /**
   * Uploads {@code file} to exactly {@code target}, unless an object there already has the same sha256. For a
   * name that the caller made unique for the content (as a model and its sidecar beside it). Returns
   * {@code target}.
   *
   * @param file the local file
   * @param target the object
   * @return {@code target}
   * @throws AwsFailure if the upload fails
   */
  public S3Location uploadAs(Path file, S3Location target) {
    return upload(file, sha256(file), target);
  }

  private S3Location upload(Path file, String sha, S3Location target) {
    try {
      Optional<HeadObjectResponse> head = head(target);
      if (head.isPresent() && sha.equals(head.get().metadata().get(SHA256_METADATA))) {
        LOG.info("{} is already at {}", file.getFileName(), target);
        return target;
      }
      s3.putObject(b -> b.bucket(target.bucket()).key(target.key()).metadata(Map.of(SHA256_METADATA, sha)),
          RequestBody.fromFile(file));
      LOG.info("uploaded {} ({} bytes) to {}", file.getFileName(), Files.size(file), target);
      return target;
    } catch (SdkException e) {
      throw AwsFailure.of("uploading " + file + " to " + target, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where {@link #upload} puts {@code file}, whose hex sha256 is {@code sha256} ({@link #sha256(Path)}), in
   * {@code folder}, without touching S3 (dry runs).
   *
   * @param file the local file
   * @param sha256 its hex sha256
   * @param folder the S3 folder
   * @return the object
   */
  public static S3Location uploadTarget(Path file, String sha256, S3Location folder) {
    return folder.asFolder().resolve(contentAddressedName(file.getFileName().toString(), sha256));
  }

  static String contentAddressedName(String name, String sha) {
    int dot = name.lastIndexOf('.');
    String tag = sha.substring(0, 12);
    return dot <= 0 ? name + "-" + tag : name.substring(0, dot) + "-" + tag + name.substring(dot);
  }

  /**
   * {@return the object's metadata (HeadObject), or empty if there is no such object}
   *
   * @param loc the object
   * @throws S3Exception if S3 answers other than 404
   */
  public Optional<HeadObjectResponse> head(S3Location loc) {
    try {
      return Optional.of(s3.headObject(b -> b.bucket(loc.bucket()).key(loc.key())));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * The text of {@code loc} (gunzipped if the key ends with {@code .gz}), at most {@code maxBytes} of it
   * (the tail is kept: a failure is at the end of a log), or empty if there is no such object. A tail cut from a
   * longer text starts at its first full line, or, when it holds no line break, at its first full UTF-8 character.
   *
   * @param loc the object
   * @param maxBytes the most bytes of text kept
   * @return the text, if the object is there
   * @throws AwsFailure if S3 fails other than with 404
   */
  public Optional<String> readText(S3Location loc, int maxBytes) {
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(loc.bucket()).key(loc.key()))) {
      InputStream body = loc.key().endsWith(".gz") ? new GZIPInputStream(in) : in;
      byte[] all = readTail(body, maxBytes);
      return Optional.of(new String(all, StandardCharsets.UTF_8));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw AwsFailure.of("reading " + loc, e);
    } catch (SdkException e) {
      throw AwsFailure.of("reading " + loc, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + loc, e);
    }
  }

  private static byte[] readTail(InputStream in, int maxBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
      if (out.size() > 2 * maxBytes) {
        byte[] b = out.toByteArray();
        out.reset();
        out.write(b, b.length - maxBytes, maxBytes);
      }
    }
    byte[] b = out.toByteArray();
    if (b.length <= maxBytes) {
      return b;
    }
    // the cut may fall inside a line, even inside a character: start after it
    int from = b.length - maxBytes;
    int line = from;
    while (line < b.length && b[line - 1] != '\n') {
      line++;
    }
    if (line < b.length) {
      from = line;
    } else {
      while (from < b.length && (b[from] & 0xc0) == 0x80) {
        from++;
      }
    }
    return java.util.Arrays.copyOfRange(b, from, b.length);
  }

  /**
   * {@return the hex sha256 of a file}
   *
   * @param file the file
   * @throws java.io.UncheckedIOException if it cannot be read
   */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
