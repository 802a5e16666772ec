package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes long text values (a message's content, a text part) faster than {@link JsonGenerator#writeString(String)}:
 * an ASCII text, which most prompts are, is read eight bytes at a time for the few bytes JSON escapes (control
 * characters, quotes, backslashes), and the runs between them are copied as they are, instead of each character
 * being looked up and copied on its own. Anything else (short, non-ASCII, with a lone surrogate, or a generator with
 * its own escapes) is left to Jackson; the bytes written are always the ones {@code writeString} would write.
 */
final class JsonStrings {

    /** Below this length Jackson's own loop is as fast as the copy, which costs an array. */
    static final int MIN_LENGTH = 64;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x7F7F7F7F7F7F7F7FL;
    private static final long CONTROL_BITS = 0x6060606060606060L;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private JsonStrings() {
    }

    /** Writes {@code name} and {@code value}, as {@link JsonGenerator#writeStringField(String, String)} would. */
    static void field(JsonGenerator g, String name, String value) throws IOException {
        g.writeFieldName(name);
        value(g, value);
    }

    /** Writes {@code value}, as {@link JsonGenerator#writeString(String)} would. */
    static void value(JsonGenerator g, String value) throws IOException {
        if (value.length() >= MIN_LENGTH && g instanceof UTF8JsonGenerator && g.getCharacterEscapes() == null
                && (g.getHighestEscapedChar() == 0 || g.getHighestEscapedChar() >= 0x7F)) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            // As many bytes as characters: each character is ASCII or a lone surrogate, which the encoder wrote
            // as '?' (and Jackson would not).
            if (bytes.length == value.length() && writeAscii(g, bytes, value)) {
                return;
            }
        }
        g.writeString(value);
    }

    /**
     * Writes the escaped form of {@code ascii}, the bytes of {@code text} if they are all ASCII, and returns
     * {@code true}; or writes nothing and returns {@code false} if {@code text} has fewer '?' than {@code ascii}
     * (a lone surrogate). Eight bytes at a time, with exact masks of the bytes to escape and of the '?'.
     */
    static boolean writeAscii(JsonGenerator g, byte[] ascii, String text) throws IOException {
        byte[] out = null;
        int length = 0;
        int copied = 0;
        int marks = 0;
        for (int i = 0; i < ascii.length; i += Long.BYTES) {
            long word = i + Long.BYTES <= ascii.length ? (long) LONGS.get(ascii, i) : lastWord(ascii, i);
            marks += Long.bitCount(zeroBytes(word ^ ('?' * ONES)));
            // a byte below 0x80 is a control character when its bits 5 and 6 are clear
            long escape = zeroBytes(word & CONTROL_BITS) | zeroBytes(word ^ ('"' * ONES))
                    | zeroBytes(word ^ ('\\' * ONES));
            while (escape != 0) {
                int at = i + (Long.numberOfTrailingZeros(escape) >>> 3);
                escape &= escape - 1;
                out = room(out == null ? new byte[ascii.length + 64] : out, length + (at - copied) + 6);
                System.arraycopy(ascii, copied, out, length, at - copied);
                length = escape(ascii[at], out, length + (at - copied));
                copied = at + 1;
            }
        }
        if (marks != count(text, '?')) {
            return false;
        }
        if (out == null) {
            g.writeRawUTF8String(ascii, 0, ascii.length);
        } else {
            out = room(out, length + (ascii.length - copied));
            System.arraycopy(ascii, copied, out, length, ascii.length - copied);
            g.writeRawUTF8String(out, 0, length + (ascii.length - copied));
        }
        return true;
    }

    /** The last bytes of {@code ascii}, from {@code from}, as a word padded with 'a' (nothing to escape, not '?'). */
    private static long lastWord(byte[] ascii, int from) {
        long word = 'a' * ONES;
        for (int k = 0; from + k < ascii.length; k++) {
            word = (word & ~(0xFFL << (8 * k))) | ((ascii[from + k] & 0xFFL) << (8 * k));
        }
        return word;
    }

    /**
     * The high bit of each byte of {@code word} that is zero, and no other bit, for a word whose bytes are all
     * below 0x80: adding 0x7F to such a byte sets its high bit, without a carry into the next, unless it is zero.
     */
    private static long zeroBytes(long word) {
        return ~(word + LOW_BITS) & HIGH_BITS;
    }

    private static byte[] room(byte[] out, int needed) {
        return needed <= out.length ? out : Arrays.copyOf(out, Math.max(needed, out.length * 2));
    }

    /** Writes the escape of {@code b} at {@code at}, as Jackson writes it, and returns the length after it. */
    private static int escape(byte b, byte[] out, int at) {
        out[at++] = '\\';
        switch (b) {
            case '"', '\\' -> out[at++] = b;
            case '\b' -> out[at++] = 'b';
            case '\t' -> out[at++] = 't';
            case '\n' -> out[at++] = 'n';
            case '\f' -> out[at++] = 'f';
            case '\r' -> out[at++] = 'r';
            default -> {
                out[at++] = 'u';
                out[at++] = '0';
                out[at++] = '0';
                out[at++] = HEX[b >> 4];
                out[at++] = HEX[b & 0xF];
            }
        }
        return at;
    }

    private static int count(String text, char c) {
        int n = 0;
        for (int at = text.indexOf(c); at >= 0; at = text.indexOf(c, at + 1)) {
            n++;
        }
        return n;
    }
}
