/**
 * JMH benchmarks (never deployed): ONNX Runtime alone (the limit), preprocessing, the batch path, the Spark
 * pipeline against a hand-written baseline, scaling, PCA, DL4J vs ONNX Runtime, and reading small files from S3
 * (S3Proxy behind a latency-adding proxy) one at a time and ahead. {@link
 * io.p9.bench.BenchMain} runs them and writes JSON with a CPU/JVM/commit header.
 */
package io.p9.bench;
