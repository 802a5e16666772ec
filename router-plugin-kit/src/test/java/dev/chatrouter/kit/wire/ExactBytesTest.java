package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A generator's output collected whole, whether it came in one write or in many. */
class ExactBytesTest {

    private static byte[] generated(String text) throws IOException {
        ExactBytes out = new ExactBytes();
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("text", text);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    @Test
    void documentsShorterAndLongerThanTheGeneratorsBufferComeOutWhole() throws IOException {
        for (int length : new int[] {0, 1, 500, 7_980, 7_989, 8_000, 20_000, 100_000}) {
            String text = "abcdefghij".repeat(length / 10 + 1).substring(0, length);

            assertThat(new String(generated(text), StandardCharsets.UTF_8)).as("a text of %d", length)
                    .isEqualTo("{\"text\":\"" + text + "\"}");
        }
    }

    @Test
    void singleBytesAndRunsMixInOrder() {
        ExactBytes out = new ExactBytes();
        out.write(new byte[] {'a', 'b'}, 0, 2);
        out.write('c');
        out.write(new byte[] {'x', 'd', 'e', 'x'}, 1, 2);

        assertThat(out.toByteArray()).isEqualTo("abcde".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aFirstSingleByteStartsTheBuilder() {
        ExactBytes out = new ExactBytes();
        out.write('{');
        out.write(new byte[] {'}'}, 0, 1);

        assertThat(out.toByteArray()).isEqualTo("{}".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void anEmptyFirstWriteIsFollowedByTheRest() {
        ExactBytes out = new ExactBytes();
        out.write(new byte[] {'x'}, 1, 0);
        out.write(new byte[] {'[', ']'}, 0, 2);

        assertThat(out.toByteArray()).isEqualTo("[]".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void nothingWrittenIsEmpty() {
        assertThat(new ExactBytes().toByteArray()).isEmpty();
    }
}
