package io.p9.aws;

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

  public AwsFailure(String message) {
    super(message);
  }

  public AwsFailure(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Translates an SDK exception into a sentence that says what to do; {@code what} names the action
   * ("creating the EMR cluster").
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
      if (status == 403 || "AccessDenied".equals(code) || "AccessDeniedException".equals(code)) {
        return new AwsFailure("access denied while " + what + " (" + code + ": " + msg + "); the policies in"
            + " examples/iam/ list the permissions p9 needs", e);
      }
      if ("InvalidClientTokenId".equals(code) || "UnrecognizedClientException".equals(code)
          || "ExpiredToken".equals(code) || "ExpiredTokenException".equals(code)) {
        return new AwsFailure("the AWS credentials were refused while " + what + " (" + code + ": " + msg
            + "); refresh them (aws sso login, new keys)", e);
      }
      return new AwsFailure(what + " failed: " + code + " (HTTP " + status + "): " + msg, e);
    }
    return new AwsFailure(what + " failed: " + e.getMessage(), e);
  }
}
