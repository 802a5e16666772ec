package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The connections an event loop keeps to an upstream, seen from the upstream: calls made one after another share
 * one connection, no more than the provider's maximum are open at once (the calls beyond it wait, none is lost), and
 * a connection that must not be kept (the answer said {@code Connection: close}, its idle time ran out, its call
 * failed, the client closed) is closed and never used again.
 */
class LoopConnectionsTest {

    private Vertx vertx;
    private HttpServer upstream;
    /** Connections the upstream accepted, and those that closed. */
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger closedAtUpstream = new AtomicInteger();
    /** Requests to /hold, answered when the test says. */
    private final ConcurrentLinkedQueue<HttpServerRequest> held = new ConcurrentLinkedQueue<>();
    private final MutableClock clock = new MutableClock();
    private Context loop;
    private UpstreamClient client;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .connectionHandler(connection -> {
                    accepted.incrementAndGet();
                    connection.closeHandler(v -> closedAtUpstream.incrementAndGet());
                })
                .requestHandler(request -> request.body().onSuccess(body -> {
                    switch (request.path()) {
                        case "/hold" -> held.add(request);
                        case "/close" -> request.response().putHeader("connection", "close").end("{}");
                        case "/keep-alive-5" -> request.response().putHeader("keep-alive", "timeout=5").end("{}");
                        case "/fail" -> request.response().setStatusCode(500).end("{\"error\":{}}");
                        case "/hang" -> { } // never answered
                        case "/host" -> request.response().end(request.getHeader("host"));
                        default -> request.response().end("{}");
                    }
                }));
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        loop = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void client(int maxConnections, Duration total) {
        client(maxConnections, Duration.ofSeconds(5), total);
    }

    private void client(int maxConnections, Duration connect, Duration total) {
        ProviderSpec spec = ProviderSpec.builder("up", "openai").baseUrl(url("")).apiKey("sk-test")
                .timeouts(new Timeouts(connect, total, total)).maxConnections(maxConnections)
                .model(ModelSpec.of("m")).build();
        client = UpstreamClient.create(spec, new VertxContext(vertx, clock), (status, header, body) ->
                new ProviderException(FailureKind.SERVER, "status " + status, null));
    }

    private String url(String path) {
        return "http://127.0.0.1:" + upstream.actualPort() + path;
    }

