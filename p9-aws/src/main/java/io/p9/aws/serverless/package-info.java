/**
 * EMR Serverless: {@link io.p9.aws.serverless.ServerlessSpec} (the Spark application: release 7.x,
 * architecture, auto-stop, capacity; and the job run: execution role, log URI, tags, timeout),
 * {@link io.p9.aws.serverless.ServerlessRequests} (the exact API requests, for the launcher and
 * {@code --dry-run}) and {@link io.p9.aws.serverless.ServerlessLauncher} (create or reuse the application,
 * start the job run, wait with back-off, fetch the driver's logs).
 */
package io.p9.aws.serverless;
