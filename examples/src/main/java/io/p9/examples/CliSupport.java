package io.p9.examples;

import io.p9.aws.AwsFailure;
import io.p9.aws.AwsSettings;
import io.p9.aws.Durations;
import io.p9.aws.RegionPolicy;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/** Exit codes and error sentences shared by the AWS subcommands. */
final class CliSupport {
  static final int OK = 0;
  static final int JOB_FAILED = 1;
  static final int USAGE = 2;
  static final int TIMEOUT = 3;

  private CliSupport() {}

  /**
   * Refuses the {@code options} of {@code spec}'s command that were given on the command line, saying that
   * they shape {@code what} (one line, exit {@link #USAGE} through {@link #guarded}).
   */
  static void refuseGiven(CommandSpec spec, List<String> options, String what) {
    String refused = refusal(spec, options, what);
    if (refused != null) {
      throw new IllegalArgumentException(refused);
    }
  }

  /** The sentence {@link #refuseGiven} refuses with, or null when none of {@code options} was given. */
  static String refusal(CommandSpec spec, List<String> options, String what) {
    List<String> given = options.stream().filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o))
        .toList();
    return given.isEmpty() ? null : String.join(", ", given) + (given.size() == 1 ? " shapes " : " shape ") + what;
  }

  /**
   * The value {@code text} of the duration option {@code option} (EMR's idle timeout, EMR Serverless's idle
   * stop), which AWS takes from 1 minute to 7 days; a value outside is refused naming the option and the text
   * as typed (not as {@code 192h00m} for {@code 8d}).
   */
  static Duration minuteToWeek(String option, String text) {
    Duration d = duration(option, text);
    if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException(option + " must be 1m to 7d, not '" + text + "'");
    }
    return d;
  }

  /** The value {@code text} of the duration option {@code option}; one that is no duration is refused naming it. */
  static Duration duration(String option, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  /**
   * What a command that only groups others does given none of them: its usage on stderr, and picocli's exit code
   * for invalid input (2), as git and the AWS CLI do.
   */
  static int missingSubcommand(CommandSpec spec) {
    CommandLine c = spec.commandLine();
    c.usage(c.getErr());
    c.getErr().flush();
    return spec.exitCodeOnInvalidInput();
  }

  /**
   * The first line of the innermost cause of {@code e}, its class and message: what a failure comes down to (a
   * Spark job's failure holds the failed task's whole stack trace in its message).
   */
  static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.toString().lines().findFirst().orElseThrow();
  }

  /** Runs {@code body}, turning the failures a user can fix into one line on {@code err} and an exit code. */
  static int guarded(PrintWriter err, Callable<Integer> body) {
    try {
      return body.call();
    } catch (AwsFailure | IllegalArgumentException e) {
      err.println("p9: " + e.getMessage());
      return USAGE;
    } catch (SdkException e) {
      err.println("p9: " + AwsFailure.of("calling AWS", e).getMessage());
      return USAGE;
    } catch (TimeoutException e) {
      err.println("p9: " + e.getMessage());
      return TIMEOUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("p9: interrupted");
      return TIMEOUT;
    } catch (Exception e) {
      err.println("p9: " + e);
      return JOB_FAILED;
    } finally {
      err.flush();
    }
  }

  /**
   * The end of a {@code logs} command: prints the log fetched from S3, or says on {@code err} why there is
   * none ({@code missing}). Returns OK or JOB_FAILED.
   */
  static int printFetchedLog(PrintWriter out, PrintWriter err, Optional<String> text, String missing) {
    if (text.isEmpty()) {
      err.println("p9: " + missing);
      return JOB_FAILED;
    }
    out.println(text.get());
    out.flush();
    return OK;
  }

  /**
   * Prints the end of a failed run's stderr ({@code log}, the stderr called {@code name}), or {@code missing}
   * when it is not there, or why it could not be read, and the command to fetch it later. Reading it is best
   * effort: whatever goes wrong there (access denied, no log URI), the run's failure stays the outcome.
   */
  static void printFailureLog(PrintWriter err, Supplier<Optional<String>> log, String name, String missing,
      String later) {
    String text;
    String why = missing;
    try {
      text = log.get().orElse(null);
    } catch (RuntimeException e) {
      text = null;
      why = name + " could not be read (" + e.getMessage() + ")";
    }
    if (text == null) {
      err.println("p9: " + why + "; later: " + later);
    } else {
      err.println("---- stderr (end) ----");
      err.println(text);
      err.println("----");
    }
    err.flush();
  }

  /** Progress lines on {@code err}, time-stamped. */
  static Consumer<String> progress(PrintWriter err) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("HH:mm:ss");
    return line -> {
      err.println(LocalTime.now().format(f) + " " + line);
      err.flush();
    };
  }

  /**
   * Checks that credentials are there and valid (STS GetCallerIdentity); says whose they are. Refused in a European
   * opt-in region, they may be valid in a region the account has not enabled: the error says how to enable it.
   */
  static void checkCredentials(AwsSettings settings, Consumer<String> progress) {
    String region = settings.region().id();
    try (StsClient sts = settings.sts()) {
      GetCallerIdentityResponse id = sts.getCallerIdentity();
      progress.accept("AWS account " + id.account() + " as " + id.arn() + ", region " + region);
    } catch (SdkException e) {
      AwsFailure f = AwsFailure.of("checking the AWS credentials", e);
      if (AwsFailure.credentialsRefused(e) && RegionPolicy.EUROPEAN_OPT_IN_REGIONS.contains(region)) {
        throw new AwsFailure(f.getMessage() + ", or the account has not enabled " + region + ", a region AWS"
            + " launched after March 2019: aws account enable-region --region-name " + region, e);
      }
      throw f;
    }
  }
}
