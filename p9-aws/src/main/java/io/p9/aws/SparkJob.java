package io.p9.aws;

import io.p9.aws.internal.ApiConstraints;
import io.p9.aws.s3.S3Location;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Spark application to run: the jar on S3, its main class, its arguments and extra Spark configuration
 * ({@code --conf k=v}). The same job runs as an EMR step ({@code spark-submit} through
 * {@code command-runner.jar}) or as an EMR Serverless job run. Its name is one both take: 1 to 256 characters,
 * not all white space, with no control characters but tabs and line breaks. Immutable.
 */
public record SparkJob(String name, S3Location jar, String mainClass, List<String> args, Map<String, String> sparkConf) {
  /** A name that is not all white space, made of the characters XML allows. */
  private static final Pattern NAME = Pattern.compile("(?s)(?=.*\\S)[" + ApiConstraints.XML_CHARS + "]*");

  public SparkJob {
    checkName(name);
    Objects.requireNonNull(jar, "jar");
    Objects.requireNonNull(mainClass, "mainClass");
    args = List.copyOf(args);
    sparkConf = Collections.unmodifiableMap(new LinkedHashMap<>(sparkConf));
  }

  /**
   * Checks that {@code name} is one both an EMR step (StepConfig Name: up to 256 characters that XML allows) and an
   * EMR Serverless job run (StartJobRun name: 1 to 256 characters, not all white space) take.
   */
  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    ApiConstraints.check("job name", name, 1, 256, NAME, "not all white space, " + ApiConstraints.XML_RULE);
  }

  /** {@code spark-submit} arguments after the command: options, the jar, then the app's arguments. */
  public List<String> sparkSubmitArgs(List<String> options) {
    List<String> a = new ArrayList<>(options);
    a.add("--class");
    a.add(mainClass);
    sparkConf.forEach((k, v) -> {
      a.add("--conf");
      a.add(k + "=" + v);
    });
    a.add(jar.s3Uri());
    a.addAll(args);
    return a;
  }

  /** The {@code sparkSubmitParameters} string of EMR Serverless: {@code --class X --conf k=v ...}. */
  public String sparkSubmitParameters() {
    StringBuilder sb = new StringBuilder("--class ").append(mainClass);
    sparkConf.forEach((k, v) -> {
      if (v.matches(".*\\s.*")) {
        throw new IllegalArgumentException("EMR Serverless cannot pass a --conf value with spaces: " + k);
      }
      sb.append(" --conf ").append(k).append('=').append(v);
    });
    return sb.toString();
  }
}
