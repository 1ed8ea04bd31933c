/**
 * Test support shared with the examples' tests: {@link io.p9.aws.testing.S3ProxyServer} (a real
 * S3-protocol server in its own JVM on 127.0.0.1), {@link io.p9.aws.testing.LatencyProxy} (a TCP forwarder
 * that gives each request a round-trip latency and counts the requests waiting at once),
 * {@link io.p9.aws.testing.StandaloneCluster} (a Spark
 * standalone master and worker on 127.0.0.1, shared with the benchmarks), {@link io.p9.aws.testing.Processes}
 * (child JVMs with deadlines) and {@link io.p9.aws.testing.FakeClock} (back-off without waiting).
 */
package io.p9.aws.testing;
