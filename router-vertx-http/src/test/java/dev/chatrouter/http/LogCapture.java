package dev.chatrouter.http;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * What a logger of the server's real backend (Logback) writes, for tests: a {@link ListAppender} on the logger,
 * each event as {@code LEVEL message} with its arguments filled in.
 */
final class LogCapture {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture(String loggerName) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    }

    void start() {
        appender.start();
        logger.addAppender(appender);
    }

    void stop() {
        logger.detachAppender(appender);
        appender.stop();
    }

    /** Every event so far, as {@code LEVEL message}. */
    List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }

    /** The formatted messages so far, without level. */
    List<String> messages() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }
}
