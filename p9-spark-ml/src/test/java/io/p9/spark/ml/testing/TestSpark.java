package io.p9.spark.ml.testing;

import org.apache.spark.sql.SparkSession;

/**
 * The one {@code local[2]} SparkSession the tests of a JVM share: UI off, few shuffle partitions, driver
 * on loopback.
 */
public final class TestSpark {
  private static SparkSession spark;

  private TestSpark() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("p9-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.session.timeZone", "UTC")
          .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/p9-warehouse")
          .getOrCreate();
    }
    return spark;
  }
}
