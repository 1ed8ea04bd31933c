package io.p9.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.filter.AbstractFilter;

/**
 * Keeps off the console what Spark logs about a failure that {@code p9 run} then reports in one line, where it used
 * to come first, dozens of lines with several copies of the stack trace:
 * <ul>
 *   <li>a task that failed on one file under {@code --handle-invalid error} ({@link P9Cli.Run#FILE_FAILURES}): the
 *       executor's {@code Exception in task} and the scheduler's {@code Lost task} (each with the whole stack
 *       trace) and {@code Task ... failed N times; aborting job}; a task that failed for another reason (one that
 *       Spark may run again, and that may then succeed) is logged as Spark logs it;</li>
 *   <li>the block manager's {@code Putting block ... failed due to exception} (and its {@code Block ... could not
 *       be removed}), which Spark logs for every task that fails while computing a cached partition, before the
 *       executor and the scheduler log that failure in full;</li>
 *   <li>Spark ML's stack trace of a failed fit, save or load ({@code Instrumentation}'s ERROR), which the call
 *       then throws on to p9.</li>
 * </ul>
 * Other appenders (a log file) get every line.
 */
final class QuietFailureLogs extends AbstractFilter implements AutoCloseable {
  private static final String EXECUTOR = "org.apache.spark.executor.Executor";
  private static final String SCHEDULER = "org.apache.spark.scheduler.TaskSetManager";
  private static final String BLOCKS = "org.apache.spark.storage.BlockManager";
  private static final String SPARK_ML = "org.apache.spark.ml.util.Instrumentation";
  private static final Pattern LOST = Pattern.compile("Lost task (\\d+)\\.\\d+ in stage (\\S+) \\(TID \\d+\\).*",
      Pattern.DOTALL);
  private static final Pattern ABORTING =
      Pattern.compile("Task (\\d+) in stage (\\S+) failed \\d+ times; aborting job");
  private static final Pattern PUT_FAILED = Pattern.compile("Putting block (\\S+) failed due to exception .*",
      Pattern.DOTALL);
  private static final Pattern NOT_REMOVED =
      Pattern.compile("Block (\\S+) could not be removed as it was not found on disk or in memory");

  private final List<ConsoleAppender> consoles = new ArrayList<>();
  /** The tasks ({@code index in stage id}) whose failure on a file was kept off, and the blocks whose put was. */
  private final Set<String> quietTasks = ConcurrentHashMap.newKeySet();
  private final Set<String> quietBlocks = ConcurrentHashMap.newKeySet();

  private QuietFailureLogs() {}

  /**
   * Starts keeping those lines off the console appenders of the log4j configuration in use (none where log4j is
   * not the logging back end); {@link #close} lets them through again.
   */
  static QuietFailureLogs onConsole() {
    QuietFailureLogs filter = new QuietFailureLogs();
    filter.start();
    if (LogManager.getContext(false) instanceof LoggerContext context) {
      for (Appender a : context.getConfiguration().getAppenders().values()) {
        if (a instanceof ConsoleAppender console) {
          console.addFilter(filter);
          filter.consoles.add(console);
        }
      }
    }
    return filter;
  }

  @Override
  public Result filter(LogEvent event) {
    String message = event.getMessage().getFormattedMessage();
    boolean quiet = switch (event.getLoggerName()) {
      case EXECUTOR -> message.startsWith("Exception in task") && P9Cli.Run.fileFailure(event.getThrown()) != null;
      case SCHEDULER -> lostOnAFile(message) || abortedAfterAQuietLoss(message);
      case BLOCKS -> putFailed(message) || notRemovedAfterAQuietPut(message);
      // logFailure's message is the stack trace (printStackTrace's text)
      case SPARK_ML -> event.getLevel() == Level.ERROR && message.contains("\tat ");
      default -> false;
    };
    return quiet ? Result.DENY : Result.NEUTRAL;
  }

  /** Whether {@code message} is a task's failure on one file; remembers the task. */
  private boolean lostOnAFile(String message) {
    Matcher m = LOST.matcher(message);
    if (!m.matches() || P9Cli.Run.FILE_FAILURES.stream().noneMatch(type -> message.contains(type.getName()))) {
      return false;
    }
    quietTasks.add(task(m));
    return true;
  }

  /** Whether {@code message} aborts the job for a task whose failure was kept off. */
  private boolean abortedAfterAQuietLoss(String message) {
    Matcher m = ABORTING.matcher(message);
    return m.matches() && quietTasks.contains(task(m));
  }

  /** {@code index in stage id}: the task that {@code m} matched, its index and its stage. */
  private static String task(Matcher m) {
    return m.group(1) + " in stage " + m.group(2);
  }

  /** Whether {@code message} is a failed put of a block; remembers the block. */
  private boolean putFailed(String message) {
    Matcher m = PUT_FAILED.matcher(message);
    if (!m.matches()) {
      return false;
    }
    quietBlocks.add(m.group(1));
    return true;
  }

  /** Whether {@code message} is the block manager's cleaning up after a failed put that was kept off. */
  private boolean notRemovedAfterAQuietPut(String message) {
    Matcher m = NOT_REMOVED.matcher(message);
    return m.matches() && quietBlocks.contains(m.group(1));
  }

  /** Lets the lines through again. */
  @Override
  public void close() {
    consoles.forEach(c -> c.removeFilter(this));
    stop();
  }
}
