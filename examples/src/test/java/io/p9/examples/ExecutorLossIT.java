package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.p9.aws.testing.StandaloneCluster;
import io.p9.core.model.ModelCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.TaskEndReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * The Fruits! job on a Spark standalone cluster on 127.0.0.1 (a master, a worker and two executors of one core,
 * each its own JVM) that loses an executor in the featurize pass, as a job on EMR loses one to a reclaimed spot
 * instance: the executor's JVM is killed once it has finished a featurize task. What it held (the cached rows of
 * the pass, its shuffle output) is computed again, on the executor left and on the one the worker starts in its
 * place, and the stages' counters count those partitions again; the job still finishes, report.json counts each
 * file once, each image has one row in features.parquet and features.csv, and no executor still holds a model.
 */
class ExecutorLossIT {
  private static final int PARTITIONS = 8;

  @TempDir
  static Path dir;

  @Test
  void theJobFinishesWithExactCountsWhenAnExecutorIsLostMidFeaturize() throws Exception {
    Path input = dir.resolve("in");
    Path first = Fixtures.subset(input, 4, 6).get(0);
    byte[] jpeg = Files.readAllBytes(first);
    Files.write(first.resolveSibling("broken.jpg"), Arrays.copyOf(jpeg, jpeg.length / 3));
    Files.write(first.resolveSibling("empty.jpg"), new byte[0]);
    String out = dir.resolve("out").toString();
    try (StandaloneCluster cluster = StandaloneCluster.start(2, "2g")) {
      SparkSession spark = SparkSession.builder().master(cluster.masterUrl()).appName("p9-executor-loss")
          .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "4")
          .config("spark.executor.cores", "1").config("spark.executor.memory", "768m")
          .config("spark.executor.extraClassPath", StandaloneCluster.executorClassPath())
          .config("spark.executor.extraJavaOptions", String.join(" ", StandaloneCluster.moduleFlags()))
          // each executor closes a model when no task holds it: a model still open is a lease never closed
          .config("spark.p9.modelCache.maxIdle", "0")
          .getOrCreate();
      try {
        assertThat(spark.sparkContext().master()).isEqualTo(cluster.masterUrl());
        Killer killer = new Killer(cluster);
        spark.sparkContext().addSparkListener(killer);

        FruitsJob.Report r = FruitsJob.run(spark, new FruitsJob.Options(input.toString(), out,
            Fixtures.model().toString(), 0, 0.9, 8, "skip", PARTITIONS, "pca"));
        // the listener's events are delivered on Spark's bus thread
        spark.sparkContext().listenerBus().waitUntilEmpty();

        assertThat(killer.killed.get()).as("the executor killed").isNotNull();
        assertThat(killer.removed).as("executors the driver lost").contains(killer.killed.get());
        // the partitions the lost executor had featurized were featurized again
        assertThat(killer.featurizeTasks.get()).as("featurize tasks that finished").isGreaterThan(PARTITIONS);

        assertThat(r.files()).isEqualTo(26);
        assertThat(r.featurized()).isEqualTo(24);
        assertThat(r.failed()).isEqualTo(2);
        assertThat(r.failuresByReason()).containsEntry("EMPTY", 1L);
        assertThat(r.failuresByReason().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
        assertThat(Files.readString(Path.of(out, "report.json"))).contains("\"files\" : 26", "\"featurized\" : 24");
        Dataset<Row> parquet = spark.read().parquet(r.parquet());
        assertThat(parquet.count()).isEqualTo(24);
        assertThat(parquet.select("path").distinct().count()).isEqualTo(24);
        List<String[]> csv = FruitsJobTest.rfc4180(r.csv());
        assertThat(csv.subList(1, csv.size())).extracting(row -> row[0]).hasSize(24).doesNotHaveDuplicates();

        List<Integer> models = spark.range(0, PARTITIONS, 1, PARTITIONS).map(
            (org.apache.spark.api.java.function.MapFunction<Long, Integer>) i -> ModelCache.shared().size(),
            Encoders.INT()).collectAsList();
        assertThat(models).as("models open on the executors").containsOnly(0);
      } finally {
        spark.stop();
      }
    }
  }

  /**
   * Kills the executor that finished the first featurize task (one whose counters the featurizer updated), once;
   * counts the featurize tasks that finished and the executors the driver lost.
   */
  private static final class Killer extends SparkListener {
    final AtomicReference<String> killed = new AtomicReference<>();
    final AtomicInteger featurizeTasks = new AtomicInteger();
    final Set<String> removed = ConcurrentHashMap.newKeySet();
    private final StandaloneCluster cluster;

    Killer(StandaloneCluster cluster) {
      this.cluster = cluster;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      TaskEndReason reason = end.reason();
      boolean featurized = JavaConverters.seqAsJavaList(end.taskInfo().accumulables()).stream()
          .anyMatch(a -> a.name().isDefined() && a.name().get().startsWith("CnnFeaturizer"));
      if (!(reason instanceof org.apache.spark.Success$) || !featurized) {
        return;
      }
      featurizeTasks.incrementAndGet();
      String id = end.taskInfo().executorId();
      if (killed.compareAndSet(null, id)) {
        cluster.executor(id).orElseThrow(() -> new IllegalStateException("no JVM for executor " + id))
            .destroyForcibly();
      }
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removedEvent) {
      removed.add(removedEvent.executorId());
    }
  }
}
