package dev.chatrouter.http;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** A stream's routing headers are written once its winning attempt is known, and count it. */
class StreamHeadersTest {

    private static final String CONFIG = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:${WM_PORT}/v1
                api_key: sk-upstream-secret-99
                models:
                  m1: { price: { input: 1.0, output: 2.0 }, capabilities: [streaming] }
            routes:
              di:
                pools:
                  "*": { targets: [up/m1] }
            server:
              route_headers: true
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

    /** Proves a stream served on its first attempt says X-DI-Attempts: 1, not 0. */
    @Test
    void aFirstTrySuccessCountsOneAttempt() {
        // given an upstream that streams an answer
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-haiku-include-usage.sse"))));
        // when a stream is asked for
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/chat/completions", """
                {"model":"di","stream":true,"messages":[{"role":"user","content":"A haiku"}]}""");
        // then its headers count the attempt that served it
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-di-attempts")).contains("1");
        assertThat(response.headers().firstValue("x-di-provider")).contains("up");
        assertThat(Double.parseDouble(response.headers().firstValue("x-di-overhead-ms").orElseThrow()))
                .isBetween(0.0, 1000.0);
    }
}
