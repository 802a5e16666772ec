package dev.chatrouter.http;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every place the HTTP surface writes money writes fixed decimals: the X-DI-Cost-USD header, usage.cost in a
 * completion and in a stream's usage chunk, and /router/spend. Never {@code 8.5E-5}, never binary noise.
 */
class MoneyTest {

    static final String CONFIG = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:${WM_PORT}/v1
                api_key: sk-money-test
                models:
                  m1: { price: { input: 1.0, output: 2.0 }, context_window: 128000, capabilities: [streaming] }
            routes:
              di:
                pools:
                  "*": { targets: [up/m1] }
            budgets:
              - { scope: global, window: month, limit_usd: 1000.3 }
            """;

    static WireMockServer upstream;
    static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        server = TestServer.start(dir, CONFIG, Map.of("WM_PORT", Integer.toString(upstream.port())));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    static void answer(String contentType, String fixture) {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", contentType).withBody(TestServer.fixture(fixture))));
    }

    /** 27 input tokens at $1/M and 29 output at $2/M: 0.000085 in the header, in usage.cost and in the spend. */
    @Test
    void completionHeaderUsageAndSpendAreFixedDecimals() {
        answer("application/json", "responses/di-chat-system-prompt.json");

        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/chat/completions",
                "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-di-cost-usd")).hasValue("0.000085");
        assertThat(response.body()).contains("\"cost\":0.000085").doesNotContain("E-");

        HttpResponse<String> spend = Http.get(server.baseUrl() + "/v1/router/spend");
        assertThat(spend.statusCode()).isEqualTo(200);
        assertThat(spend.body()).contains("\"limit_usd\":1000.3,").contains("\"spent_usd\":0.000085,")
                .contains("\"reserved_usd\":0,").contains("\"remaining_usd\":1000.299915,")
                .doesNotContain("E-").doesNotContain("0000000");
    }

    /** The final usage chunk of a stream carries its cost with fixed decimals: 14 in, 17 out is 0.000048. */
    @Test
    void streamUsageChunkCostIsFixedDecimals() {
        answer("text/event-stream", "sse/di-stream-haiku-include-usage.sse");

        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/chat/completions", """
                {"model":"di","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","content":"A haiku"}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> usage = response.body().lines().filter(l -> l.contains("\"usage\":{")).toList();
        assertThat(usage).hasSize(1);
        assertThat(usage.get(0)).contains("\"cost\":0.000048").doesNotContain("E-");
    }
}
