package dev.chatrouter.http;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The access log's appender (logback.xml): the logging thread only queues the event; one thread of its own formats
 * the queued lines and writes them to standard output together, in writes of up to {@value #WRITE_BYTES} bytes cut
 * at line ends (a write of that size to a pipe is never interleaved with another writer's). A line that comes
 * to an idle log is written at once; after each write the thread waits {@code lingerMillis} (10 ms by default)
 * and gathers the lines that came meanwhile, so a line under load costs neither a system call nor a thread
 * wake-up of its own. When the queue ({@code queueSize},
 * 8192 by default) is full, lines are dropped, never waited for, and the number dropped is written in the log.
 */
public final class BatchingConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    /** The most bytes of one write: the size a pipe writes atomically. */
    static final int WRITE_BYTES = 4096;

    private Encoder<ILoggingEvent> encoder;
    private int queueSize = 8192;
    private long lingerMillis = 10;
    private Supplier<OutputStream> target = () -> System.out;
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running;

    /** How each line is written: a {@code PatternLayoutEncoder} in logback.xml. */
    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    /** The most lines waiting to be written; beyond it lines are dropped. */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long a busy writer waits for more lines before its next write (0: never). */
    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    /** Where the lines go, for tests; standard output (as {@code System.out} is when each batch is written). */
    void setTarget(Supplier<OutputStream> target) {
        this.target = target;
    }

    /** Lines dropped so far because the queue was full. */
    long dropped() {
        return dropped.get();
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder for the appender named [" + name + "]");
            return;
        }
        if (queueSize < 1) {
            addError("queueSize must be at least 1 but was " + queueSize);
            return;
        }
        if (lingerMillis < 0) {
            addError("lingerMillis must be 0 or more but was " + lingerMillis);
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        running = true;
        writer = new Thread(this::writeLoop, "chatrouter-access-log");
        writer.setDaemon(true);
        writer.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (!running) {
            return;
        }
        event.prepareForDeferredProcessing(); // the thread name and MDC, read now: it is formatted on another thread
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        running = false;
        writer.interrupt();
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        List<ILoggingEvent> batch = new ArrayList<>();
        Batch out = new Batch();
        long reported = 0;
        while (running || !queue.isEmpty()) {
            try {
                if (running) {
                    batch.add(queue.take());
                }
                queue.drainTo(batch);
                long lost = dropped.get();
                if (lost != reported) {
                    out.line(("chatrouter.access: " + (lost - reported) + " access lines dropped (the queue of "
                            + queueSize + " was full)" + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
                    reported = lost;
                }
                for (ILoggingEvent event : batch) {
                    out.line(encoder.encode(event));
                }
                out.flush();
                batch.clear();
                if (lingerMillis > 0 && running) {
                    // the lines that come in the meantime are gathered, and their logging threads wake no one: a
                    // line costs a wake-up (a system call on the logging thread) only when the log was idle
                    TimeUnit.MILLISECONDS.sleep(lingerMillis);
                }
            } catch (InterruptedException e) {
                // stop(): write what is queued, then end
            } catch (RuntimeException | IOException e) {
                batch.clear();
                addError("could not write access lines", e);
            }
        }
    }

    /** Lines gathered into writes of at most {@link #WRITE_BYTES} bytes, each ending at a line's end. */
    private final class Batch {
        private final byte[] bytes = new byte[WRITE_BYTES];
        private int length;

        void line(byte[] line) throws IOException {
            if (length > 0 && length + line.length > bytes.length) {
                flush();
            }
            if (line.length > bytes.length) {
                write(line, line.length);
                return;
            }
            System.arraycopy(line, 0, bytes, length, line.length);
            length += line.length;
        }

        void flush() throws IOException {
            if (length > 0) {
                write(bytes, length);
                length = 0;
            }
        }

        private void write(byte[] data, int n) throws IOException {
            OutputStream stream = target.get();
            stream.write(data, 0, n);
            stream.flush();
        }
    }
}
