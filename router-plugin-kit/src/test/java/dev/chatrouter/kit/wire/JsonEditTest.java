package dev.chatrouter.kit.wire;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonEditTest {

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }

    /** Setting a field keeps every other field, their order, unknown fields and numbers exactly as written. */
    @Test
    void setReplacesInPlaceAndKeepsTheRest() {
        String body = "{\"model\":\"intent\",\"max_tokens\":1024,\"temperature\":1.10,\"big\":123456789012345678901234567890,"
                + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hé \\\"q\\\"\","
                + "\"cache_control\":{\"type\":\"ephemeral\"}}]}],\"x_unknown\":[1,2.50e3,null,true]}";
        String edited = text(JsonEdit.set(json(body), "model", "claude-sonnet-4-5"));
        assertThat(edited).isEqualTo(body.replace("\"model\":\"intent\"", "\"model\":\"claude-sonnet-4-5\""));
    }

    /** A field the document lacks is added last; a removed field disappears with its whole value. */
    @Test
    void setAppendsAndRemoveDrops() {
        byte[] body = json("{\"a\":1,\"previous_response_id\":{\"deep\":[1,{\"x\":2}]},\"b\":\"two\"}");
        String edited = text(JsonEdit.of(body).set("stream", true).remove("previous_response_id")
                .set("input", List.of(new java.util.TreeMap<>(Map.of("role", "user", "content", "hi")))).apply());
        assertThat(edited).isEqualTo(
                "{\"a\":1,\"b\":\"two\",\"stream\":true,\"input\":[{\"content\":\"hi\",\"role\":\"user\"}]}");
    }

    /** A nested replacement changes the named field only, and adds nothing when the path is absent. */
    @Test
    void replaceNestedOnlyWhenPresent() {
        byte[] event = json("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-x\","
                + "\"usage\":{\"input_tokens\":5}},\"model\":\"top\"}");
        assertThat(text(JsonEdit.of(event).replace(List.of("message", "model"), "intent").apply())).isEqualTo(
                "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"intent\","
                        + "\"usage\":{\"input_tokens\":5}},\"model\":\"top\"}");
        byte[] delta = json("{\"type\":\"content_block_delta\",\"index\":0}");
        assertThat(text(JsonEdit.of(delta).replace(List.of("message", "model"), "intent").apply()))
                .isEqualTo("{\"type\":\"content_block_delta\",\"index\":0}");
    }

    @Test
    void noEditsGivesTheSameBytes() {
        byte[] body = json("{ \"a\" : 1 }");
        assertThat(JsonEdit.of(body).apply()).isSameAs(body);
    }

    @Test
    void refusesWhatIsNotAnObject() {
        assertThatThrownBy(() -> JsonEdit.set(json("[1,2]"), "model", "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> JsonEdit.set(json("{\"a\":"), "model", "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> JsonEdit.set(json("{\"a\":1} x"), "model", "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> JsonEdit.of(json("{}")).replace(List.of(), "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("path");
    }
}