    /** A post made on the event loop, as the HTTP front makes them. */
    private CompletableFuture<UpstreamResponse> postOnLoop(String path) throws Exception {
        return onLoop(() -> client.post(url(path), Map.of("content-type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8), null)).get(10, TimeUnit.SECONDS);
    }

    private <T> CompletableFuture<T> onLoop(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(v -> result.complete(task.get()));
        return result;
    }

    private static String body(UpstreamResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Waits, with a bound, until the condition holds. */
    private static void eventually(Supplier<Boolean> condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.get()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(until);
            Thread.sleep(10);
        }
    }

    @Test
    void callsOneAfterAnotherShareOneConnection() throws Exception {
        client(4, Duration.ofSeconds(10));
        for (int i = 0; i < 5; i++) {
            assertThat(body(postOnLoop("/ok").get(10, TimeUnit.SECONDS))).isEqualTo("{}");
        }
        assertThat(accepted).hasValue(1);
        assertThat(closedAtUpstream).hasValue(0);
    }

    @Test
    void noMoreThanTheMaximumAreOpenAndTheCallsBeyondItWaitTheirTurn() throws Exception {
        client(2, Duration.ofSeconds(10));
        List<CompletableFuture<UpstreamResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(postOnLoop("/hold"));
        }
        eventually(() -> held.size() == 2);
        assertThat(accepted).hasValue(2);
        for (int answered = 0; answered < 5; answered++) {
            eventually(() -> !held.isEmpty());
            held.poll().response().end("{\"n\":1}");
        }
        for (CompletableFuture<UpstreamResponse> call : calls) {
            assertThat(body(call.get(10, TimeUnit.SECONDS))).isEqualTo("{\"n\":1}");
        }
        assertThat(accepted).hasValue(2);
    }

    @Test
    void anAnswerSayingConnectionCloseIsNotFollowedOnItsConnection() throws Exception {
        client(4, Duration.ofSeconds(10));
        postOnLoop("/close").get(10, TimeUnit.SECONDS);
        postOnLoop("/ok").get(10, TimeUnit.SECONDS);
        assertThat(accepted).hasValue(2);
        eventually(() -> closedAtUpstream.get() == 1);
        postOnLoop("/ok").get(10, TimeUnit.SECONDS);
        assertThat(accepted).hasValue(2);
    }

    @Test
    void aConnectionIdleLongerThanTheUpstreamsKeepAliveTimeoutIsClosedNotTaken() throws Exception {
        client(4, Duration.ofSeconds(10));
        postOnLoop("/keep-alive-5").get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofSeconds(3));
        postOnLoop("/keep-alive-5").get(10, TimeUnit.SECONDS);
        assertThat(accepted).as("3 s idle: well within the upstream's 5").hasValue(1);
        clock.advance(Duration.ofMillis(4500));
        postOnLoop("/ok").get(10, TimeUnit.SECONDS);
        assertThat(accepted).as("4.5 s idle: too close to the upstream's 5 to send on").hasValue(2);
        eventually(() -> closedAtUpstream.get() == 1);
    }

    @Test
    void aCallThatTimesOutClosesItsConnectionAndTheNextCallOpensAnother() throws Exception {
        client(1, Duration.ofMillis(300));
        CompletableFuture<UpstreamResponse> hanging = postOnLoop("/hang");
        assertThatThrownBy(() -> hanging.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ProviderException.class)
                .extracting(e -> ((ProviderException) e).kind()).isEqualTo(FailureKind.TIMEOUT);
        eventually(() -> closedAtUpstream.get() == 1);
        // the one connection allowed was given up, not kept half-read: the next call gets a new one
        assertThat(body(postOnLoop("/ok").get(10, TimeUnit.SECONDS))).isEqualTo("{}");
        assertThat(accepted).hasValue(2);
    }

    @Test
    void anErrorAnswerReadWholeLeavesItsConnectionForTheNextCall() throws Exception {
        client(1, Duration.ofSeconds(10));
        CompletableFuture<UpstreamResponse> failed = postOnLoop("/fail");
        assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).cause().hasMessage("status 500");
        postOnLoop("/ok").get(10, TimeUnit.SECONDS);
        assertThat(accepted).hasValue(1);
    }

    @Test
    void closingTheClientClosesItsIdleConnections() throws Exception {
        client(4, Duration.ofSeconds(10));
        postOnLoop("/ok").get(10, TimeUnit.SECONDS);
        assertThat(closedAtUpstream).hasValue(0);
        client.close();
        eventually(() -> closedAtUpstream.get() == 1);
        client = null;
    }

