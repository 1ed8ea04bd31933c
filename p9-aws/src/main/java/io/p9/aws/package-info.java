/**
 * Running p9 on AWS, shared pieces: {@link io.p9.aws.RegionPolicy} (which regions data and compute may
 * live in; EU only by default, for GDPR), {@link io.p9.aws.AwsSettings} (region, credentials, endpoint
 * override: how the AWS SDK v2 clients are built) and {@link io.p9.aws.Backoff} (bounded waiting with
 * exponential back-off). S3 lives in {@code io.p9.aws.s3}, EMR on EC2 in {@code io.p9.aws.emr}, EMR
 * Serverless in {@code io.p9.aws.serverless}. Nothing here depends on Spark.
 */
package io.p9.aws;
