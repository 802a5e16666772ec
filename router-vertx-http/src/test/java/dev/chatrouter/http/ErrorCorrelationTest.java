package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.kit.config.ConfigFiles;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error answers can be found in the logs: each carries {@code X-Request-Id} (and {@code X-DI-Request-Type} once the
 * request was classified), whatever {@code route_headers} says; a bug is a 500 {@code internal_error}, not silence.
 */
class ErrorCorrelationTest {

    private static final String HELLO = "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final String CONFIG = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:PORT/v1
                api_key: sk-upstream-secret-88
                models:
                  m1: { price: { input: 1.0, output: 2.0 }, capabilities: [streaming] }
            routes:
              di:
                pools:
                  "*": { targets: [up/m1] }
                fallback: { max_attempts: 1, retries_per_target: 0 }
              buggy:
                pools:
                  "*": { targets: [up/m1] }
            server:
              route_headers: false
            """;

    static WireMockServer upstream;
    static Vertx vertx;
    static ChatRouter router;
    static ChatRouterServer server;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        Path file = dir.resolve("chatrouter.yaml");
        Files.writeString(file, CONFIG.replace("PORT", Integer.toString(upstream.port())));
        vertx = Vertx.vertx();
        // a classifier plugin with a bug, for requests to the route 'buggy'
        router = ChatRouter.builder().configFile(file).service(Vertx.class, vertx)
                .classifier(builtIn -> (request, input) -> {
                    if (request.model().equals("buggy")) {
                        throw new IllegalStateException("classifier bug at a secret place");
                    }
                    return builtIn.classify(request, input);
                }).build();
        ServerSettings settings = ServerSettings.read(ConfigFiles.section(file, "server", Map.of())).withPort(0);
        server = ChatRouterServer.start(vertx, router, settings, List.of("sk-upstream-secret-88"), 1)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (router != null) {
            router.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    private static HttpResponse<String> chat(String body, String... headers) {
        return Http.post("http://127.0.0.1:" + server.port() + "/v1/chat/completions", body, headers);
    }

    private static String header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** Proves a failed routed call answers with the caller's request id and the request's type. */
    @Test
    void aFailedCallCarriesTheRequestIdAndType() {
        // given an upstream that fails
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(500)
                .withHeader("content-type", "application/json").withBody("{\"error\":{\"message\":\"boom\"}}")));
        // when a request with an id is made
        HttpResponse<String> response = chat(HELLO, "x-request-id", "trace-err-1");
        // then the 502 names the request and its type
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(header(response, "x-request-id")).isEqualTo("trace-err-1");
        assertThat(header(response, "x-di-request-type")).isEqualTo("pro");
    }

    /** Proves a failed call without a caller's id still answers with the id the router gave it. */
    @Test
    void aFailedCallWithoutAnIdGetsTheRoutersId() {
        // given a model no route matches
        // when a request without an id is made
        HttpResponse<String> response = chat("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        // then the 404 carries a request id
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(header(response, "x-request-id")).isNotBlank();
    }

    /** Proves an error found before the router (malformed JSON) carries the caller's request id too. */
    @Test
    void aMalformedBodyCarriesTheRequestId() {
        // when the body is not JSON
        HttpResponse<String> response = chat("{\"model\":", "x-request-id", "trace-bad-json");
        // then the 400 names the request
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(header(response, "x-request-id")).isEqualTo("trace-bad-json");
    }

    /** Proves a bug in a classifier plugin is a 500 internal_error with the request id, and no detail leaks. */
    @Test
    void aBugIsAnInternalErrorWithTheRequestId() {
        // when a request reaches the buggy classifier, as a JSON call and as a stream
        for (String body : List.of(
                "{\"model\":\"buggy\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "{\"model\":\"buggy\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")) {
            HttpResponse<String> response = chat(body, "x-request-id", "trace-bug");
            // then the answer is a clear 500, naming the request, without the bug's message or stack
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(header(response, "x-request-id")).isEqualTo("trace-bug");
            JsonNode error = Http.error(response);
            assertThat(error.path("type").asText()).isEqualTo("api_error");
            assertThat(error.path("code").asText()).isEqualTo("internal_error");
            assertThat(response.body()).doesNotContain("secret place").doesNotContain("\tat ");
        }
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }
}
