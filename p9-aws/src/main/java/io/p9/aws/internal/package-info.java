/**
 * Not API: JSON rendering of AWS SDK v2 requests for dry runs; the check of the {@code project=p9} tag; checks of
 * values against the constraints of AWS's API references; the retry guard of requests without an idempotency token;
 * an SDK HTTP client on {@code java.net.http} for {@code PATCH}.
 */
package io.p9.aws.internal;
