package io.tokenmeter.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** The messages one logger writes (at INFO and above) that contain some text, while it is open. */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final Logger logger;
    private final Level before;
    private final String containing;
    private final List<String> messages = new CopyOnWriteArrayList<>();

    private LogCapture(String loggerName, String containing) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        this.before = logger.getLevel();
        this.containing = containing;
    }

    static LogCapture of(String loggerName, String containing) {
        LogCapture capture = new LogCapture(loggerName, containing);
        capture.setContext(capture.logger.getLoggerContext());
        capture.start();
        capture.logger.addAppender(capture);
        capture.logger.setLevel(Level.INFO);
        return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        if (message.contains(containing)) {
            messages.add(message);
        }
    }

    List<String> messages() {
        return List.copyOf(messages);
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setLevel(before);
        stop();
    }
}
