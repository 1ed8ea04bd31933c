#!/usr/bin/env bash
# The full benchmark run behind the README's Performance table (about 55 minutes on 2 cores: 50 before (8) and
# (9) were added, 40–45 before the interleaved int8 runs, about 4 minutes per pair at stop 15). Not here: the DL4J/ONNX
# backend comparison, whose model is generated with Python first (benchmarks/BACKEND-PARITY.md).
# Results: benchmarks/target/benchmarks/<time>.json (header with CPU, cores, JVM, commit) per JMH run.
set -euo pipefail
cd "$(dirname "$0")/.."

jmh() { mvn -B -q -DskipTests package exec:exec -pl benchmarks -am -Djmh.args="$*"; }

# (1) ONNX Runtime alone: the limit, swept over batch size, threads and callers; int8 and fp32
jmh "OrtLimitBenchmark -p model=int8,fp32 -p batch=1,8,32,64 -p intraOpThreads=1,2 -wi 1 -w 3 -i 3 -r 5"
# ... on real images (the default) against Gaussian noise: inference time does not depend on the content
jmh "OrtLimitBenchmark.twoCallers -p model=int8 -p batch=8 -p intraOpThreads=1 -p input=fruit,noise -wi 1 -w 3 -i 3 -r 5"
# (2) decode + resize + normalize per image (100x100 Fruits-360 JPEG, 1600x1200 JPEG) vs ImageIO + AWT
jmh "PreprocessBenchmark -wi 3 -w 1 -i 10 -r 1"
# (3) the batch path in one JVM, no Spark
jmh "BatchFeaturizerBenchmark -p model=int8,fp32 -p batch=8,32,64 -p intraOpThreads=1 -wi 1 -w 3 -i 3 -r 5"
# (4) Spark local[2], steady state (three warm-up passes), batch 8 as in (1): int8 on 7,680 and 15,360 images,
# fp32 on 3,840 and 7,680 (the difference gives the marginal rate, without the per-job fixed cost); the limit
# for each model right before and after
jmh "OrtLimitBenchmark.twoCallers -p model=int8 -p batch=8 -p intraOpThreads=1 -wi 1 -w 3 -i 3 -r 5"
jmh "SparkPipelineBenchmark.p9 -p model=int8 -p batch=8 -p images=1920 -p replicate=4,8 -wi 3 -i 3"
jmh "OrtLimitBenchmark.twoCallers -p model=int8,fp32 -p batch=8 -p intraOpThreads=1 -wi 1 -w 3 -i 3 -r 5"
# ... the int8 ratio, interleaved (the README's "P L P L" runs): pipeline and limit alternated, eight warm-up passes
for _ in 1 2; do
  jmh "SparkPipelineBenchmark.p9 -p model=int8 -p batch=8 -p images=1920 -p replicate=4 -wi 8 -i 3"
  jmh "OrtLimitBenchmark.twoCallers -p model=int8 -p batch=8 -p intraOpThreads=1 -wi 1 -w 3 -i 3 -r 5"
done
# ... and int8 on a standalone cluster (master, 2-core worker and executor JVMs on 127.0.0.1)
jmh "SparkPipelineBenchmark.p9 -p master=standalone -p model=int8 -p batch=8 -p images=1920 -p replicate=4,8 -wi 3 -i 3"
jmh "SparkPipelineBenchmark.p9 -p model=fp32 -p batch=8 -p images=1920 -p replicate=2,4 -wi 3 -i 3"
jmh "OrtLimitBenchmark.twoCallers -p model=fp32 -p batch=8 -p intraOpThreads=1 -wi 1 -w 3 -i 3 -r 5"
# (5) p9 vs the hand-written baseline, same model and files
jmh "SparkPipelineBenchmark.(p9|baseline|readOnly|decodeOnly) -p model=int8 -p batch=8 -p images=960 -wi 3 -i 5"
# (7) scaling: 1x, 4x, 16x the images
jmh "SparkPipelineBenchmark.p9 -p model=int8 -p batch=8 -p images=240 -p replicate=1,4,16 -wi 3 -i 3"
# (6) PCA fit, p9 vs Spark, N x 1280
jmh "PcaBenchmark -p rows=2000,8000,20000 -wi 1 -i 3"
# (8) reading 256 small images from S3 (S3Proxy behind a loopback proxy adding 0 or 20 ms a request), one file at a
# time a task against read-ahead
jmh "S3ReadBenchmark -wi 3 -i 5"
# (9) the driver's listing of 32,000 files in 64 or 6,400 folders at 50 ms a LIST page: flat against 16 at once
jmh "ListingBenchmark -wi 2 -i 5 -f 1 -p folders=64,6400"
