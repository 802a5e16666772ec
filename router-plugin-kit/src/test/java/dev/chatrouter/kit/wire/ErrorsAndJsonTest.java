package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatrouter.api.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.kit.wire.JsonTrees.assertSameJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ErrorsAndJsonTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void writeErrorWritesNullsAndLeavesOutEmptyMetadata() {
        assertThat(text(WireCodec.writeError("boom", "api_error", null, null, Map.of())))
                .isEqualTo("{\"error\":{\"message\":\"boom\",\"type\":\"api_error\",\"param\":null,\"code\":null}}");
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("attempts", List.of(Map.of("target", "openai/gpt-4o-mini", "status", 503)));
        assertSameJson(WireCodec.writeError("failed", "api_error", null, "upstream_error", metadata),
                utf8("{\"error\":{\"message\":\"failed\",\"type\":\"api_error\",\"param\":null,\"code\":\"upstream_error\","
                        + "\"metadata\":{\"attempts\":[{\"target\":\"openai/gpt-4o-mini\",\"status\":503}]}}}"));
    }

    @Test
    void readErrorUnderstandsTheShapesProvidersSend() {
        assertThat(WireCodec.readError(utf8("{\"error\":{\"message\":\"m\",\"type\":\"t\",\"param\":\"p\",\"code\":429}}")))
                .isEqualTo(new UpstreamError("m", "t", "p", "429"));
        assertThat(WireCodec.readError(utf8("{\"error\":\"model not found\",\"code\":404}")))
                .isEqualTo(new UpstreamError("model not found", null, null, "404"));
        assertThat(WireCodec.readError(utf8("{\"message\":\"Too many requests\",\"type\":\"rate_limit\"}")))
                .isEqualTo(new UpstreamError("Too many requests", "rate_limit", null, null));
        assertThat(WireCodec.readError(utf8("{\"detail\":\"Not authenticated\"}")))
                .isEqualTo(new UpstreamError("Not authenticated", null, null, null));
        assertThat(WireCodec.readError(utf8(
                "{\"detail\":[{\"loc\":[\"body\",\"messages\"],\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}")))
                .isEqualTo(new UpstreamError("body.messages: field required", null, null, null));
        assertThat(WireCodec.readError(utf8("[{\"error\":{\"code\":400,\"message\":\"bad\",\"status\":\"INVALID_ARGUMENT\"}}]")))
                .isEqualTo(new UpstreamError("bad", null, null, "400"));
        assertThat(WireCodec.readError(utf8("{\"error\":{\"type\":\"overloaded\"}}")))
                .isEqualTo(new UpstreamError("", "overloaded", null, null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "<html>502 Bad Gateway</html>", "{\"id\":\"x\",\"choices\":[]}", "[]", "\"text\"", "{\"error\":null}"})
    void readErrorIsNullForAnythingElse(String body) {
        assertThat(WireCodec.readError(utf8(body))).isNull();
    }

    @Test
    void modelsUseTheOpenAiListShape() {
        assertThat(text(WireCodec.writeModels(List.of(new ModelInfo("di", 1700000000L, "chatrouter")))))
                .isEqualTo("{\"object\":\"list\",\"data\":[{\"id\":\"di\",\"object\":\"model\",\"created\":1700000000,"
                        + "\"owned_by\":\"chatrouter\"}]}");
        assertThat(text(WireCodec.writeModel(new ModelInfo("di", 0, "chatrouter"))))
                .isEqualTo("{\"id\":\"di\",\"object\":\"model\",\"created\":0,\"owned_by\":\"chatrouter\"}");
    }

    @Test
    void jsonReadGivesPlainJavaValues() {
        Object value = Json.read(utf8("{\"i\":1,\"l\":12345678901,\"b\":123456789012345678901,\"d\":1.5,"
                + "\"e\":-2e-05,\"p\":3.14159265358979323846,\"t\":true,\"n\":null,\"a\":[1,\"x\"],\"o\":{\"k\":{}}}"));
        assertThat(value).isInstanceOf(LinkedHashMap.class);
        Map<?, ?> map = (Map<?, ?>) value;
        assertThat(map.get("i")).isEqualTo(1L);
        assertThat(map.get("l")).isEqualTo(12345678901L);
        assertThat(map.get("b")).isEqualTo(new BigInteger("123456789012345678901"));
        assertThat(map.get("d")).isEqualTo(1.5);
        assertThat(map.get("e")).isEqualTo(-2e-05);
        assertThat(map.get("p")).isEqualTo(new BigDecimal("3.14159265358979323846"));
        assertThat(map.get("t")).isEqualTo(true);
        assertThat(map.containsKey("n")).isTrue();
        assertThat(map.get("n")).isNull();
        assertThat(map.get("a")).isInstanceOf(ArrayList.class).isEqualTo(List.of(1L, "x"));
        assertThat(map.get("o")).isEqualTo(Map.of("k", Map.of()));
        assertThat(text(Json.write(value))).isEqualTo("{\"i\":1,\"l\":12345678901,\"b\":123456789012345678901,"
                + "\"d\":1.5,\"e\":-2.0E-5,\"p\":3.14159265358979323846,\"t\":true,\"n\":null,\"a\":[1,\"x\"],\"o\":{\"k\":{}}}");
    }

    @Test
    void treesAndJavaValuesConvertBothWays() throws Exception {
        JsonNode tree = Json.mapper().readTree("{\"a\":[1,2.5,\"s\",null,false],\"big\":99999999999999999999}");
        Object java = Json.toJava(tree);
        assertThat(java).isEqualTo(Map.of("a", Arrays.asList(1L, 2.5, "s", null, false),
                "big", new BigInteger("99999999999999999999")));
        assertThat(Json.toNode(java).equals(JsonTrees.NUMBERS_BY_VALUE, tree)).isTrue();
        assertThat(Json.toJava(null)).isNull();
        assertThat(Json.toNode(null).isNull()).isTrue();
    }

    @Test
    void jsonReadRejectsWhatIsNotOneValue() {
        assertThatThrownBy(() -> Json.read(utf8("{} {}"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.read(utf8(""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.read(utf8("{"))).isInstanceOf(IllegalArgumentException.class);
    }
}
