/**
 * Spark SQL output to cloud object stores: {@link io.p9.spark.cloud.PathCommitProtocol} binds Spark's file
 * writes to Hadoop's pluggable committers (S3A's magic and staging committers), which write no partial
 * output when a job fails.
 */
package io.p9.spark.cloud;
