package io.p9.examples;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * What the console appenders of this JVM's log4j configuration print while it is open, as {@code LEVEL logger:
 * message} and the stack trace of the event's exception: the lines a user of {@code p9 run} sees on stderr.
 */
final class ConsoleLines extends AbstractAppender implements AutoCloseable {
  private final Logger root = (Logger) LogManager.getRootLogger();
  private final List<ConsoleAppender> consoles = ((LoggerContext) LogManager.getContext(false)).getConfiguration()
      .getAppenders().values().stream().filter(ConsoleAppender.class::isInstance).map(ConsoleAppender.class::cast)
      .toList();
  private final StringWriter text = new StringWriter();

  ConsoleLines() {
    super("p9-console-lines", null, null, true, Property.EMPTY_ARRAY);
    start();
    root.addAppender(this);
  }

  @Override
  public void append(LogEvent event) {
    if (consoles.stream().anyMatch(c -> !c.isFiltered(event))) {
      synchronized (text) {
        PrintWriter w = new PrintWriter(text);
        w.println(event.getLevel() + " " + event.getLoggerName().replaceAll(".*\\.", "") + ": "
            + event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
          event.getThrown().printStackTrace(w);
        }
        w.flush();
      }
    }
  }

  /** {@return the lines printed so far} */
  String text() {
    synchronized (text) {
      return text.toString();
    }
  }

  @Override
  public void close() {
    root.removeAppender(this);
    stop();
  }
}
