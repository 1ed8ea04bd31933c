package io.p9.aws;

import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * A failure worth a clear sentence: missing credentials, a missing bucket, a region not allowed, access
 * denied, a failed step or job run. {@link #getMessage()} is meant for the person at the command line; the
 * SDK exception, if any, is the cause.
 */
public class AwsFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * A failure with no SDK exception behind it.
   *
   * @param message what failed and what to do, for the person at the command line
   */
  public AwsFailure(String message) {
    super(message);
  }

  /**
   * A failure caused by an SDK (or other) exception.
   *
   * @param message what failed and what to do, for the person at the command line
   * @param cause the exception behind it
   */
  public AwsFailure(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Polls in a row a wait ({@code EmrLauncher.waitForStep}, {@code ServerlessLauncher.waitForJobRun} and its wait
   * for a CREATING application) lets fail {@link #isTransient transiently} before it gives up: with the standard
   * back-off of up to 60 s, and the SDK's own retries within each poll, several minutes of throttling or outage.
   */
  public static final int TRANSIENT_POLLS_TOLERATED = 5;

  /**
   * The error codes of credentials AWS does not accept (unknown, expired, or a wrong secret key), which come with
   * HTTP 403 like missing permissions: STS and the JSON services', and S3's.
   */
  private static final Set<String> CREDENTIALS_REFUSED = Set.of("InvalidClientTokenId", "UnrecognizedClientException",
      "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch");

  /**
   * Whether {@code e} (or the SDK exception it wraps) is worth polling again after the SDK's own retries:
   * throttling, a server error (HTTP 5xx), or an I/O failure on the way. Refused credentials, access denied,
   * a missing resource or a bad request are not.
   *
   * @param e what a poll threw
   * @return whether to poll again
   */
  public static boolean isTransient(Throwable e) {
    Throwable t = e instanceof AwsFailure && e.getCause() != null ? e.getCause() : e;
    if (t instanceof AwsServiceException s) {
      return s.isThrottlingException() || s.statusCode() >= 500;
    }
    return t instanceof SdkClientException && t.getCause() instanceof java.io.IOException;
  }

  /**
   * {@return whether AWS refused the credentials of the request that failed with {@code e} (unknown, expired,
   * wrong)}
   *
   * @param e what the request threw
   */
  public static boolean credentialsRefused(SdkException e) {
    return e instanceof AwsServiceException s && s.awsErrorDetails() != null
        && CREDENTIALS_REFUSED.contains(s.awsErrorDetails().errorCode());
  }

  /**
   * {@return {@code e} in a few words, for a progress line: the service's error code and status, or the message}
   *
   * @param e an exception, or an {@code AwsFailure} whose cause is described
   */
  public static String brief(Throwable e) {
    Throwable t = e instanceof AwsFailure && e.getCause() != null ? e.getCause() : e;
    if (t instanceof AwsServiceException s && s.awsErrorDetails() != null) {
      return s.awsErrorDetails().errorCode() + " (HTTP " + s.statusCode() + ")";
    }
    return t.getMessage();
  }

  /**
   * Reports a tolerated failed poll of {@code what} ("step s-1") to {@code progress}, with the time since
   * {@code start} on {@code backoff}'s clock.
   *
   * @param progress takes the line
   * @param backoff the back-off whose clock measures the time
   * @param start when the wait started, in {@code backoff}'s nanoseconds
   * @param what what is asked about, e.g. {@code step s-1}
   * @return a consumer of the failure and the number of polls in a row that failed: the {@code onFailure} of
   *     {@link Backoff}'s {@code until}
   */
  public static ObjIntConsumer<RuntimeException> reportingTo(Consumer<String> progress, Backoff backoff,
      long start, String what) {
    return (e, n) -> progress.accept(String.format("[%s] asking about %s failed: %s, %d of %d tolerated in a"
        + " row; asking again", Durations.human(backoff.since(start)), what, brief(e), n,
        TRANSIENT_POLLS_TOLERATED));
  }

  /**
   * Translates an SDK exception into a sentence that says what to do; {@code what} names the action
   * ("creating the EMR cluster").
   *
   * @param what the action that failed
   * @param e what the SDK threw
   * @return the failure, with {@code e} as its cause
   */
  public static AwsFailure of(String what, SdkException e) {
    if (e instanceof SdkClientException && e.getMessage() != null
        && e.getMessage().contains("Unable to load credentials")) {
      return new AwsFailure("no AWS credentials while " + what + ": set AWS_PROFILE (or --profile) to a profile"
          + " of ~/.aws/credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance"
          + " or container role is available", e);
    }
    if (e instanceof SdkClientException && e.getMessage() != null
        && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("profile")) {
      return new AwsFailure("no usable AWS credentials while " + what + ": " + e.getMessage(), e);
    }
    if (e instanceof AwsServiceException s && s.awsErrorDetails() != null) {
      String code = s.awsErrorDetails().errorCode();
      String msg = s.awsErrorDetails().errorMessage();
      int status = s.statusCode();
      // before the 403 check: AWS answers unknown and expired credentials with 403 too
      if (credentialsRefused(e)) {
        return new AwsFailure("the AWS credentials were refused while " + what + " (" + code + ": " + msg
            + "); refresh them (aws sso login, new keys)", e);
      }
      if (status == 403 || "AccessDenied".equals(code) || "AccessDeniedException".equals(code)) {
        return new AwsFailure("access denied while " + what + " (" + code + ": " + msg + "); the policies in"
            + " examples/iam/ list the permissions p9 needs", e);
      }
      return new AwsFailure(what + " failed: " + code + " (HTTP " + status + "): " + msg, e);
    }
    return new AwsFailure(what + " failed: " + e.getMessage(), e);
  }
}
