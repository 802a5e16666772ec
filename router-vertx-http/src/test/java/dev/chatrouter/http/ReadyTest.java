package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /ready} against a WireMock upstream whose failures cool a target down. */
class ReadyTest {

    static final String ANSWER = """
            {"id":"c1","object":"chat.completion","created":1,"model":"x","choices":[{"index":0,
             "message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}""";

    static String yaml(String extra) {
        return """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:${WM_PORT}/v1
                    api_key: sk-upstream-secret-ready
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000, capabilities: [streaming] }
                      m2: { upstream: up-model-2, price: { input: 1.0, output: 2.0 }, context_window: 128000, capabilities: [streaming] }
                routes:
                  solo:
                    pools: { "*": { policy: priority, targets: [up/m1] } }
                    fallback: { max_attempts: 1, retries_per_target: 0 }
                  di:
                    pools: { "*": { policy: priority, targets: [up/m1, up/m2] } }
                    fallback: { max_attempts: 2, retries_per_target: 0 }
                """ + extra;
    }

    WireMockServer upstream;
    OperatorServer server;

    @BeforeEach
    void start(@TempDir Path dir) {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        server = new OperatorServer(dir, yaml("""
                server:
                  keys:
                    ops: { key: vk-ops-0123456789 }
                  admin_keys: [ops]
                """), Map.of("WM_PORT", Integer.toString(upstream.port())));
    }

    @AfterEach
    void stop() {
        server.close();
        upstream.stop();
    }

    void upstreamModel(String model, int status, String body) {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing(model))
                .willReturn(aResponse().withStatus(status).withHeader("content-type", "application/json")
                        .withBody(body)));
    }

    HttpResponse<String> chat(String model) {
        return Http.post(server.url("/v1/chat/completions"), "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                "authorization", "Bearer vk-ops-0123456789");
    }

    static JsonNode route(JsonNode ready, String id) {
        for (JsonNode r : ready.get("routes")) {
            if (r.get("route").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no route " + id + " in " + ready);
    }

    @Test
    void readyTurnsNotReadyWhenEveryTargetOfARouteCoolsDownAndBackOnceItRecovers() {
        HttpResponse<String> ready = Http.get(server.url("/ready"));
        assertThat(ready.statusCode()).as("no key needed, like /health").isEqualTo(200);
        assertThat(Http.json(ready).get("status").asText()).isEqualTo("ready");
        assertThat(route(Http.json(ready), "solo").at("/targets/0/state").asText()).isEqualTo("healthy");

        upstreamModel("up-model-1", 500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
        for (int i = 0; i < 3; i++) {
            assertThat(chat("solo").statusCode()).isEqualTo(502);
        }

        HttpResponse<String> cooling = Http.get(server.url("/ready"));
        assertThat(cooling.statusCode()).isEqualTo(503);
        JsonNode body = Http.json(cooling);
        assertThat(body.get("status").asText()).isEqualTo("not_ready");
        assertThat(body.get("reason").asText()).contains("[solo]");
        JsonNode solo = route(body, "solo");
        assertThat(solo.get("ready").asBoolean()).isFalse();
        assertThat(solo.at("/targets/0/target").asText()).isEqualTo("up/m1");
        assertThat(solo.at("/targets/0/state").asText()).isEqualTo("cooling_down");
        assertThat(solo.at("/targets/0/consecutive_failures").asInt()).isEqualTo(3);
        assertThat(route(body, "di").get("ready").asBoolean()).as("up/m2 still serves di").isTrue();
        assertThat(Http.get(server.url("/health")).statusCode()).as("liveness is not readiness").isEqualTo(200);

        server.clock.advance(Duration.ofSeconds(30));
        HttpResponse<String> due = Http.get(server.url("/ready"));
        assertThat(due.statusCode()).as("the cooldown ended: the next request probes").isEqualTo(200);
        assertThat(route(Http.json(due), "solo").at("/targets/0/available").asBoolean()).isTrue();

        upstream.resetAll();
        upstreamModel("up-model-1", 200, ANSWER);
        assertThat(chat("solo").statusCode()).isEqualTo(200);
        HttpResponse<String> back = Http.get(server.url("/ready"));
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(route(Http.json(back), "solo").at("/targets/0/state").asText()).isEqualTo("healthy");
    }

    @Test
    void readyAnswersOnlyGetAndHead() {
        HttpResponse<String> posted = Http.post(server.url("/ready"), "{}");
        assertThat(posted.statusCode()).isEqualTo(405);
        assertThat(posted.headers().firstValue("allow")).hasValue("GET");
    }
}
