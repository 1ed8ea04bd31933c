package io.p9.aws.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkPlugin;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;

/**
 * For a request that must not take effect twice and carries no idempotency token (EMR's {@code RunJobFlow} and
 * {@code AddJobFlowSteps}): {@link #PLUGIN}, set on the request, keeps the client's retries only for failures after
 * which the request certainly did not take effect, {@link #notTakenEffect}. A dropped connection, a time-out or a
 * 5xx leave it open whether the service acted on it, and are not resent.
 */
public final class NoResend {
  /** A request plugin: the client's retry strategy, resending only what {@link #notTakenEffect} accepts. */
  public static final SdkPlugin PLUGIN = config -> config.overrideConfiguration(o -> o.retryStrategy(
      new Strategy(o.retryStrategy() != null ? o.retryStrategy() : AwsRetryStrategy.defaultRetryStrategy())));

  private NoResend() {}

  /**
   * Whether a request that failed with {@code e} certainly did not take effect: the service refused it as
   * throttled, or no connection to it was made (refused, unknown host, no route).
   *
   * @param e what the request threw
   * @return whether resending it is safe
   */
  public static boolean notTakenEffect(Throwable e) {
    if (e instanceof AwsServiceException s) {
      return s.isThrottlingException();
    }
    if (e instanceof SdkClientException) {
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
        if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code delegate}, refusing to retry a failure {@link #notTakenEffect} does not accept. */
  private record Strategy(RetryStrategy delegate) implements RetryStrategy {
    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
      return delegate.acquireInitialToken(request);
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
      if (!notTakenEffect(request.failure())) {
        throw new TokenAcquisitionFailedException("not resent: the request may have taken effect", request.token(),
            request.failure());
      }
      return delegate.refreshRetryToken(request);
    }

    @Override
    public RecordSuccessResponse recordSuccess(RecordSuccessRequest request) {
      return delegate.recordSuccess(request);
    }

    @Override
    public int maxAttempts() {
      return delegate.maxAttempts();
    }

    @Override
    public Builder<?, ?> toBuilder() {
      // what the builder builds retries as the delegate does: used only where a client is configured anew
      return delegate.toBuilder();
    }
  }
}
