package io.p9.examples;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --spark-conf KEY=VALUE} option of {@code p9 run}, {@code emr submit} and {@code serverless submit}:
 * Spark settings, repeatable, as spark-submit's {@code --conf} takes them. picocli splits each at its first
 * {@code =} (a value may hold more) and refuses one without; a blank key is refused here. A key given twice keeps
 * its last value. {@code p9 run} applies them to its SparkSession; the submit commands pass them to spark-submit.
 */
public final class SparkConfOptions {
  // the example starts a line: picocli breaks lines after a '.' before a letter, inside a key too
  @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = {"a Spark setting, as spark-submit's"
      + " --conf takes it; repeatable; e.g.", "spark.p9.read.concurrency=32"})
  Map<String, String> values = new LinkedHashMap<>();

  /** The settings, in the order given. */
  Map<String, String> values() {
    return values;
  }

  /** What is wrong with the settings (a blank key), or null. */
  String invalidOption() {
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().isBlank()) {
        return "--spark-conf takes KEY=VALUE with a key before the '=', not '" + e.getKey() + "=" + e.getValue()
            + "'";
      }
    }
    return null;
  }

  /** The settings, checked ({@link #invalidOption}): a bad one is an IllegalArgumentException. */
  Map<String, String> checked() {
    String invalid = invalidOption();
    if (invalid != null) {
      throw new IllegalArgumentException(invalid);
    }
    return values;
  }
}
