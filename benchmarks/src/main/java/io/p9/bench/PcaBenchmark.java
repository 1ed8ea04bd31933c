package io.p9.bench;

import io.p9.spark.ml.PcaReducer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * (6) PCA fit on N x 1280 vectors on Spark {@code local[2]}: p9's PcaReducer (one pass, blocked covariance,
 * EJML symmetric eigen-decomposition) next to Spark's own PCA (RowMatrix Gramian, SVD), both k = 50.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class PcaBenchmark {
  @Param({"2000", "8000", "20000"})
  public int rows;

  @Param({"1280"})
  public int dim;

  SparkSession spark;
  Dataset<Row> data;

  @Setup(Level.Trial)
  public void setUp() {
    spark = SparkSession.builder().master("local[2]").appName("p9-bench-pca")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    Random r = new Random(3);
    List<Row> list = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      double[] x = new double[dim];
      for (int j = 0; j < dim; j++) {
        x[j] = r.nextGaussian() / (1 + j * 0.05) + 0.3 * j;
      }
      list.add(RowFactory.create(Vectors.dense(x)));
    }
    data = spark.createDataFrame(list, new StructType().add("features", SQLDataTypes.VectorType()))
        .repartition(4).cache();
    data.count();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    spark.stop();
  }

  @Benchmark
  public Object p9PcaReducer() {
    return new PcaReducer().setK(50).fit(data).pc();
  }

  @Benchmark
  public Object sparkPca() {
    return new PCA().setInputCol("features").setOutputCol("pca").setK(50).fit(data).pc();
  }
}
