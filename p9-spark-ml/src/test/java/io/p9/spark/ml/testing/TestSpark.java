package io.p9.spark.ml.testing;

import io.p9.core.testing.RepoData;
import io.p9.spark.ml.ImageFiles;
import io.p9.spark.ml.ImageLoader;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The one {@code local[2]} SparkSession the tests of a JVM share: UI off, few shuffle partitions, driver
 * on loopback. A test that stops it leaves the next {@link #get()} a new one.
 */
public final class TestSpark {
  private static SparkSession spark;

  private TestSpark() {}

  /** The session, started again if a test stopped it. */
  public static synchronized SparkSession get() {
    if (spark == null || spark.sparkContext().isStopped()) {
      spark = loopback("p9-tests", "local[2]")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.sql.session.timeZone", "UTC")
          .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/p9-warehouse")
          .getOrCreate();
    }
    return spark;
  }

  /**
   * A builder of a session of its own (an IT's, a benchmark's): {@code master}, {@code appName}, the UI off and the
   * driver on 127.0.0.1, as tests reach nothing but loopback.
   */
  public static SparkSession.Builder loopback(String appName, String master) {
    return SparkSession.builder().master(master).appName(appName).config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
  }

  /**
   * {@code perClass} photos of each of the first {@code classes} varieties of the repository's sample, copied
   * under {@code dst} and decoded by {@link ImageLoader} in the shared session, in {@code partitions} partitions,
   * cached.
   */
  public static Dataset<Row> sampleImages(Path dst, int perClass, int classes, int partitions) {
    Path sample = Files2.copySample(RepoData.quickSample().resolve("Training"), dst, perClass, classes);
    return new ImageLoader().transform(ImageFiles.read(get(), sample.toString())).repartition(partitions).cache();
  }
}
