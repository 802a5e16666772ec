package dev.chatrouter.kit.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * HTTP bodies without the copies nothing needs. {@link Buffer#buffer(byte[])} copies its array, and
 * {@link Buffer#getBytes()} copies the buffer's: a JSON body written into a fresh array and sent, or read whole and
 * parsed, paid for both, on top of the copies the network layer makes itself. Here an array sent is wrapped, and a
 * body that came in one chunk is handed on as that chunk's own array.
 */
public final class Bodies {

    private Bodies() {
    }

    /**
     * A buffer over {@code bytes}, not a copy of them: for an array made to be sent, which nothing changes once it
     * is handed over.
     */
    public static Buffer wrap(byte[] bytes) {
        return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
    }

    /** Reads a run of bytes: the array is only valid during the call. */
    @FunctionalInterface
    public interface BytesReader {
        void read(byte[] bytes, int offset, int length);
    }

    /** Gives {@code reader} the chunk's bytes: in place when the chunk is backed by an array, else copied. */
    public static void read(Buffer chunk, BytesReader reader) {
        // a Buffer's bytes run from 0 to its length (its ByteBuf's writer index), whatever its reader index
        ByteBuf buf = chunk instanceof BufferInternal internal ? internal.unwrap() : null;
        if (buf != null && buf.hasArray()) {
            reader.read(buf.array(), buf.arrayOffset(), chunk.length());
        } else {
            byte[] bytes = chunk.getBytes();
            reader.read(bytes, 0, bytes.length);
        }
    }

    /**
     * A body read whole, chunk by chunk. A body of one chunk (the usual answer of an LLM API, and the usual request)
     * is kept as that chunk and handed on as its array, when the chunk holds exactly that array; only a body of
     * several chunks is joined, into a buffer of its declared length when it has one.
     */
    public static final class Whole {
        /** The most a declared length reserves before its bytes come. */
        static final int MAX_RESERVED = 64 * 1024;

        private final int expected;
        private Buffer first;
        private Buffer joined;
        private int length;

        /**
         * @param expected the length the body is expected to have (its declared length), or -1 when unknown; a
         *                 body of several chunks reserves it, up to 64 KiB, when its second chunk comes
         */
        public Whole(long expected) {
            this.expected = (int) Math.min(expected, MAX_RESERVED);
        }

        /** Adds the body's next chunk. */
        public void append(Buffer chunk) {
            if (first == null && joined == null) {
                first = chunk;
            } else {
                if (joined == null) {
                    joined = Buffer.buffer(Math.max(expected, first.length() + chunk.length()));
                    joined.appendBuffer(first);
                    first = null;
                }
                joined.appendBuffer(chunk);
            }
            length += chunk.length();
        }

        /** The bytes added so far. */
        public int length() {
            return length;
        }

        /**
         * The body: the array of the buffer that holds it (the only chunk, or the chunks joined into the declared
         * length) when it holds exactly the body, else a copy.
         */
        public byte[] bytes() {
            Buffer body = joined != null ? joined : first;
            if (body == null) {
                return new byte[0];
            }
            // a buffer of its own (not a slice of another, whose array may be reused) and exactly the body
            ByteBuf buf = body instanceof BufferInternal internal ? internal.unwrap() : null;
            if (buf != null && buf.unwrap() == null && buf.hasArray() && buf.arrayOffset() == 0
                    && body.length() == buf.array().length) {
                return buf.array();
            }
            return body.getBytes();
        }
    }
}
