package io.p9.spark.ml.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the WARN and ERROR lines that the named log4j2 loggers log while it is open, as
 * {@code "LEVEL logger: message"}; closing it detaches it again.
 */
public final class LogCapture implements AutoCloseable {
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final List<Logger> loggers = new ArrayList<>();
  private final AbstractAppender appender =
      new AbstractAppender("p9-log-capture", null, null, true, Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
          if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
            lines.add(event.getLevel() + " " + event.getLoggerName() + ": "
                + event.getMessage().getFormattedMessage());
          }
        }
      };

  /**
   * Starts collecting what {@code loggerNames} log at WARN or above.
   *
   * @param loggerNames the loggers to listen to, e.g. {@code org.apache.spark.scheduler.TaskSetManager}
   */
  public LogCapture(String... loggerNames) {
    appender.start();
    for (String name : loggerNames) {
      Logger logger = (Logger) LogManager.getLogger(name);
      logger.addAppender(appender);
      loggers.add(logger);
    }
  }

  /** {@return a copy of the lines collected so far} */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    loggers.forEach(l -> l.removeAppender(appender));
    appender.stop();
  }
}
