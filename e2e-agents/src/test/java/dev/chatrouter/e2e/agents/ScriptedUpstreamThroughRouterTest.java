package dev.chatrouter.e2e.agents;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The half of the router-backed agent tests that the router serves today: the scripted Chat Completions upstream
 * and {@link RouterUnderTest}'s configuration, driven over the router's {@code /v1/chat/completions} with the two
 * turns an agent makes (the tool call, then the final text after a {@code role: tool} message), streamed and not.
 * When a router-backed agent test fails, this one tells whether the upstream script or the new surface is at fault.
 */
class ScriptedUpstreamThroughRouterTest {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theScriptedChatUpstreamPlaysBothTurnsThroughTheRouter() throws Exception {
        try (AgentWorkspace ws = new AgentWorkspace("scripted-upstream-through-router")) {
            Scripted.chatCompletions(ws.upstream, "Bash", Map.of("command", ws.command), ws.finalText);
            try (RouterUnderTest router = RouterUnderTest.start(ws.root.resolve("router"), ws.upstream.port())) {
                String url = router.origin() + "/v1/chat/completions";
                String tools = """
                        "tools":[{"type":"function","function":{"name":"Bash","parameters":{"type":"object",
                        "properties":{"command":{"type":"string"}},"required":["command"]}}}]""";
                String first = "{\"model\":\"claude-sonnet-4-5\",%s,\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"write the marker\"}],\"stream\":%s}";
                String second = "{\"model\":\"gpt-5.1-codex\",%s,\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"write the marker\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
                        + "\"call_e2e_1\",\"type\":\"function\",\"function\":{\"name\":\"Bash\",\"arguments\":\"{}\"}}]},"
                        + "{\"role\":\"tool\",\"tool_call_id\":\"call_e2e_1\",\"content\":\"" + ws.marker + "\"}],"
                        + "\"stream\":%s}";

                JsonNode call = Scripted.JSON.readTree(post(url, first.formatted(tools, false)));
                JsonNode toolCall = call.at("/choices/0/message/tool_calls/0");
                assertThat(toolCall.at("/function/name").asText()).isEqualTo("Bash");
                assertThat(Scripted.JSON.readTree(toolCall.at("/function/arguments").asText()).path("command")
                        .asText()).isEqualTo(ws.command);
                assertThat(call.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
                assertThat(call.path("model").asText()).isEqualTo("claude-sonnet-4-5");

                JsonNode done = Scripted.JSON.readTree(post(url, second.formatted(tools, false)));
                assertThat(done.at("/choices/0/message/content").asText()).isEqualTo(ws.finalText);

                String streamedCall = post(url, first.formatted(tools, true));
                assertThat(streamedCall).contains("\"tool_calls\"").contains("Bash").contains("[DONE]");
                String streamedDone = post(url, second.formatted(tools, true));
                assertThat(streamedDone).contains(ws.finalText).contains("[DONE]");
            }
            assertThat(ws.requests()).hasSize(4).allSatisfy(r -> {
                assertThat(r.path("status").asInt()).isEqualTo(200);
                assertThat(r.at("/body/model").asText()).isEqualTo(RouterUnderTest.UPSTREAM_MODEL);
            });
        }
    }

    private static String post(String url, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + RouterUnderTest.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
