package dev.chatrouter.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.util.LogbackMDCAdapter;

import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * The warm-up's loggers: the server's default access logging (logback's logger, {@link BatchingConsoleAppender} and
 * its pattern) in a logger context of its own, writing to a stream that is not the real log. The warm-up's
 * {@link AccessLog} writes through them, so that the logging code is compiled before the port opens (else the JIT
 * compiles logback's layout and the appender on the first real requests), and its lines appear in no log.
 */
final class WarmUpAccessLogger implements AutoCloseable {

    /** The access appender's pattern in the server's logback.xml. */
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS} %-5level %logger: %msg%n";

    private final LoggerContext context = new LoggerContext();
    private final Logger access;
    private final Logger log;

    /** Writes nowhere, through the classes standard output has (a print stream on a buffered one). */
    WarmUpAccessLogger() {
        this(nowhere());
    }

    private static Supplier<OutputStream> nowhere() {
        java.io.PrintStream nowhere = new java.io.PrintStream(
                new java.io.BufferedOutputStream(OutputStream.nullOutputStream()), false);
        return () -> nowhere;
    }

    /** Writes the formatted lines to the streams {@code target} gives, one per batch. */
    WarmUpAccessLogger(Supplier<OutputStream> target) {
        context.setName("chatrouter-warm-up");
        context.setMDCAdapter(new LogbackMDCAdapter()); // what SLF4J's provider gives the real context
        context.start();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        BatchingConsoleAppender appender = new BatchingConsoleAppender();
        appender.setContext(context);
        appender.setName("WARM-UP-ACCESS");
        appender.setEncoder(encoder);
        appender.setTarget(target);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        access = context.getLogger(AccessLog.LOGGER);
        log = context.getLogger("chatrouter");
    }

    /** The access logger, {@value AccessLog#LOGGER} of this context. */
    org.slf4j.Logger access() {
        return access;
    }

    /** The logger of the rest, {@code chatrouter} of this context. */
    org.slf4j.Logger log() {
        return log;
    }

    /** Stops the appender (its thread writes what is queued first). */
    @Override
    public void close() {
        context.stop();
    }
}
