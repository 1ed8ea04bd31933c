package io.p9.examples;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

/**
 * A listener that a run installs through Spark's own {@code spark.extraListeners} (given with
 * {@code --spark-conf}): it keeps the value of each of {@link #KEYS} as the job saw it, in the conf Spark made the
 * SparkContext with ({@link #CONTEXT}) and in the session's runtime conf when the first Spark job starts
 * ({@link #SESSION}), where the job's own code reads its settings.
 */
public final class ConfRecordingListener extends SparkListener {
  /** The keys recorded. */
  static final List<String> KEYS = List.of("spark.master", "spark.app.name", "spark.sql.shuffle.partitions",
      "spark.p9.read.concurrency", "spark.p9.list.concurrency");
  /** The keys' values in the SparkContext's conf; a key not set is absent. */
  static final Map<String, String> CONTEXT = new ConcurrentHashMap<>();
  /** The keys' values in the session's runtime conf as the first job started; a key not set is absent. */
  static final Map<String, String> SESSION = new ConcurrentHashMap<>();

  /**
   * Made by the SparkContext, with its conf.
   *
   * @param conf the SparkContext's conf
   */
  public ConfRecordingListener(SparkConf conf) {
    for (String key : KEYS) {
      if (conf.contains(key)) {
        CONTEXT.put(key, conf.get(key));
      }
    }
  }

  /** Forgets what an earlier run recorded. */
  static void clear() {
    CONTEXT.clear();
    SESSION.clear();
  }

  @Override
  public void onJobStart(SparkListenerJobStart jobStart) {
    if (!SESSION.isEmpty() || SparkSession.getDefaultSession().isEmpty()) {
      return;
    }
    SparkSession spark = SparkSession.getDefaultSession().get();
    for (String key : KEYS) {
      String value = spark.conf().get(key, null);
      if (value != null) {
        SESSION.put(key, value);
      }
    }
  }
}
