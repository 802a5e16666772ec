package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What SDKs hide, over plain HTTP: the routing headers, usage cost, request validation errors with their
 * {@code param}, the effort and timeout headers, virtual keys, secret redaction and the paths outside chat.
 */
class HttpSurfaceTest {

    static final String HASHED_KEY = "vk-hashed-key-1";
    static final String HASHED_KEY_SHA256 = "4ddc88ddcbb9063df2fd4746a3359f152b678f5e86340bd94a706bd70f5e1334";
    static final String ENV_KEY = "vk-from-env-2222";
    static final String PROVIDER_KEY = "sk-upstream-secret-77";
    static final String HELLO = "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    static final String ROUTING_HEADERS = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:${WM_PORT}/v1
                api_key: ${UP_KEY}
                timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                models:
                  m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                        capabilities: [tools, vision, json_schema, streaming, embeddings] }
                  plain: { context_window: 128000, capabilities: [] }
            routes:
              di:
                pools:
                  "*": { targets: [up/m1] }
                fallback: { retries_per_target: 0 }
              other:
                match: [other-alias, "glob-*"]
                pools:
                  "*": { targets: [up/m1] }
              text-only:
                pools:
                  "*": { targets: [up/plain] }
            server:
              route_headers: ROUTE_HEADERS
              keys:
                hashed: { key_sha256: HASHED }
                env: { key: "${TEAM_B_KEY}", routes: [di] }
            """.replace("HASHED", HASHED_KEY_SHA256);

    static WireMockServer upstream;
    static TestServer server;
    static TestServer quiet;

    @BeforeAll
    static void start(@TempDir Path dir) {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        Map<String, String> env = Map.of("WM_PORT", Integer.toString(upstream.port()), "UP_KEY", PROVIDER_KEY,
                "TEAM_B_KEY", ENV_KEY);
        server = TestServer.start(dir, ROUTING_HEADERS.replace("ROUTE_HEADERS", "true"), env);
        quiet = TestServer.start(dir, ROUTING_HEADERS.replace("ROUTE_HEADERS", "false"), env);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (quiet != null) {
            quiet.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    static String chatUrl() {
        return server.baseUrl() + "/v1/chat/completions";
    }

    static HttpResponse<String> chat(String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "authorization";
        all[1] = "Bearer " + HASHED_KEY;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return Http.post(chatUrl(), body, all);
    }

    static void answer(int status, String contentType, String body) {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(status)
                .withHeader("content-type", contentType).withBody(body)));
    }

    static void answerJson(String fixture) {
        answer(200, "application/json", TestServer.fixture(fixture));
    }

    static void answerSse(String fixture) {
        answer(200, "text/event-stream", TestServer.fixture(fixture));
    }

    static List<String> diHeaders(HttpResponse<String> response) {
        List<String> names = new ArrayList<>();
        response.headers().map().keySet().forEach(name -> {
            if (name.toLowerCase().startsWith("x-di-")) {
                names.add(name.toLowerCase());
            }
        });
        return names;
    }

    static String header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** SSE data payloads of a stream body, in order, [DONE] included. */
    static List<String> sseData(String body) {
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.startsWith("data: ")) {
                data.add(event.substring(6));
            }
        }
        return data;
    }

    @Nested
    class RoutingHeaders {

        /** A JSON answer carries every routing header and its usage carries the cost. */
        @Test
        void jsonAnswerHasEveryRoutingHeaderAndCost() {
            answerJson("responses/di-chat-system-prompt.json");

            HttpResponse<String> response = chat(HELLO, "x-request-id", "trace-42");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(header(response, "x-di-request-type")).isEqualTo("pro");
            assertThat(header(response, "x-di-effort")).isEqualTo("auto");
            assertThat(header(response, "x-di-provider")).isEqualTo("up");
            assertThat(header(response, "x-di-model")).isEqualTo("m1");
            assertThat(header(response, "x-di-attempts")).isEqualTo("1");
            assertThat(header(response, "x-di-cache")).isEqualTo("miss");
            assertThat(header(response, "x-request-id")).isEqualTo("trace-42");
            assertThat(Double.parseDouble(header(response, "x-di-overhead-ms"))).isBetween(0.0, 1000.0);
            // 27 input tokens at $1/M, 29 output tokens at $2/M
            double expected = 27e-6 + 29 * 2e-6;
            assertThat(Double.parseDouble(header(response, "x-di-cost-usd"))).isCloseTo(expected, within(1e-9));
            JsonNode body = Http.json(response);
            assertThat(body.path("model").asText()).isEqualTo("di");
            assertThat(body.at("/usage/cost").asDouble()).isCloseTo(expected, within(1e-12));
        }

        /** A stream carries the routing headers except the cost; its final usage chunk carries the cost. */
        @Test
        void streamHasRoutingHeadersAndCostInTheUsageChunk() {
            answerSse("sse/di-stream-haiku-include-usage.sse");

            HttpResponse<String> response = chat("""
                    {"model":"di","stream":true,"stream_options":{"include_usage":true},
                     "messages":[{"role":"user","content":"A haiku"}]}""");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(header(response, "content-type")).startsWith("text/event-stream");
            assertThat(diHeaders(response)).containsExactlyInAnyOrder("x-di-request-type", "x-di-effort",
                    "x-di-provider", "x-di-model", "x-di-attempts", "x-di-cache", "x-di-overhead-ms");
            assertThat(header(response, "x-request-id")).isNotBlank();
            List<String> data = sseData(response.body());
            assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
            JsonNode usageChunk = Http.json(data.get(data.size() - 2));
            assertThat(usageChunk.path("model").asText()).isEqualTo("di");
            assertThat(usageChunk.at("/usage/total_tokens").asInt()).isEqualTo(31);
            assertThat(usageChunk.at("/usage/cost").asDouble()).isCloseTo(14e-6 + 17 * 2e-6, within(1e-12));
            assertThat(response.body()).endsWith("data: [DONE]\n\n");
        }

        /** An upstream that sends no usage still gets a usage chunk with a cost: counted, never zero. */
        @Test
        void streamWithoutUpstreamUsageIsCountedNotFree() {
            answerSse("sse/di-stream-haiku.sse");

            HttpResponse<String> response = chat("""
                    {"model":"di","stream":true,"stream_options":{"include_usage":true},
                     "messages":[{"role":"user","content":"A haiku"}]}""");

            List<String> data = sseData(response.body());
            assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
            JsonNode usage = Http.json(data.get(data.size() - 2)).path("usage");
            assertThat(usage.path("completion_tokens").asInt()).isPositive();
            assertThat(usage.path("cost").asDouble()).isPositive();
        }

        /** Without include_usage the client gets no usage chunk, though the router asked the upstream for one. */
        @Test
        void streamWithoutIncludeUsageHasNoUsageChunk() throws Exception {
            answerSse("sse/di-stream-haiku-include-usage.sse");

            HttpResponse<String> response = chat("""
                    {"model":"di","stream":true,"messages":[{"role":"user","content":"A haiku"}]}""");

            assertThat(response.statusCode()).isEqualTo(200);
            List<String> data = sseData(response.body());
            assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
            assertThat(data.subList(0, data.size() - 1)).allSatisfy(chunk ->
                    assertThat(Http.json(chunk).path("usage").isMissingNode() || Http.json(chunk).path("usage")
                            .isNull()).isTrue());
            JsonNode sent = Http.json(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")))
                    .get(0).getBodyAsString());
            assertThat(sent.at("/stream_options/include_usage").asBoolean()).isTrue();
        }

        /** With route_headers false only X-DI-Request-Type is sent (X-Request-Id is a route header), streamed or not. */
        @Test
        void routeHeadersFalseSendsOnlyTheRequestType() {
            answerJson("responses/di-chat-system-prompt.json");
            HttpResponse<String> json = Http.post(quiet.baseUrl() + "/v1/chat/completions", HELLO,
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(json.statusCode()).isEqualTo(200);
            assertThat(diHeaders(json)).containsExactly("x-di-request-type");
            assertThat(json.headers().firstValue("x-request-id")).isEmpty();
            assertThat(Http.json(json).at("/usage/cost").isNumber()).isTrue();

            upstream.resetAll();
            answerSse("sse/di-stream-haiku.sse");
            HttpResponse<String> stream = Http.post(quiet.baseUrl() + "/v1/chat/completions",
                    "{\"model\":\"di\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"A haiku\"}]}",
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(diHeaders(stream)).containsExactly("x-di-request-type");
        }

        /** An embeddings answer carries the routing headers too, with request type embedding. */
        @Test
        void embeddingsHaveRoutingHeaders() {
            upstream.stubFor(post(urlEqualTo("/v1/embeddings")).willReturn(aResponse().withStatus(200)
                    .withHeader("content-type", "application/json")
                    .withBody(TestServer.fixture("embeddings/responses/deepinfra-bge-string-input.json"))));

            HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/embeddings",
                    "{\"model\":\"di\",\"input\":\"hello\"}", "authorization", "Bearer " + HASHED_KEY);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(header(response, "x-di-request-type")).isEqualTo("embedding");
            assertThat(header(response, "x-di-model")).isEqualTo("m1");
            assertThat(Double.parseDouble(header(response, "x-di-cost-usd"))).isCloseTo(12e-6, within(1e-9));
            assertThat(Http.json(response).path("model").asText()).isEqualTo("di");
        }

        /** When every target is dropped, the answer is 503 no_target_available saying why, and nothing is sent. */
        @Test
        void noTargetAvailable() {
            HttpResponse<String> response = chat("""
                    {"model":"text-only","stream":true,"messages":[{"role":"user","content":"Hello"}]}""");

            assertThat(response.statusCode()).isEqualTo(503);
            JsonNode error = Http.error(response);
            assertThat(error.path("type").asText()).isEqualTo("api_error");
            assertThat(error.path("code").asText()).isEqualTo("no_target_available");
            assertThat(error.at("/metadata/dropped").has("up/plain")).isTrue();
            assertThat(upstream.getAllServeEvents()).isEmpty();
        }

        /** X-DI-Effort sets the effort the router reports. */
        @Test
        void effortHeaderIsApplied() {
            answerJson("responses/di-chat-system-prompt.json");

            HttpResponse<String> response = chat(HELLO, "x-di-effort", "High");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(header(response, "x-di-effort")).isEqualTo("high");
        }
    }

    @Nested
    class Validation {

        /** Malformed JSON is a 400 invalid_json, and nothing goes upstream. */
        @Test
        void malformedJson() {
            HttpResponse<String> response = chat("{\"model\":\"di\",\"messages\":[");

            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = Http.error(response);
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_json");
            assertThat(upstream.getAllServeEvents()).isEmpty();
        }

        /**
         * Malformed JSON is told in plain words with the line and column, for chat and embeddings alike: no Jackson
         * class or feature names, no source excerpt.
         */
        @Test
        void malformedJsonMessageIsClean() {
            HttpResponse<String> unexpected = chat("{\"model\": #, \"messages\": []}");
            assertThat(unexpected.statusCode()).isEqualTo(400);
            assertThat(Http.error(unexpected).path("message").asText())
                    .startsWith("the body is not valid JSON: Unexpected character ('#'")
                    .endsWith("at line 1, column 11");

            HttpResponse<String> truncated = Http.post(server.baseUrl() + "/v1/embeddings",
                    "{\"model\":\"di\",\"input\":[\"a\"", "authorization", "Bearer " + HASHED_KEY);
            assertThat(truncated.statusCode()).isEqualTo(400);
            JsonNode error = Http.error(truncated);
            assertThat(error.path("code").asText()).isEqualTo("invalid_json");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("message").asText()).startsWith("the body is not valid JSON: ")
                    .contains("line 1, column").doesNotContain("StreamReadFeature").doesNotContain("Source")
                    .doesNotContain("REDACTED").doesNotContain("`").doesNotContain("com.fasterxml");
            for (HttpResponse<String> response : List.of(unexpected, truncated)) {
                assertThat(response.body()).doesNotContain("StreamReadFeature").doesNotContain("INCLUDE_SOURCE")
                        .doesNotContain("Source:");
            }
        }

        /** A field of the wrong type is a 400 whose param names it. */
        @Test
        void wrongTypeNamesTheField() {
            HttpResponse<String> response = chat("""
                    {"model":"di","temperature":"hot","messages":[{"role":"user","content":"Hello"}]}""");

            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = Http.error(response);
            assertThat(error.path("code").asText()).isEqualTo("invalid_parameter");
            assertThat(error.path("param").asText()).isEqualTo("temperature");
        }

        /** A missing required field inside a message is a 400 whose param is its path. */
        @Test
        void missingFieldNamesItsPath() {
            HttpResponse<String> response = chat("{\"model\":\"di\",\"messages\":[{\"content\":\"Hello\"}]}");

            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = Http.error(response);
            assertThat(error.path("code").asText()).isEqualTo("missing_parameter");
            assertThat(error.path("param").asText()).isEqualTo("messages[0].role");
        }

        /** An unknown role is a 400 naming messages[0].role. */
        @Test
        void wrongValueNamesItsPath() {
            HttpResponse<String> response = chat(
                    "{\"model\":\"di\",\"messages\":[{\"role\":\"robot\",\"content\":\"Hello\"}]}");

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(Http.error(response).path("param").asText()).isEqualTo("messages[0].role");
        }

        /** No messages at all, and no model: 400 missing_parameter naming each. */
        @Test
        void missingMessagesAndModel() {
            HttpResponse<String> noMessages = chat("{\"model\":\"di\",\"messages\":[]}");
            assertThat(noMessages.statusCode()).isEqualTo(400);
            assertThat(Http.error(noMessages).path("param").asText()).isEqualTo("messages");

            HttpResponse<String> noModel = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
            assertThat(noModel.statusCode()).isEqualTo(400);
            assertThat(Http.error(noModel).path("code").asText()).isEqualTo("missing_parameter");
            assertThat(Http.error(noModel).path("param").asText()).isEqualTo("model");
        }

        /** An X-DI-Effort that is no effort is a 400 naming the header. */
        @Test
        void invalidEffortHeader() {
            HttpResponse<String> response = chat(HELLO, "x-di-effort", "turbo");

            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = Http.error(response);
            assertThat(error.path("code").asText()).isEqualTo("invalid_parameter");
            assertThat(error.path("param").asText()).isEqualTo("X-DI-Effort");
            assertThat(upstream.getAllServeEvents()).isEmpty();
        }

        /** An X-DI-Timeout-Ms that is not a positive number is a 400 naming the header. */
        @Test
        void invalidTimeoutHeader() {
            HttpResponse<String> response = chat(HELLO, "x-di-timeout-ms", "soon");

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(Http.error(response).path("param").asText()).isEqualTo("X-DI-Timeout-Ms");
        }

        /** Embeddings without input are a 400 naming input. */
        @Test
        void embeddingsWithoutInput() {
            HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/embeddings",
                    "{\"model\":\"di\",\"input\":[]}", "authorization", "Bearer " + HASHED_KEY);

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(Http.error(response).path("param").asText()).isEqualTo("input");
        }
    }

    @Nested
    class Deadlines {

        /** X-DI-Timeout-Ms bounds the request: a slow upstream gives 504 timeout when the deadline passes. */
        @Test
        void timeoutHeaderIsHonoured() {
            upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                    .withHeader("content-type", "application/json").withFixedDelay(3000)
                    .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));

            long start = System.nanoTime();
            HttpResponse<String> response = chat(HELLO, "x-di-timeout-ms", "300");
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(Http.error(response).path("code").asText()).isEqualTo("timeout");
            assertThat(Http.error(response).path("type").asText()).isEqualTo("api_error");
            assertThat(millis).isBetween(250L, 2500L);
        }
    }

    @Nested
    class Keys {

        /** No Authorization header: 401 invalid_api_key. */
        @Test
        void missingKey() {
            HttpResponse<String> response = Http.post(chatUrl(), HELLO);

            assertThat(response.statusCode()).isEqualTo(401);
            JsonNode error = Http.error(response);
            assertThat(error.path("type").asText()).isEqualTo("authentication_error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
        }

        /** A key that is not configured, or not a bearer token: 401. */
        @Test
        void wrongKey() {
            assertThat(Http.post(chatUrl(), HELLO, "authorization", "Bearer vk-nope").statusCode()).isEqualTo(401);
            assertThat(Http.post(chatUrl(), HELLO, "authorization", HASHED_KEY).statusCode()).isEqualTo(401);
            assertThat(Http.get(server.baseUrl() + "/v1/models").statusCode()).isEqualTo(401);
            assertThat(upstream.getAllServeEvents()).isEmpty();
        }

        /** A key given as key_sha256 and one given as key: ${ENV} both authenticate. */
        @Test
        void hashedAndEnvironmentKeysWork() {
            answerJson("responses/di-chat-system-prompt.json");

            assertThat(Http.post(chatUrl(), HELLO, "authorization", "Bearer " + HASHED_KEY).statusCode())
                    .isEqualTo(200);
            assertThat(Http.post(chatUrl(), HELLO, "authorization", "bearer " + ENV_KEY).statusCode())
                    .isEqualTo(200);
        }

        /** A key restricted to some routes gets 403 model_not_allowed on another, and the upstream is not called. */
        @Test
        void restrictedKeyOnAnotherRoute() {
            answerJson("responses/di-chat-system-prompt.json");

            HttpResponse<String> response = Http.post(chatUrl(), HELLO.replace("\"di\"", "\"other-alias\""),
                    "authorization", "Bearer " + ENV_KEY);

            assertThat(response.statusCode()).isEqualTo(403);
            JsonNode error = Http.error(response);
            assertThat(error.path("type").asText()).isEqualTo("permission_error");
            assertThat(error.path("code").asText()).isEqualTo("model_not_allowed");
            assertThat(upstream.getAllServeEvents()).isEmpty();
            // the unrestricted key may use it
            assertThat(chat(HELLO.replace("\"di\"", "\"other-alias\"")).statusCode()).isEqualTo(200);
        }
    }

    @Nested
    class Secrets {

        /** An upstream error that quotes the provider key reaches the client with the key redacted. */
        @Test
        void upstreamAuthErrorIsRedacted() {
            answer(401, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided: " + PROVIDER_KEY
                    + ". Find your key at platform.example\",\"type\":\"invalid_request_error\","
                    + "\"code\":\"invalid_api_key\"}}");

            HttpResponse<String> response = chat(HELLO);

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(Http.error(response).path("message").asText()).contains("[redacted]");
            assertNoSecret(response);
        }

        /** Attempts listed in a 502 quote upstream messages with the key redacted. */
        @Test
        void attemptsInA502AreRedacted() {
            answer(500, "text/plain", "internal error while calling with key " + PROVIDER_KEY);

            HttpResponse<String> response = chat(HELLO);

            assertThat(response.statusCode()).isEqualTo(502);
            JsonNode attempts = Http.error(response).at("/metadata/attempts");
            assertThat(attempts).isNotEmpty();
            assertThat(attempts.get(0).path("message").asText()).contains("[redacted]");
            assertNoSecret(response);
        }

        /** An error event inside a stream, after content was sent, is relayed redacted and without [DONE]. */
        @Test
        void midStreamErrorIsRedactedAndHasNoDone() {
            String first = TestServer.fixture("sse/di-stream-haiku.sse").split("\n\n")[1];
            // dribbled, so that the content chunk arrives (and is relayed) well before the error event
            upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                    .withHeader("content-type", "text/event-stream").withChunkedDribbleDelay(12, 600)
                    .withBody(first + "\n\n" + "data: {\"error\":{\"message\":\"key " + PROVIDER_KEY
                            + " was revoked\",\"type\":\"server_error\"}}\n\n")));

            HttpResponse<String> response = chat(
                    "{\"model\":\"di\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"A haiku\"}]}");

            assertThat(response.statusCode()).isEqualTo(200);
            List<String> data = sseData(response.body());
            assertThat(Http.json(data.get(0)).at("/choices/0/delta/content").asText()).isEqualTo("Packets");
            JsonNode last = Http.json(data.get(data.size() - 1));
            assertThat(last.at("/error/message").asText()).contains("[redacted]");
            assertThat(response.body()).doesNotContain("[DONE]");
            assertNoSecret(response);
        }

        private void assertNoSecret(HttpResponse<String> response) {
            for (String secret : List.of(PROVIDER_KEY, HASHED_KEY, ENV_KEY)) {
                assertThat(response.body()).doesNotContain(secret);
                response.headers().map().forEach((name, values) ->
                        assertThat(values).noneSatisfy(v -> assertThat(v).contains(secret)));
            }
        }
    }

    @Nested
    class Paths {

        /** /health answers without a key. */
        @Test
        void health() {
            HttpResponse<String> response = Http.get(server.baseUrl() + "/health");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Http.json(response).path("status").asText()).isEqualTo("ok");
        }

        /** The models list is served under each base path: route intents and their non-glob match ids. */
        @Test
        void modelsUnderEveryBasePath() {
            for (String base : List.of("/v1", "/di/v1")) {
                HttpResponse<String> response = Http.get(server.baseUrl() + base + "/models",
                        "authorization", "Bearer " + HASHED_KEY);
                assertThat(response.statusCode()).isEqualTo(200);
                JsonNode body = Http.json(response);
                assertThat(body.path("object").asText()).isEqualTo("list");
                List<String> ids = new ArrayList<>();
                body.path("data").forEach(m -> {
                    assertThat(m.path("object").asText()).isEqualTo("model");
                    ids.add(m.path("id").asText());
                });
                assertThat(ids).containsExactly("di", "other", "other-alias", "text-only");
            }
            HttpResponse<String> one = Http.get(server.baseUrl() + "/di/v1/models/other-alias",
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(one.statusCode()).isEqualTo(200);
            assertThat(Http.json(one).path("id").asText()).isEqualTo("other-alias");
        }

        /**
         * GET /models/{id} answers for an id a glob route matches, echoing the id; an id no route serves is 404
         * model_not_found naming the model.
         */
        @Test
        void modelMatchedByAGlob() {
            HttpResponse<String> glob = Http.get(server.baseUrl() + "/v1/models/glob-anything",
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(glob.statusCode()).isEqualTo(200);
            assertThat(Http.json(glob).path("id").asText()).isEqualTo("glob-anything");

            HttpResponse<String> none = Http.get(server.baseUrl() + "/v1/models/nothing-serves-this",
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(none.statusCode()).isEqualTo(404);
            assertThat(Http.error(none).path("code").asText()).isEqualTo("model_not_found");
            assertThat(Http.error(none).path("param").asText()).isEqualTo("model");
        }

        /**
         * A key restricted to some routes is offered only their models: GET /models lists them alone, and
         * GET /models/{id} of another route's model is 404, as for a model that does not exist.
         */
        @Test
        void aKeySeesOnlyTheModelsOfItsRoutes() {
            HttpResponse<String> list = Http.get(server.baseUrl() + "/v1/models", "authorization", "Bearer " + ENV_KEY);
            assertThat(list.statusCode()).isEqualTo(200);
            List<String> ids = new ArrayList<>();
            Http.json(list).path("data").forEach(m -> ids.add(m.path("id").asText()));
            assertThat(ids).containsExactly("di");

            assertThat(Http.get(server.baseUrl() + "/v1/models/di", "authorization", "Bearer " + ENV_KEY)
                    .statusCode()).isEqualTo(200);
            HttpResponse<String> other = Http.get(server.baseUrl() + "/v1/models/other-alias",
                    "authorization", "Bearer " + ENV_KEY);
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(Http.error(other).path("code").asText()).isEqualTo("model_not_found");
        }

        /**
         * GET /models/{id} takes the id as chat does: percent-encoded (an SDK encodes the '/' of
         * {@code vendor/model}) and with an effort suffix, echoing the id asked for.
         */
        @Test
        void aModelIdIsReadAsChatReadsIt() {
            for (String[] asked : new String[][] {{"glob-vendor%2Fmodel", "glob-vendor/model"},
                    {"di@high", "di@high"}, {"other-alias:fast", "other-alias:fast"}}) {
                HttpResponse<String> one = Http.get(server.baseUrl() + "/v1/models/" + asked[0],
                        "authorization", "Bearer " + HASHED_KEY);
                assertThat(one.statusCode()).as(asked[0]).isEqualTo(200);
                assertThat(Http.json(one).path("id").asText()).isEqualTo(asked[1]);
            }
        }

        /** Chat is served under /di/v1 too. */
        @Test
        void chatUnderTheSecondBasePath() {
            answerJson("responses/di-chat-system-prompt.json");

            HttpResponse<String> response = Http.post(server.baseUrl() + "/di/v1/chat/completions", HELLO,
                    "authorization", "Bearer " + HASHED_KEY);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Http.json(response).path("model").asText()).isEqualTo("di");
        }

        /** An unknown path answers 404 in the OpenAI envelope, inside or outside the base paths. */
        @Test
        void unknownPath() {
            for (String path : List.of("/v1/completionz", "/nothing", "/v1")) {
                HttpResponse<String> response = Http.get(server.baseUrl() + path,
                        "authorization", "Bearer " + HASHED_KEY);
                assertThat(response.statusCode()).as(path).isEqualTo(404);
                assertThat(Http.error(response).path("type").asText()).isEqualTo("invalid_request_error");
            }
        }

        /** A known path with the wrong method answers 405 naming the allowed one. */
        @Test
        void wrongMethod() {
            HttpResponse<String> get = Http.get(chatUrl(), "authorization", "Bearer " + HASHED_KEY);
            assertThat(get.statusCode()).isEqualTo(405);
            assertThat(header(get, "allow")).isEqualTo("POST");
            Http.error(get);

            HttpResponse<String> postModels = Http.post(server.baseUrl() + "/v1/models", "{}",
                    "authorization", "Bearer " + HASHED_KEY);
            assertThat(postModels.statusCode()).isEqualTo(405);
            assertThat(header(postModels, "allow")).isEqualTo("GET");

            HttpResponse<String> deleteHealth = Http.send("DELETE", server.baseUrl() + "/health", null);
            assertThat(deleteHealth.statusCode()).isEqualTo(405);
        }
    }
}
