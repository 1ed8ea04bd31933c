/**
 * S3 for p9: {@link io.p9.aws.s3.S3aSettings} (typed S3A configuration for a SparkSession, SparkConf or
 * Hadoop Configuration: credentials, region, endpoint and path style, connection pool and threads for many
 * small files, the output committer, upload buffering), {@link io.p9.aws.s3.S3Location} (s3:// and s3a://
 * URIs) and {@link io.p9.aws.s3.S3Store} (bucket checks with clear errors, content-addressed uploads of the
 * job jar and models, reading logs).
 */
package io.p9.aws.s3;
