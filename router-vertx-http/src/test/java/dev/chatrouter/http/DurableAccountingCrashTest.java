package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.store.redis.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standalone server on the durable accounting store: spend settled more than a flush interval before a
 * {@code kill -9} of the server's process is there when the server starts again on the same file; and without an
 * {@code accounting} section the server keeps its spend in {@code chatrouter-accounting.db} in its working directory.
 */
class DurableAccountingCrashTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** 100 prompt tokens at $1/M and 5 completion tokens at $2/M. */
    static final long PICOS_PER_REQUEST = 110_000_000L;
    /** About 100 tokens by the four-characters-per-token estimate, so the reservation covers the reported usage. */
    static final String PROMPT = "x".repeat(400);
    static final String COMPLETION = """
            {"id":"c1","object":"chat.completion","created":1,"model":"up-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105}}
            """;

    @TempDir
    Path dir;
    WireMockServer upstream;

    @BeforeEach
    void upstream() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(64));
        upstream.start();
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(COMPLETION)));
    }

    @AfterEach
    void stop() {
        upstream.stop();
    }

    static String config(int upstreamPort, String accounting) {
        return config(upstreamPort, accounting, 20_000);
    }

    /** The same with the provider's {@code total_ms} (a reservation holds at least that long, and 10 s more). */
    static String config(int upstreamPort, String accounting, int totalMillis) {
        return """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:%d/v1
                    api_key: sk-test
                    timeouts: { connect_ms: 2000, first_token_ms: 10000, total_ms: %d }
                    models:
                      m: { upstream: up-model, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                           max_output_tokens: 5 }
                routes:
                  di:
                    pools: { "*": { targets: [up/m] } }
                    fallback: { retries_per_target: 0, max_attempts: 1 }
                %s
                """.formatted(upstreamPort, totalMillis, accounting);
    }

    static HttpResponse<String> chat(String url) throws Exception {
        String body = "{\"model\":\"di\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT
                + "\"}]}";
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode spend(ServerProcess server, String scope) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url("/v1/router/spend")))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode s : JSON.readTree(r.body()).path("data")) {
            if (s.path("scope").asText().equals(scope)) {
                return s;
            }
        }
        throw new AssertionError("no budget " + scope + " in " + r.body());
    }

    /** Proves spend settled a flush interval before a kill -9 is read back by the restarted server. */
    @Test
    void spendSurvivesAKillDashNineOfTheServer() throws Exception {
        Path db = dir.resolve("spend.db");
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, config(upstream.port(), """
                budgets:
                  - { scope: global, window: day, limit_usd: 10 }
                accounting: { store: durable, path: %s, flush_interval: 200ms }
                """.formatted(db)));
        int port = RedisServer.freePort();
        long told = 0;
        try (ServerProcess server = new ServerProcess(config, dir, port).start()) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = chat(server.url("/v1/chat/completions"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                told += Math.round(JSON.readTree(r.body()).path("usage").path("cost").asDouble() * 1e12);
            }
            assertThat(told).isEqualTo(5 * PICOS_PER_REQUEST);
            Thread.sleep(1_000); // more than the flush interval: every settlement is committed
            server.kill();
        }
        try (ServerProcess again = new ServerProcess(config, dir, port).start()) {
            JsonNode global = spend(again, "global");
            assertThat(Math.round(global.path("spent_usd").asDouble() * 1e12)).isEqualTo(told);
            assertThat(global.path("reserved_usd").asDouble()).isZero();
        }
    }

    /** Proves the standalone server's default store is durable, in chatrouter-accounting.db in its directory. */
    @Test
    void theServerDefaultsToTheDurableStoreInItsWorkingDirectory() throws Exception {
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, config(upstream.port(), """
                budgets:
                  - { scope: global, window: day, limit_usd: 10 }
                """));
        int port = RedisServer.freePort();
        try (ServerProcess server = new ServerProcess(config, dir, port).start()) {
            assertThat(chat(server.url("/v1/chat/completions")).statusCode()).isEqualTo(200);
            assertThat(dir.resolve("chatrouter-accounting.db")).exists();
            Thread.sleep(1_500); // the default flush interval is 1 s
            server.kill();
        }
        try (ServerProcess again = new ServerProcess(config, dir, port).start()) {
            assertThat(Math.round(spend(again, "global").path("spent_usd").asDouble() * 1e12))
                    .isEqualTo(PICOS_PER_REQUEST);
        }
    }
}
