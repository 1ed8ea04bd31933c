package io.p9.spark.ml.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the lines that the named log4j2 loggers log while it is open, at WARN and above unless told another
 * level, as {@code "LEVEL logger: message"} ({@link #lines}) and as the messages alone ({@link #messages});
 * closing it detaches it again.
 */
public final class LogCapture implements AutoCloseable {
  private final List<LogEvent> events = Collections.synchronizedList(new ArrayList<>());
  private final List<Logger> loggers = new ArrayList<>();
  private final AbstractAppender appender;

  /**
   * Starts collecting what {@code loggerNames} log at WARN or above.
   *
   * @param loggerNames the loggers to listen to, e.g. {@code org.apache.spark.scheduler.TaskSetManager}
   */
  public LogCapture(String... loggerNames) {
    this(Level.WARN, loggerNames);
  }

  /**
   * Starts collecting what {@code loggerNames} log at {@code least} or above (what their configured level lets
   * through).
   *
   * @param least the least level collected
   * @param loggerNames the loggers to listen to
   */
  public LogCapture(Level least, String... loggerNames) {
    appender = new AbstractAppender("p9-log-capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        if (event.getLevel().isMoreSpecificThan(least)) {
          events.add(event.toImmutable());
        }
      }
    };
    appender.start();
    for (String name : loggerNames) {
      Logger logger = (Logger) LogManager.getLogger(name);
      logger.addAppender(appender);
      loggers.add(logger);
    }
  }

  /** {@return the lines collected so far, as {@code "LEVEL logger: message"}} */
  public List<String> lines() {
    return collected(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage());
  }

  /** {@return the messages collected so far} */
  public List<String> messages() {
    return collected(e -> e.getMessage().getFormattedMessage());
  }

  private List<String> collected(Function<LogEvent, String> format) {
    synchronized (events) {
      return events.stream().map(format).toList();
    }
  }

  @Override
  public void close() {
    loggers.forEach(l -> l.removeAppender(appender));
    appender.stop();
  }
}
