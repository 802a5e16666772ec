package dev.chatrouter.http;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The access log's appender: lines in order, gathered into line-aligned writes, dropped (and counted) when full. */
class BatchingConsoleAppenderTest {

    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("chatrouter.access");
    private final BatchingConsoleAppender appender = new BatchingConsoleAppender();
    /** Blocks the first write until released, so that what follows queues up behind it. */
    private final CountDownLatch firstWriteEntered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<byte[]> writes = new ArrayList<>();

    private final OutputStream target = new OutputStream() {
        @Override
        public void write(int b) {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            firstWriteEntered.countDown();
            try {
                assertThat(release.await(10, TimeUnit.SECONDS)).as("released within 10 s").isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (writes) {
                writes.add(Arrays.copyOfRange(b, off, off + len));
            }
        }
    };

    private void start(int queueSize) {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setQueueSize(queueSize);
        appender.setTarget(() -> target);
        appender.start();
        logger.addAppender(appender);
        logger.setAdditive(false);
    }

    @AfterEach
    void stop() {
        release.countDown();
        appender.stop();
    }

    private String written() {
        StringBuilder all = new StringBuilder();
        synchronized (writes) {
            writes.forEach(w -> all.append(new String(w, StandardCharsets.UTF_8)));
        }
        return all.toString();
    }

    /** Proves every line arrives once, in order, and lines queued together leave in few writes cut at line ends. */
    @Test
    void queuedLinesLeaveInOrderInFewLineAlignedWrites() throws Exception {
        // given an appender whose first write is held
        start(8192);
        logger.info("line 0");
        assertThat(firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // when 2,000 more lines queue behind it, then the output is let go and the appender is stopped
        for (int i = 1; i <= 2000; i++) {
            logger.info("line {} of the access log", i);
        }
        release.countDown();
        appender.stop();
        // then each line was written once, in order
        List<String> lines = written().lines().toList();
        assertThat(lines).hasSize(2001);
        assertThat(lines.get(0)).isEqualTo("line 0");
        for (int i = 1; i <= 2000; i++) {
            assertThat(lines.get(i)).isEqualTo("line " + i + " of the access log");
        }
        // and in writes of at most 4 KiB, each ending at a line's end: about 12 for 2,000 lines of ~25 bytes
        synchronized (writes) {
            assertThat(writes).allSatisfy(w -> {
                assertThat(w.length).isLessThanOrEqualTo(BatchingConsoleAppender.WRITE_BYTES);
                assertThat(w[w.length - 1]).isEqualTo((byte) '\n');
            });
            assertThat(writes.size()).isLessThan(30);
        }
        assertThat(appender.dropped()).isZero();
    }

    /** Proves a full queue drops lines instead of blocking the logging thread, and the log says how many. */
    @Test
    void aFullQueueDropsLinesAndSaysHowMany() throws Exception {
        // given an appender with room for 10 lines whose writer is held in its first write
        start(10);
        logger.info("first");
        assertThat(firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // when 15 more lines are logged
        long started = System.nanoTime();
        for (int i = 0; i < 15; i++) {
            logger.info("more {}", i);
        }
        // then logging did not wait for the writer, 5 lines were dropped, and the log says so once it is let go
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(5);
        assertThat(appender.dropped()).isEqualTo(5);
        release.countDown();
        appender.stop();
        assertThat(written().lines().toList()).containsExactly("first",
                "chatrouter.access: 5 access lines dropped (the queue of 10 was full)",
                "more 0", "more 1", "more 2", "more 3", "more 4", "more 5", "more 6", "more 7", "more 8", "more 9");
    }

    /** Proves the appender refuses to start without an encoder, and logs nothing then. */
    @Test
    void withoutAnEncoderItDoesNotStart() {
        BatchingConsoleAppender bare = new BatchingConsoleAppender();
        bare.setContext(context);
        bare.start();
        assertThat(bare.isStarted()).isFalse();
    }
}
