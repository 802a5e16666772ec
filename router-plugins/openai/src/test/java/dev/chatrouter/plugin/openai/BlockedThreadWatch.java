package dev.chatrouter.plugin.openai;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the warnings Vert.x's blocked-thread checker logs (logger {@value #LOGGER}, through JUL, since no other
 * logging backend is on the test class path), for Vert.x instances made with {@link #options()}: an event loop
 * busy for longer than {@link #MAX_EVENT_LOOP_TIME} is reported. {@link #selfCheck()} proves the watch works by
 * blocking a loop on purpose, so a test asserting "no warning" cannot pass merely because nothing was listening.
 */
final class BlockedThreadWatch {

    /** The logger name of {@code io.vertx.core.internal.threadchecker.BlockedThreadChecker} in vertx-core 5.2.0. */
    static final String LOGGER = "io.vertx.core.impl.BlockedThreadChecker";
    static final Duration MAX_EVENT_LOOP_TIME = Duration.ofMillis(300);

    private final Logger logger = Logger.getLogger(LOGGER); // held: JUL keeps loggers weakly
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                StringBuilder warning = new StringBuilder(String.valueOf(record.getMessage()));
                if (record.getThrown() != null) {
                    StackTraceElement[] stack = record.getThrown().getStackTrace();
                    for (int i = 0; i < Math.min(stack.length, 25); i++) {
                        warning.append("\n\tat ").append(stack[i]);
                    }
                }
                warnings.add(warning.toString());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    BlockedThreadWatch() {
        logger.addHandler(handler);
    }

    /** Vert.x options whose checker reports an event loop busy for more than {@link #MAX_EVENT_LOOP_TIME}. */
    static VertxOptions options() {
        return new VertxOptions()
                .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_TIME.toMillis())
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(50)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(MAX_EVENT_LOOP_TIME.toMillis())   // log where the loop was stuck
                .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }

    /** Blocks an event loop of a throwaway Vert.x on purpose and fails unless the watch saw it; then forgets it. */
    void selfCheck() throws Exception {
        Vertx probe = Vertx.vertx(options());
        try {
            probe.runOnContext(v -> {
                try {
                    Thread.sleep(MAX_EVENT_LOOP_TIME.toMillis() * 3);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (warnings.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            if (warnings.isEmpty()) {
                throw new AssertionError("the blocked-thread watch saw nothing on logger " + LOGGER
                        + ": it cannot vouch for anything");
            }
        } finally {
            probe.close().await(5, TimeUnit.SECONDS);
            warnings.clear();
        }
    }

    /** Forgets what was seen so far (after a warm-up: the first calls load classes on the event loop). */
    void clear() {
        warnings.clear();
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    void stop() {
        logger.removeHandler(handler);
    }
}
