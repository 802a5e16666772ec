package dev.chatrouter.kit.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format). Feed it the bytes of a response as
 * they arrive, in fragments of any size: an event, a line, a {@code \r\n} pair or a multi-byte UTF-8 character may
 * be split anywhere. Each complete event (ended by a blank line) goes to the sink, on the feeding thread.
 *
 * <p>Handled: {@code data:} with or without the space, multi-line data (joined with {@code \n}), {@code event:},
 * {@code id:}, comments ({@code : ping}), {@code \n}, {@code \r\n} and {@code \r} line endings, a leading byte order
 * mark. {@code retry:} and unknown fields are ignored; a block without data lines dispatches nothing.
 *
 * <p>Not thread-safe: feed it from one thread at a time.
 */
public final class SseParser {

    /** Default cap on one event's size in bytes: 8 MiB. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

    private final Consumer<SseEvent> sink;
    private final int maxEventBytes;

    private byte[] line = new byte[256];
    private int lineLength;
    private boolean skipLf;        // the previous byte was \r: a following \n belongs to it
    private boolean started;       // past a possible byte order mark
    private boolean ended;

    private String data;           // the first data line; null when the event has no data line yet
    private StringBuilder more;    // the data lines so far, once there is a second
    private String event;
    private String id;
    private long eventBytes;

    /** A parser with the default 8 MiB cap on one event. */
    public SseParser(Consumer<SseEvent> sink) {
        this(sink, DEFAULT_MAX_EVENT_BYTES);
    }

    /**
     * A parser.
     *
     * @param sink          receives each complete event
     * @param maxEventBytes the largest event accepted, in bytes of its lines
     * @throws IllegalArgumentException if {@code maxEventBytes} is not positive
     */
    public SseParser(Consumer<SseEvent> sink, int maxEventBytes) {
        this.sink = Objects.requireNonNull(sink, "sink");
        if (maxEventBytes <= 0) {
            throw new IllegalArgumentException("maxEventBytes must be positive, was " + maxEventBytes);
        }
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Parses a fragment, dispatching every event it completes.
     *
     * @throws IllegalStateException if an event grows beyond the cap, or after {@link #end()}
     * @throws IndexOutOfBoundsException if the range is not within {@code bytes}
     */
    public void feed(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (ended) {
            throw new IllegalStateException("the stream has ended");
        }
        int end = offset + length;
        int i = offset;
        if (!started && length > 0) {
            i = skipBom(bytes, i, end);
            if (!started) {
                return;
            }
        }
        while (i < end) {
            byte b = bytes[i];
            if (skipLf) {
                skipLf = false;
                if (b == '\n') {
                    i++;
                    continue;
                }
            }
            // Scan to the end of the line, or of the fragment.
            int start = i;
            while (i < end && bytes[i] != '\n' && bytes[i] != '\r') {
                i++;
            }
            append(bytes, start, i - start);
            if (i < end) {
                skipLf = bytes[i] == '\r';
                i++;
                eventBytes++;
                line();
            }
        }
    }

    /** Marks the end of the stream. An incomplete last event is dropped, as the format requires. */
    public void end() {
        ended = true;
    }

    /** True when bytes of an event not yet complete were fed (a stream that ended here was cut short). */
    public boolean hasPartialEvent() {
        return lineLength > 0 || data != null;
    }

    /** Leading UTF-8 byte order mark: EF BB BF, possibly split across fragments. */
    private int skipBom(byte[] bytes, int i, int end) {
        final byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        while (i < end && lineLength < 3 && bytes[i] == bom[lineLength]) {
            line[lineLength++] = bytes[i++];
        }
        if (lineLength == 3) {
            lineLength = 0;
            started = true;
        } else if (i < end) {
            started = true; // not a BOM: what was kept is the start of the first line
        }
        return i;
    }

    private void append(byte[] bytes, int offset, int length) {
        if (length == 0) {
            return;
        }
        eventBytes += length;
        if (eventBytes > maxEventBytes) {
            throw new IllegalStateException("a server-sent event is larger than " + maxEventBytes + " bytes");
        }
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
        }
        System.arraycopy(bytes, offset, line, lineLength, length);
        lineLength += length;
    }

    private void line() {
        int n = lineLength;
        lineLength = 0;
        if (n == 0) {
            dispatch();
            return;
        }
        if (line[0] == ':') {
            return; // a comment
        }
        int colon = -1;
        for (int k = 0; k < n; k++) {
            if (line[k] == ':') {
                colon = k;
                break;
            }
        }
        int nameEnd = colon < 0 ? n : colon;
        int valueStart = colon < 0 ? n : colon + 1;
        if (valueStart < n && line[valueStart] == ' ') {
            valueStart++;
        }
        if (is("data", nameEnd)) {
            String value = new String(line, valueStart, n - valueStart, StandardCharsets.UTF_8);
            if (data == null) {
                data = value; // the usual event: one data line, kept without a copy
            } else {
                if (more == null) {
                    more = new StringBuilder(data);
                }
                more.append('\n').append(value);
            }
        } else if (is("event", nameEnd)) {
            event = new String(line, valueStart, n - valueStart, StandardCharsets.UTF_8);
        } else if (is("id", nameEnd)) {
            String value = new String(line, valueStart, n - valueStart, StandardCharsets.UTF_8);
            if (value.indexOf('\0') < 0) {
                id = value;
            }
        }
        // retry: and unknown fields are ignored
        if (line.length > 64 * 1024) {
            line = new byte[256]; // don't keep a huge buffer after one big event
        }
    }

    private boolean is(String name, int length) {
        if (length != name.length()) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if (line[k] != name.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private void dispatch() {
        String d = more != null ? more.toString() : data;
        String e = event;
        String i = id;
        data = null;
        more = null;
        event = null;
        id = null;
        eventBytes = 0;
        if (d != null) {
            sink.accept(new SseEvent(e, d, i));
        }
    }
}
