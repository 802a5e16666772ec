package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonStringsTest {

    private interface Writer {
        void write(JsonGenerator g, String value) throws IOException;
    }

    /** An array of the values then an object of them, each written by {@code writer}. */
    private static byte[] written(List<String> values, Writer writer) throws IOException {
        ByteArrayBuilder out = new ByteArrayBuilder();
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartArray();
            for (String value : values) {
                writer.write(g, value);
            }
            g.writeStartObject();
            for (int i = 0; i < values.size(); i++) {
                g.writeFieldName("f" + i);
                writer.write(g, values.get(i));
            }
            g.writeEndObject();
            g.writeEndArray();
        }
        return out.toByteArray();
    }

    private static void assertSameAsJackson(List<String> values) throws IOException {
        byte[] expected = written(values, JsonGenerator::writeString);
        byte[] actual = written(values, JsonStrings::value);
        assertArrayEquals(expected, actual, () -> new String(actual, StandardCharsets.UTF_8));
    }

    @Test
    void writesEveryAsciiCharacterAtEveryPositionAsJacksonDoes() throws IOException {
        for (int length : new int[]{JsonStrings.MIN_LENGTH - 1, JsonStrings.MIN_LENGTH, 71, 72, 73, 200}) {
            List<String> values = new ArrayList<>();
            for (char c = 0; c < 128; c++) {
                for (int at = 0; at < length; at++) {
                    char[] text = "a".repeat(length).toCharArray();
                    text[at] = c;
                    values.add(new String(text));
                }
            }
            assertSameAsJackson(values);
        }
    }

    @Test
    void writesNonAsciiAndMixedTextAsJacksonDoes() throws IOException {
        String[] pieces = {"plain words ", "?", "é", "ü", "\u00ff", "ß", "中文", "😀", "\"", "\\", "\n", "\t", "\u0000",
                "\u007f", "\u2028", "/", "</script>", "\ud800", "\udc00"};
        Random random = new Random(42);
        List<String> values = new ArrayList<>();
        for (int n = 0; n < 2_000; n++) {
            StringBuilder text = new StringBuilder();
            int parts = 1 + random.nextInt(40);
            for (int p = 0; p < parts; p++) {
                // mostly plain words, as prompts are
                text.append(random.nextInt(4) > 0 ? pieces[0] : pieces[random.nextInt(pieces.length)]);
            }
            values.add(text.toString());
        }
        // lone surrogates included: whatever Jackson makes of them, the same bytes
        assertSameAsJackson(values);
    }

    @Test
    void writesAsciiDenseWithEscapesAsJacksonDoes() throws IOException {
        // many escapes in one word, side by side, and more than the first output array holds
        String alphabet = "ab?\"\\\n\t\r\u0001\u001f\u007f \b\f";
        Random random = new Random(7);
        List<String> values = new ArrayList<>();
        for (int n = 0; n < 3_000; n++) {
            char[] text = new char[JsonStrings.MIN_LENGTH + random.nextInt(300)];
            for (int i = 0; i < text.length; i++) {
                text[i] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            values.add(new String(text));
        }
        values.add("\n".repeat(500));
        values.add("\u0000".repeat(200));
        assertSameAsJackson(values);
    }

    @Test
    void aLoneSurrogateInAsciiTextIsNotWrittenAsAQuestionMark() throws IOException {
        String text = "Is this plain? ".repeat(8) + "\ud800" + " and more text after it".repeat(3);
        assertSameAsJackson(List.of(text, text.replace("?", "")));
    }
}
