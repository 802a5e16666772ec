package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests the router refuses before routing, over HTTP: out-of-range parameters and prompts longer than every
 * context window are 400s naming the field with a code, and the upstream is never called.
 */
class RequestRefusalTest {

    static final String CONFIG = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:${WM_PORT}/v1
                api_key: sk-upstream
                models:
                  small: { upstream: up-small, price: { input: 1.0, output: 2.0 }, context_window: 8000,
                           capabilities: [streaming, embeddings] }
                  big: { upstream: up-big, price: { input: 1.0, output: 2.0 }, context_window: 16000,
                         capabilities: [streaming, embeddings] }
            routes:
              di:
                pools:
                  "*": { targets: [up/small, up/big] }
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

    private static HttpResponse<String> chat(String fields) {
        return Http.post(server.baseUrl() + "/v1/chat/completions",
                "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]," + fields + "}");
    }

    /** A value out of range is a 400 invalid_parameter naming the field, and the upstream is never called. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            "max_tokens":-1                  | max_tokens
            "max_completion_tokens":0        | max_completion_tokens
            "temperature":3                  | temperature
            "top_p":1.1                      | top_p
            "n":0                            | n
            "presence_penalty":-2.5          | presence_penalty
            "frequency_penalty":9            | frequency_penalty
            "top_logprobs":21                | top_logprobs
            "logit_bias":{"50256":-200}      | logit_bias.50256
            "stop":["a","b","c","d","e"]     | stop
            "max_tokens":"ten"               | max_tokens
            """)
    void outOfRangeParameterIsA400NamingIt(String fields, String param) {
        HttpResponse<String> response = chat(fields);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Http.error(response);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_parameter");
        assertThat(error.path("param").asText()).isEqualTo(param);
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /** Embeddings dimensions must be positive. */
    @Test
    void embeddingDimensionsMustBePositive() {
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/embeddings",
                "{\"model\":\"di\",\"input\":\"hello\",\"dimensions\":0}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Http.error(response);
        assertThat(error.path("code").asText()).isEqualTo("invalid_parameter");
        assertThat(error.path("param").asText()).isEqualTo("dimensions");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /**
     * A prompt longer than every target's context window is 400 context_length_exceeded on messages, as OpenAI
     * answers it, not a 503 that SDKs would retry.
     */
    @Test
    void promptLongerThanEveryWindowIsContextLengthExceeded() {
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/chat/completions",
                "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(80_000) + "\"}]}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Http.error(response);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.path("param").asText()).isEqualTo("messages");
        assertThat(error.path("message").asText()).contains("19,985", "16,000");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }
}
