package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * What a JSON generator writes, as one array. A generator buffers its output (8,000 bytes) and writes it out when
 * the buffer is full and when it closes, so a document up to that size (a chat answer, most requests) arrives here
 * in one write and is copied once, from the generator's buffer into the result. Jackson's {@code ByteArrayBuilder},
 * used alone, copies it twice (into a block, then into the result) and allocates the block besides; a longer
 * document goes to one after its first write.
 */
final class ExactBytes extends OutputStream {

    private byte[] first;
    private ByteArrayBuilder more;

    @Override
    public void write(int b) {
        builder().write(b);
    }

    @Override
    public void write(byte[] source, int offset, int count) {
        if (first == null && more == null) {
            first = Arrays.copyOfRange(source, offset, offset + count);
        } else {
            builder().write(source, offset, count);
        }
    }

    private ByteArrayBuilder builder() {
        if (more == null) {
            more = new ByteArrayBuilder(first == null ? 512 : Math.max(512, 2 * first.length));
            if (first != null) {
                more.write(first);
                first = null;
            }
        }
        return more;
    }

    /** The bytes written. */
    byte[] toByteArray() {
        if (more != null) {
            return more.toByteArray();
        }
        return first == null ? new byte[0] : first;
    }
}
