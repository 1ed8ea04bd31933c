/**
 * EMR on EC2: {@link io.p9.aws.emr.EmrClusterSpec} (what cluster: release 7.x, Spark, instance groups or
 * fleets, on-demand or spot, Java 17 and spark-defaults configurations, log URI, auto-termination, tags,
 * security configuration), {@link io.p9.aws.emr.EmrRequests} (the exact API requests, built without calling
 * AWS, also for {@code --dry-run}), and {@link io.p9.aws.emr.EmrLauncher} (create the cluster with the
 * Spark step, wait with back-off reporting state changes, fetch the step's stderr from the log URI on
 * failure, terminate).
 */
package io.p9.aws.emr;
