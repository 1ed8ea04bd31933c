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
 *
 * @param name 1 to 256 characters, not all white space, that XML allows
 * @param jar the application jar on S3
 * @param mainClass its main class
 * @param args the application's arguments
 * @param sparkConf extra Spark configuration, passed as {@code --conf k=v}
 */
public record SparkJob(String name, S3Location jar, String mainClass, List<String> args,
    Map<String, String> sparkConf) {
  /** A name that is not all white space, made of the characters XML allows. */
  private static final Pattern NAME = Pattern.compile("(?s)(?=.*\\S)[" + ApiConstraints.XML_CHARS + "]*");

  /**
   * Checks the name and copies the arguments and configuration.
   *
   * @param name 1 to 256 characters, not all white space, that XML allows
   * @param jar the application jar on S3
   * @param mainClass its main class
   * @param args the application's arguments
   * @param sparkConf extra Spark configuration, passed as {@code --conf k=v}
   * @throws IllegalArgumentException if the name is one EMR or EMR Serverless does not take
   */
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

  /**
   * {@return the {@code spark-submit} arguments after the command: {@code options}, {@code --class}, the
   * {@code --conf}s, the jar, then the app's arguments}
   *
   * @param options spark-submit options that go first, e.g. {@code --deploy-mode cluster}
   */
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

  /**
   * {@return the {@code sparkSubmitParameters} string of EMR Serverless: {@code --class X --conf k=v ...}}
   *
   * @throws IllegalArgumentException if a {@code --conf} value has white space, which EMR Serverless cannot pass
   */
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