    @Test
    void callsWaitingForAConnectionThatCannotBeOpenedFailAtOnceNotAtTheirTimeout() throws Exception {
        client(1, Duration.ofSeconds(30));
        int port = upstream.actualPort();
        upstream.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<CompletableFuture<UpstreamResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(onLoop(() -> client.post("http://127.0.0.1:" + port + "/ok", Map.of(),
                    "{}".getBytes(StandardCharsets.UTF_8), null)).get(10, TimeUnit.SECONDS));
        }
        for (CompletableFuture<UpstreamResponse> call : calls) {
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(ProviderException.class)
                    .hasMessageContaining("connection");
        }
    }

    @Test
    void aCallThatGaveUpWaitingDoesNotKeepTheOriginFromOthers() throws Exception {
        client(1, Duration.ofSeconds(10));
        CompletableFuture<UpstreamResponse> first = postOnLoop("/hold");
        eventually(() -> held.size() == 1);
        Instant deadline = clock.instant().plusMillis(200);
        CompletableFuture<UpstreamResponse> waiting = onLoop(() -> client.post(url("/ok"), Map.of(),
                "{}".getBytes(StandardCharsets.UTF_8), deadline)).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(ProviderException.class)
                .extracting(e -> ((ProviderException) e).kind()).isEqualTo(FailureKind.TIMEOUT);
        held.poll().response().end("{\"n\":1}");
        assertThat(body(first.get(10, TimeUnit.SECONDS))).isEqualTo("{\"n\":1}");
        // the call that gave up is passed over, not handed the connection to close it: the next call gets that one
        assertThat(body(postOnLoop("/ok").get(10, TimeUnit.SECONDS))).isEqualTo("{}");
        assertThat(accepted).hasValue(1);
        assertThat(closedAtUpstream).hasValue(0);
    }

    @Test
    void aCallWaitsForAConnectionNoLongerThanItWouldWaitToOpenOne() throws Exception {
        client(1, Duration.ofMillis(300), Duration.ofSeconds(10));
        CompletableFuture<UpstreamResponse> first = postOnLoop("/hold");
        eventually(() -> held.size() == 1);
        CompletableFuture<UpstreamResponse> waiting = postOnLoop("/ok");
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(ProviderException.class)
                .hasMessageContaining("came free within 300 ms")
                .extracting(e -> ((ProviderException) e).kind()).isEqualTo(FailureKind.TIMEOUT);
        held.poll().response().end("{}");
        assertThat(body(first.get(10, TimeUnit.SECONDS))).isEqualTo("{}");
    }

    @Test
    void aRequestSayingConnectionCloseDoesNotHandItsClosingConnectionToTheNextInLine() throws Exception {
        client(1, Duration.ofSeconds(10));
        CompletableFuture<UpstreamResponse> closing = onLoop(() -> client.post(url("/hold"),
                Map.of("connection", "close"), "{}".getBytes(StandardCharsets.UTF_8), null)).get(10, TimeUnit.SECONDS);
        eventually(() -> held.size() == 1);
        CompletableFuture<UpstreamResponse> next = postOnLoop("/ok");
        held.poll().response().end("{\"n\":1}");
        assertThat(body(closing.get(10, TimeUnit.SECONDS))).isEqualTo("{\"n\":1}");
        assertThat(body(next.get(10, TimeUnit.SECONDS))).isEqualTo("{}");
        assertThat(accepted).hasValue(2);
    }

    @Test
    void aCallFromABlockingTaskOfAnEventLoopUsesTheSharedPool() throws Exception {
        client(4, Duration.ofSeconds(10));
        CompletableFuture<UpstreamResponse> call = new CompletableFuture<>();
        loop.runOnContext(v -> vertx.executeBlocking(() -> client.post(url("/ok"), Map.of(),
                "{}".getBytes(StandardCharsets.UTF_8), null).get(10, TimeUnit.SECONDS)).onComplete(ar -> {
                    if (ar.succeeded()) {
                        call.complete(ar.result());
                    } else {
                        call.completeExceptionally(ar.cause());
                    }
                }));
        assertThat(body(call.get(10, TimeUnit.SECONDS))).isEqualTo("{}");
    }

    @Test
    void aHostNameWithATrailingDotIsSentWithoutItAsVertxsPooledRequestsDo() throws Exception {
        client(4, Duration.ofSeconds(10));
        String fullyQualified = "http://localhost.:" + upstream.actualPort() + "/host";
        String fromLoop = body(onLoop(() -> client.post(fullyQualified, Map.of(), "{}".getBytes(StandardCharsets.UTF_8),
                null)).get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS));
        String fromPool = body(client.post(fullyQualified, Map.of(), "{}".getBytes(StandardCharsets.UTF_8), null)
                .get(10, TimeUnit.SECONDS));
        assertThat(fromLoop).isEqualTo(fromPool).isEqualTo("localhost:" + upstream.actualPort());
    }

    @Test
    void keepAliveTimeoutIsReadFromTheHeader() {
        assertThat(LoopConnections.timeoutSeconds("timeout=5, max=1000")).isEqualTo(5);
        assertThat(LoopConnections.timeoutSeconds("max=3,Timeout=7")).isEqualTo(7);
        assertThat(LoopConnections.timeoutSeconds("max=3")).isEqualTo(-1);
        assertThat(LoopConnections.timeoutSeconds("timeout=soon")).isEqualTo(-1);
        assertThat(LoopConnections.timeoutSeconds("")).isEqualTo(-1);
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
