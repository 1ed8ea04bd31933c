package io.p9.examples;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Runs an action once, when the CNN pass of a run in this JVM is over (Progress logs its last line). */
final class AfterTheCnnPass extends AbstractAppender implements AutoCloseable {
  private final Logger logger = (Logger) LogManager.getLogger(Progress.class);
  private final Callable<?> action;
  private final AtomicBoolean ran = new AtomicBoolean();

  AfterTheCnnPass(Callable<?> action) {
    super("p9-after-the-cnn-pass", null, null, true, Property.EMPTY_ARRAY);
    this.action = action;
    start();
    logger.addAppender(this);
  }

  @Override
  public void append(LogEvent event) {
    if (event.getMessage().getFormattedMessage().matches(".* files done \\(.*\\) in .*") && !ran.getAndSet(true)) {
      try {
        action.call();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** {@return whether the action ran} */
  boolean ran() {
    return ran.get();
  }

  @Override
  public void close() {
    logger.removeAppender(this);
    stop();
  }
}
