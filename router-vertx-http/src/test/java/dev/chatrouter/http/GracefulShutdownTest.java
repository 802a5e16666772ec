package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Shutdown is graceful: new requests are refused, requests in flight finish within the grace period, and a
 * stream still open after it ends with an error event (never a [DONE]) and its upstream call is cancelled.
 */
class GracefulShutdownTest {

    static final String STREAM = StreamRelayTest.STREAM;
    static final String CHAT = StreamRelayTest.CHAT;

    static RawSseUpstream upstream;
    @TempDir
    Path dir;
    TestServer server;

    @BeforeAll
    static void startUpstream() {
        upstream = new RawSseUpstream();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(String grace) {
        server = TestServer.start(dir, """
                providers:
                  raw:
                    type: openai
                    base_url: http://127.0.0.1:${RAW_PORT}/v1
                    api_key: sk-raw-upstream-key
                    timeouts: { connect_ms: 1000, first_token_ms: 10000, total_ms: 60000 }
                    models:
                      m1: { capabilities: [streaming] }
                routes:
                  di:
                    pools:
                      "*": { targets: [raw/m1] }
                    fallback: { retries_per_target: 0 }
                server:
                  shutdown_grace: GRACE
                """.replace("GRACE", grace), Map.of("RAW_PORT", Integer.toString(upstream.port())));
    }

    private CompletableFuture<Void> shutdown() {
        return server.server.shutdown().toCompletableFuture();
    }

    /** A stream that ends within the grace period finishes with [DONE]; meanwhile new requests get 503. */
    @Test
    void streamEndingWithinTheGraceFinishes() throws Exception {
        start("5s");
        upstream.script(c -> {
            c.streamHead();
            c.event(RawSseUpstream.roleChunk());
            c.event(RawSseUpstream.contentChunk("before"));
            c.hold(Duration.ofMillis(800));
            c.event(RawSseUpstream.contentChunk("after"));
            c.event(RawSseUpstream.finishChunk());
            c.done();
        });
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", STREAM);
            assertThat(client.readHead()).isEqualTo(200);
            client.readBodyUntil("before");

            CompletableFuture<Void> stopping = shutdown();

            try (RawClient late = new RawClient(server.port())) {
                late.post("/v1/chat/completions", CHAT);
                assertThat(late.readHead()).isEqualTo(503);
                JsonNode error = Http.json(late.readBodyToEnd()).path("error");
                assertThat(error.path("type").asText()).isEqualTo("api_error");
                assertThat(error.path("code").asText()).isEqualTo("shutting_down");
            }
            assertThat(stopping).isNotDone();

            String rest = client.readBodyToEnd();
            assertThat(rest).contains("after").endsWith("data: [DONE]\n\n");
            stopping.get(5, TimeUnit.SECONDS);
        }
        Throwable refused = catchThrowable(() -> new RawClient(server.port()).post("/v1/chat/completions", CHAT)
                .readHead());
        assertThat(refused).isNotNull();
    }

    /** A JSON answer that arrives within the grace period is delivered. */
    @Test
    void jsonAnswerWithinTheGraceIsDelivered() throws Exception {
        start("5s");
        upstream.script(c -> {
            c.hold(Duration.ofMillis(600));
            c.respond(200, RawSseUpstream.chatCompletion("in time"));
        });
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", CHAT);
            upstream.nextConnection(Duration.ofSeconds(5));

            CompletableFuture<Void> stopping = shutdown();

            assertThat(client.readHead()).isEqualTo(200);
            assertThat(Http.json(client.readBodyToEnd()).at("/choices/0/message/content").asText())
                    .isEqualTo("in time");
            stopping.get(5, TimeUnit.SECONDS);
        }
    }

    /** A stream still open when the grace period ends gets an error event and no [DONE]; the upstream is closed. */
    @Test
    void streamOpenAfterTheGraceEndsWithAnError() throws Exception {
        start("500ms");
        upstream.script(c -> {
            c.streamHead();
            c.event(RawSseUpstream.roleChunk());
            c.event(RawSseUpstream.contentChunk("before"));
            c.hold(Duration.ofSeconds(20));
            c.event(RawSseUpstream.contentChunk("never"));
            c.done();
        });
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", STREAM);
            assertThat(client.readHead()).isEqualTo(200);
            client.readBodyUntil("before");
            RawSseUpstream.Connection call = upstream.nextConnection(Duration.ofSeconds(5));

            long start = System.nanoTime();
            CompletableFuture<Void> stopping = shutdown();
            String rest = readRest(client);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(millis).isBetween(400L, 3000L);
            assertThat(rest).doesNotContain("[DONE]").doesNotContain("never");
            String[] events = rest.strip().split("\n\n");
            String last = events[events.length - 1];
            assertThat(last).startsWith("data: ");
            JsonNode error = Http.json(last.substring(6)).path("error");
            assertThat(error.path("message").asText()).contains("shutting down");
            assertThat(call.awaitClosed(Duration.ofSeconds(2))).as("upstream call cancelled").isTrue();
            stopping.get(5, TimeUnit.SECONDS);
        }
    }

    /** A JSON request still waiting when the grace period ends is answered 503, not left hanging. */
    @Test
    void jsonRequestOpenAfterTheGraceIsRefused() throws Exception {
        start("300ms");
        upstream.script(c -> {
            c.hold(Duration.ofSeconds(20));
            c.respond(200, RawSseUpstream.chatCompletion("late"));
        });
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", CHAT);
            RawSseUpstream.Connection call = upstream.nextConnection(Duration.ofSeconds(5));

            CompletableFuture<Void> stopping = shutdown();

            assertThat(client.readHead()).isEqualTo(503);
            JsonNode error = Http.json(client.readBodyToEnd()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("api_error");
            assertThat(error.path("message").asText()).contains("shutting down");
            assertThat(call.awaitClosed(Duration.ofSeconds(2))).as("upstream call cancelled").isTrue();
            stopping.get(5, TimeUnit.SECONDS);
        }
    }

    /** The rest of a body until the server ends it or closes the connection. */
    private static String readRest(RawClient client) throws IOException {
        StringBuilder text = new StringBuilder();
        try {
            byte[] part;
            while ((part = client.readBody(8192)).length > 0) {
                text.append(new String(part, java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (IOException closed) {
            // a reset after the last bytes is an end too
        }
        return text.toString();
    }
}
