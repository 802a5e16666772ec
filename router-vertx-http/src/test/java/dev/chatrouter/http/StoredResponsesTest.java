package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.chatrouter.store.redis.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Stored Responses live in the router's configured store: two servers on one real {@code redis-server} continue
 * each other's conversations, and the durable store's file keeps them across a restart. The clients are the
 * official OpenAI Java SDK; the upstream is WireMock speaking Chat Completions.
 */
class StoredResponsesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT = "/v1/chat/completions";

    @TempDir
    static Path dir;
    static WireMockServer upstream;
    static RedisServer redis;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (upstream != null) {
            upstream.stop();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));
    }

    static String config(String accounting) {
        return """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:%d/v1
                    api_key: sk-upstream-secret-42
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, json_schema, streaming] }
                routes:
                  di:
                    pools:
                      "*": { policy: priority, targets: [up/m1] }
                server:
                  responses_ttl: 2h
                %s
                """.formatted(upstream.port(), accounting);
    }

    static String redisConfig(String prefix) {
        return """
                accounting:
                  store: redis
                  redis: { url: "%s/0", key_prefix: "%s", command_timeout: 1s }
                """.formatted(redis.url(), prefix);
    }

    /** The official SDK on one server, closed with the test. */
    record Sdk(OpenAIClient client) implements AutoCloseable {
        com.openai.services.blocking.ResponseService responses() {
            return client.responses();
        }

        @Override
        public void close() {
            client.close();
        }
    }

    static Sdk sdk(TestServer server) {
        return new Sdk(OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused")
                .maxRetries(0).timeout(Duration.ofSeconds(10)).build());
    }

    /** The upstream's chat requests, in order. */
    static List<JsonNode> sent() {
        return upstream.findAll(postRequestedFor(urlEqualTo(CHAT))).stream().map(r -> {
            try {
                return JSON.readTree(r.getBodyAsString());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    static Response first(Sdk client) {
        return client.responses().create(ResponseCreateParams.builder().model("di")
                .input("Three uses of a paperclip").store(true).build());
    }

    /** The second upstream request carries the first turn (the user's input and the answer) before the new input. */
    static void assertContinued(Response first, Response second) {
        assertThat(second.previousResponseId()).hasValue(first.id());
        List<JsonNode> requests = sent();
        assertThat(requests).hasSize(2);
        JsonNode messages = requests.get(1).path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.at("/0/role").asText()).isEqualTo("user");
        assertThat(messages.at("/0/content").asText()).isEqualTo("Three uses of a paperclip");
        assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
        assertThat(messages.at("/1/content").asText())
                .isEqualTo(first.output().get(0).asMessage().content().get(0).asOutputText().text());
        assertThat(messages.at("/2/content").asText()).isEqualTo("And two more?");
    }

    static ResponseCreateParams followUp(String previous) {
        return ResponseCreateParams.builder().model("di").input("And two more?").previousResponseId(previous)
                .build();
    }

    /**
     * Proves a response stored through one server is continued through another sharing the Redis store: the
     * upstream receives the earlier turns, and the document has its time to live set in Redis.
     */
    @Test
    void twoServersOnOneRedisContinueEachOthersResponses() throws Exception {
        String prefix = "shared" + System.nanoTime() + ":";
        try (TestServer a = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             TestServer b = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             Sdk clientA = sdk(a);
             Sdk clientB = sdk(b)) {
            Response asked = first(clientA);

            Response continued = clientB.responses().create(followUp(asked.id()));

            assertContinued(asked, continued);
            String pttl = redis.command("PTTL " + prefix + "d:response:" + asked.id()).trim();
            assertThat(pttl).startsWith(":");
            assertThat(Long.parseLong(pttl.substring(1))).isPositive()
                    .isLessThanOrEqualTo(Duration.ofHours(2).toMillis());
            // and back: the answer B stored is continued through A
            upstream.resetRequests();
            clientA.responses().create(followUp(continued.id()));
            assertThat(sent().get(0).path("messages")).hasSize(5);
        }
    }

    /** Proves a streamed response stored through one server is continued through the other with its text. */
    @Test
    void aStreamedResponseIsContinuedAtTheOtherServer() throws Exception {
        String prefix = "stream" + System.nanoTime() + ":";
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-haiku.sse"))));
        try (TestServer a = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             TestServer b = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             Sdk clientA = sdk(a);
             Sdk clientB = sdk(b)) {
            StringBuilder text = new StringBuilder();
            String[] id = new String[1];
            try (StreamResponse<ResponseStreamEvent> stream = clientA.responses().createStreaming(
                    ResponseCreateParams.builder().model("di").input("A haiku, please").build())) {
                stream.stream().forEach(event -> {
                    event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                    event.completed().ifPresent(c -> id[0] = c.response().id());
                });
            }
            assertThat(id[0]).startsWith("resp_");
            reset();

            clientB.responses().create(followUp(id[0]));

            JsonNode messages = sent().get(0).path("messages");
            assertThat(messages).hasSize(3);
            assertThat(messages.at("/0/content").asText()).isEqualTo("A haiku, please");
            assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
            assertThat(messages.at("/1/content").asText()).isEqualTo(text.toString()).isNotEmpty();
        }
    }

    /** Proves store false keeps nothing in the shared store: the other server refuses the id naming the field. */
    @Test
    void storeFalseKeepsNothing() throws Exception {
        String prefix = "unstored" + System.nanoTime() + ":";
        try (TestServer a = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             TestServer b = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             Sdk clientA = sdk(a);
             Sdk clientB = sdk(b)) {
            Response unstored = clientA.responses().create(ResponseCreateParams.builder().model("di")
                    .input("Hi").store(false).build());

            assertThat(redis.command("EXISTS " + prefix + "d:response:" + unstored.id())).startsWith(":0");
            BadRequestException e = catchThrowableOfType(BadRequestException.class,
                    () -> clientB.responses().create(followUp(unstored.id())));
            assertThat(e.param()).hasValue("previous_response_id");
            assertThat(sent()).hasSize(1);
        }
    }

    /**
     * Proves with Redis down a new response is still answered (its storing fails on the side), and a follow-up
     * is a 503 store_unavailable naming the store; once Redis is back, responses are stored again.
     */
    @Test
    void withRedisDownAnswersStillComeAndFollowUpsAre503NamingTheStore() throws Exception {
        String prefix = "down" + System.nanoTime() + ":";
        try (TestServer a = TestServer.start(dir, config(redisConfig(prefix)), Map.of());
             Sdk client = sdk(a)) {
            Response stored = first(client);
            redis.stop();
            try {
                Response answered = first(client);
                assertThat(answered.output()).isNotEmpty();

                OpenAIServiceException e = catchThrowableOfType(OpenAIServiceException.class,
                        () -> client.responses().create(followUp(stored.id())));
                assertThat(e.statusCode()).isEqualTo(503);
                assertThat(e.code()).hasValue("store_unavailable");
                assertThat(e.param()).hasValue("previous_response_id");
                assertThat(e.getMessage()).contains("redis store at 127.0.0.1:" + redis.port());
            } finally {
                redis.startProcess();
            }
            // the first response was lost with Redis (it keeps nothing on disk here); once the client has
            // reconnected by itself, new ones are kept again
            awaitReadable(a);
            Response again = first(client);
            upstream.resetRequests();
            assertThat(client.responses().create(followUp(again.id())).previousResponseId()).hasValue(again.id());
        }
    }

    /**
     * Proves a response whose storing fails is still answered, and the failure is one WARN naming the response and
     * one count of chatrouter_responses_store_failures_total{operation="put"} at GET /metrics.
     */
    @Test
    void aFailedStoreIsLoggedAndCounted() throws Exception {
        Path file = dir.resolve("metrics-" + System.nanoTime() + ".yaml");
        java.nio.file.Files.writeString(file, """
                providers:
                  mock: { type: mock, models: { m: { price: { input: 1.0, output: 2.0 } } } }
                routes:
                  di: { pools: { "*": { policy: priority, targets: [mock/m] } } }
                %s
                """.formatted(redisConfig("metrics" + System.nanoTime() + ":")));
        LogCapture log = new LogCapture("chatrouter");
        log.start();
        Main.Running running = Main.start(new Main.Options(file, null, 0), Map.of(), dir);
        try {
            String base = "http://127.0.0.1:" + running.server().port();
            redis.stop();
            java.net.http.HttpResponse<String> answered = Http.post(base + "/v1/responses",
                    "{\"model\":\"di\",\"input\":\"Hello\"}");
            assertThat(answered.statusCode()).isEqualTo(200);
            String id = JSON.readTree(answered.body()).path("id").asText();

            assertThat(Http.get(base + "/metrics").body())
                    .contains("chatrouter_responses_store_failures_total{operation=\"put\"} 1.0");
            assertThat(log.lines()).anySatisfy(line -> assertThat(line).startsWith("WARN")
                    .contains("responses: could not store " + id).contains("redis store at 127.0.0.1:"));
        } finally {
            log.stop();
            running.stop();
            redis.startProcess();
        }
    }

    /** Waits, at most 10 s, until the server's router reads its documents again. */
    static void awaitReadable(TestServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                server.router.documents().thenCompose(d -> d.get("probe")).toCompletableFuture()
                        .get(2, java.util.concurrent.TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the store was not readable again within 10 s", e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Proves the durable store's file keeps a stored response across a server's close and a new server on it. */
    @Test
    void theDurableStoreKeepsResponsesAcrossARestart() throws Exception {
        Path file = dir.resolve("responses-" + System.nanoTime() + ".db");
        String accounting = """
                accounting:
                  store: durable
                  path: %s
                """.formatted(file);
        Response asked;
        try (TestServer before = TestServer.start(dir, config(accounting), Map.of());
             Sdk client = sdk(before)) {
            asked = first(client);
        }
        try (TestServer after = TestServer.start(dir, config(accounting), Map.of());
             Sdk client = sdk(after)) {
            Response continued = client.responses().create(followUp(asked.id()));
            assertContinued(asked, continued);
        }
    }
}
