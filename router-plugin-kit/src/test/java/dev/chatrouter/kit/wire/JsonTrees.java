package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

import static org.assertj.core.api.Assertions.assertThat;

/** Compares JSON texts as trees, numbers by value ({@code 1}, {@code 1.0} and {@code 1e0} are equal). */
final class JsonTrees {

    static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private JsonTrees() {
    }

    static JsonNode tree(byte[] json) {
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(String json) {
        return tree(json.getBytes(StandardCharsets.UTF_8));
    }

    static void assertSameJson(byte[] actual, byte[] expected) {
        JsonNode a = tree(actual);
        JsonNode e = tree(expected);
        assertThat(a.equals(NUMBERS_BY_VALUE, e))
                .as("written JSON%n  %s%ndiffers from%n  %s", a, e)
                .isTrue();
    }
}
