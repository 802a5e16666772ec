package dev.chatrouter.plugin.openai;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.TestSubscriber;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.exactly;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault matrix of docs/routing.md#fallback: the real openai plugin against WireMock (and, for resets mid-answer, a raw
 * socket server), for chat and for streams wherever the fault applies. Every upstream is reached through a
 * {@link LoopbackUpstream} that tracks its connections: after each case the router is closed and no connection may
 * be left open, and cases that cancel an upstream call (hedge loser, deadline, caller cancellation) check that its
 * connection was reset at once, router still open. The router runs on an embedder-passed Vert.x whose
 * blocked-thread checker must report nothing for the whole class.
 */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class FaultMatrixTest {

    enum Mode { CHAT, STREAM }

    private static final Duration TOLERANCE = Duration.ofMillis(100);
    private static final Timeouts FAST = new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(5));
    private static final FallbackConfig NO_RETRIES = new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on());
    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private static BlockedThreadWatch watch;
    private static Vertx vertx;
    private static WireMockServer wiremock;
    private static LoopbackUpstream proxyA;
    private static LoopbackUpstream proxyB;
    private static LoopbackUpstream proxyC;
    private static int refusedPort;

    private final List<LoopbackUpstream> rawUpstreams = new ArrayList<>();
    private ChatRouter router;

    @BeforeAll
    static void start() throws Exception {
        watch = new BlockedThreadWatch();
        watch.selfCheck();
        vertx = Vertx.vertx(BlockedThreadWatch.options());
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        proxyA = LoopbackUpstream.forwardingTo(wiremock.port());
        proxyB = LoopbackUpstream.forwardingTo(wiremock.port());
        proxyC = LoopbackUpstream.forwardingTo(wiremock.port());
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            refusedPort = probe.getLocalPort(); // closed again: connecting is refused
        }
        warmUp();
    }

    /**
     * One chat and one stream through the whole path, and a refused connection: the first calls load the
     * HTTP client's, the DNS resolver's and the codec's classes on the event loop, which takes longer than the
     * blocked-thread limit on a cold JVM and is not what the watch is for. It watches from here on.
     */
    private static void warmUp() throws Exception {
        FaultMatrixTest warm = new FaultMatrixTest();
        answer("a", "warm");
        warm.router(NO_RETRIES, Duration.ZERO, target("b", "http://127.0.0.1:" + refusedPort + "/v1", 0, FAST),
                target("a"));
        warm.run(Mode.CHAT).assertServed("a/m", "warm");
        warm.run(Mode.STREAM).assertServed("a/m", "warm");
        warm.noConnectionLeftOpen();
        watch.clear();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertThat(watch.warnings()).as("event loop blocked during the matrix").isEmpty();
        } finally {
            watch.stop();
            proxyA.close();
            proxyB.close();
            proxyC.close();
            wiremock.stop();
            vertx.close().await(5, TimeUnit.SECONDS);
        }
    }

    @BeforeEach
    void resetStubs() {
        wiremock.resetAll();
    }

    @AfterEach
    void noConnectionLeftOpen() throws IOException {
        if (router != null) {
            router.close();
        }
        for (LoopbackUpstream upstream : List.of(proxyA, proxyB, proxyC)) {
            upstream.awaitOpenAtMost(0, Duration.ofSeconds(3));
        }
        for (LoopbackUpstream raw : rawUpstreams) {
            raw.awaitOpenAtMost(0, Duration.ofSeconds(3));
            raw.close();
        }
    }

    // ---- the matrix ----

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CHAT, 500", "CHAT, 502", "CHAT, 503", "STREAM, 500", "STREAM, 502", "STREAM, 503"})
    void aServerErrorFailsOverToTheNextTarget(Mode mode, int status) {
        stub("a", error(status, "server_error", "The server had an error while processing your request"));
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(mode);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:server:" + status, "b/m:ok:200");
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource({"CHAT, Retry-After, 1, 1000", "STREAM, retry-after-ms, 400, 400"})
    void aRateLimitIsRetriedOnTheSameTargetAfterTheDelayTheUpstreamAsked(Mode mode, String header, String value,
                                                                         long waitMillis) {
        wiremock.stubFor(chatPost("a").inScenario("limited").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("open").atPriority(1)
                .willReturn(error(429, "rate_limit_exceeded", "Rate limit reached").withHeader(header, value)));
        for (boolean stream : new boolean[] {true, false}) {
            wiremock.stubFor(bodyMatch(chatPost("a"), stream).inScenario("limited").whenScenarioStateIs("open")
                    .atPriority(2).willReturn(stream ? sse("after the wait") : json("after the wait")));
        }
        router(new FallbackConfig(3, 1, FallbackConfig.DEFAULTS.on()), Duration.ZERO, target("a"), target("b"));

        Result result = run(mode);

        Duration wait = Duration.ofMillis(waitMillis);
        result.assertServed("a/m", "after the wait");
        assertThat(result.attempts()).containsExactly("a/m:rate_limit:429", "a/m:ok:200");
        assertThat(result.attemptList().get(1).waitedBefore()).isEqualTo(wait);
        assertThat(result.took()).isGreaterThanOrEqualTo(wait.minus(TOLERANCE));
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRefusedConnectionFailsOver(Mode mode) {
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a", "http://127.0.0.1:" + refusedPort + "/v1", 0, FAST),
                target("b"));

        Result result = run(mode);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:connection:0", "b/m:ok:200");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aConnectionResetMidResponseBeforeContentFailsOver(Mode mode) throws IOException {
        LoopbackUpstream resetting = raw((socket, out) -> {
            if (mode == Mode.CHAT) {
                write(out, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n"
                        + "{\"id\":\"chatcmpl-1\",\"object\":\"chat.");
            } else {
                write(out, SSE_HEAD);
                LoopbackUpstream.chunk(out, sseEvent(ROLE_DELTA));
            }
            Thread.sleep(50);
            LoopbackUpstream.reset(socket);
        });
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a", resetting.baseUrl("/v1"), 0, FAST), target("b"));

        Result result = run(mode);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:connection:0", "b/m:ok:200");
        assertThat(resetting.accepted()).isEqualTo(1);
    }

    @Test
    void aStreamResetAfterContentEndsWithAnErrorAndNoCompletion() throws IOException {
        LoopbackUpstream resetting = raw((socket, out) -> {
            write(out, SSE_HEAD);
            LoopbackUpstream.chunk(out, sseEvent(ROLE_DELTA));
            LoopbackUpstream.chunk(out, sseEvent(contentDelta("partial ")));
            Thread.sleep(50);
            LoopbackUpstream.reset(socket);
        });
        answer("b", "never used");
        router(NO_RETRIES, Duration.ZERO, target("a", resetting.baseUrl("/v1"), 0, FAST), target("b"));

        Result result = run(Mode.STREAM);

        assertThat(result.completed()).isFalse();
        assertThat(result.text()).isEqualTo("partial ");
        assertThat(result.error().code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        assertThat(result.error().failureKind()).contains(FailureKind.CONNECTION);
        assertThat(result.attempts()).containsExactly("a/m:connection:0");
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    @Test
    void aSlowFirstTokenFailsTheStreamOverToTheSecondTarget() {
        wiremock.stubFor(chatPost("a").willReturn(sse("too late").withFixedDelay(3000)));
        answer("b", "served by b");
        Timeouts slowFirstToken = new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofSeconds(5));
        router(NO_RETRIES, Duration.ZERO, target("a", proxyA.baseUrl("/a/v1"), 0, slowFirstToken), target("b"));

        Result result = run(Mode.STREAM);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:timeout:0", "b/m:ok:200");
        assertThat(result.took()).isLessThan(Duration.ofMillis(2000));
        proxyA.awaitOpenAtMost(0, Duration.ofSeconds(2)); // the timed-out call was reset, not left to finish
    }

    @Test
    void aStreamClosedBeforeDoneBeforeContentFailsOver() {
        wiremock.stubFor(chatPost("a").willReturn(sseBody(sseEvent(ROLE_DELTA))));
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(Mode.STREAM);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:server:0", "b/m:ok:200");
        assertThat(result.attemptList().get(0).message()).contains("ended before it was complete");
    }

    @Test
    void aStreamClosedBeforeDoneAfterContentEndsWithAnErrorAndNoCompletion() {
        wiremock.stubFor(chatPost("a").willReturn(sseBody(sseEvent(ROLE_DELTA) + sseEvent(contentDelta("half an "))
                + sseEvent(contentDelta("answer")))));
        answer("b", "never used");
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(Mode.STREAM);

        assertThat(result.completed()).isFalse();
        assertThat(result.text()).isEqualTo("half an answer");
        assertThat(result.error().code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        assertThat(result.error().failureKind()).contains(FailureKind.SERVER);
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    @Test
    void aMalformedJsonBodyFailsOver() {
        wiremock.stubFor(chatPost("a").willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("{\"id\":\"chatcmpl-1\",\"choices\":[{")));
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(Mode.CHAT);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:server:0", "b/m:ok:200");
    }

    @Test
    void aMalformedSseLineFailsOver() {
        wiremock.stubFor(chatPost("a").willReturn(sseBody("data: {\"id\":\"c1\",\"choices\":[{\"delta\":\n\n"
                + "data: [DONE]\n\n")));
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(Mode.STREAM);

        result.assertServed("b/m", "served by b");
        assertThat(result.attempts()).containsExactly("a/m:server:0", "b/m:ok:200");
        assertThat(result.attemptList().get(0).message()).contains("malformed stream event");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void contextLengthExceededSkipsToATargetWithALargerWindow(Mode mode) {
        stub("a", aResponse().withStatus(400).withHeader("content-type", "application/json").withBody(
                "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens. However, your "
                        + "messages resulted in 9000 tokens.\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}"));
        answer("b", "never used");
        answer("c", "served by the long one");
        router(new FallbackConfig(3, 1, FallbackConfig.DEFAULTS.on()), Duration.ZERO,
                target("a", proxyA.baseUrl("/a/v1"), 8_192, FAST),
                target("b", proxyB.baseUrl("/b/v1"), 8_192, FAST),
                target("c", proxyC.baseUrl("/c/v1"), 128_000, FAST));

        Result result = run(mode);

        result.assertServed("c/m", "served by the long one");
        assertThat(result.attempts()).containsExactly("a/m:context_length:400", "c/m:ok:200");
        wiremock.verify(exactly(1), postRequestedFor(urlEqualTo(path("a"))));
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CHAT, 400, bad_request", "CHAT, 401, auth", "STREAM, 400, bad_request", "STREAM, 401, auth"})
    void badRequestAndAuthArePassedThroughUnretried(Mode mode, int status, String kind) {
        String message = status == 400 ? "Invalid value for 'temperature': must be at most 2."
                : "Incorrect API key provided.";
        stub("a", error(status, status == 400 ? "invalid_value" : "invalid_api_key", message));
        answer("b", "never used");
        router(new FallbackConfig(3, 2, FallbackConfig.DEFAULTS.on()), Duration.ZERO, target("a"), target("b"));

        Result result = run(mode);

        ChatRouterException e = result.error();
        assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
        assertThat(e.upstreamStatus()).isEqualTo(status);
        assertThat(e.getMessage()).isEqualTo(message);
        assertThat(e.failureKind()).contains(FailureKind.fromWireName(kind));
        assertThat(result.attempts()).containsExactly("a/m:" + kind + ":" + status);
        wiremock.verify(exactly(1), postRequestedFor(urlEqualTo(path("a"))));
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void whenEveryTargetFailsTheErrorListsEachAttemptInOrder(Mode mode) {
        stub("a", error(500, "server_error", "a is down"));
        stub("b", error(503, "overloaded", "b is overloaded"));
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"),
                target("c", "http://127.0.0.1:" + refusedPort + "/v1", 0, FAST));

        Result result = run(mode);

        assertThat(result.error().code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        assertThat(result.attempts()).containsExactly("a/m:server:500", "b/m:server:503", "c/m:connection:0");
        assertThat(result.attemptList()).extracting(Attempt::message).startsWith("a is down", "b is overloaded");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aPassedDeadlineIsATimeoutAndResetsTheCallUnderWay(Mode mode) {
        wiremock.stubFor(bodyMatch(chatPost("a"), true).willReturn(sse("too late").withFixedDelay(3000)));
        wiremock.stubFor(bodyMatch(chatPost("a"), false).willReturn(json("too late").withFixedDelay(3000)));
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));

        Result result = run(mode, RequestContext.empty().withDeadline(Instant.now().plusMillis(300)));

        assertThat(result.error().code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(result.took()).isLessThan(Duration.ofMillis(1500));
        assertThat(result.attemptList()).first().satisfies(a -> {
            assertThat(a.target()).isEqualTo("a/m");
            assertThat(a.failure()).isEqualTo(FailureKind.TIMEOUT);
        });
        proxyA.awaitOpenAtMost(0, Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aHedgeWinsOverASlowFirstAttemptAndTheLoserIsCancelled(Mode mode) {
        wiremock.stubFor(bodyMatch(chatPost("a"), true).willReturn(sse("slow").withFixedDelay(3000)));
        wiremock.stubFor(bodyMatch(chatPost("a"), false).willReturn(json("slow").withFixedDelay(3000)));
        answer("b", "the hedge");
        router(NO_RETRIES, Duration.ofMillis(100), target("a"), target("b"), target("c"));

        Result result = run(mode);

        result.assertServed("b/m", "the hedge");
        assertThat(result.took()).isLessThan(Duration.ofMillis(1500));
        assertThat(result.attemptList()).hasSize(2);
        Attempt loser = result.attemptList().get(0);
        assertThat(loser.target()).isEqualTo("a/m");
        assertThat(loser.cancelled()).isTrue();
        assertThat(loser.hedged()).isFalse();
        assertThat(loser.message()).isEqualTo("cancelled: b/m answered first");
        Attempt winner = result.attemptList().get(1);
        assertThat(winner.target()).isEqualTo("b/m");
        assertThat(winner.succeeded()).isTrue();
        assertThat(winner.hedged()).isTrue();
        proxyA.awaitOpenAtMost(0, Duration.ofSeconds(1)); // the loser's call was reset, router still open
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("c"))));
    }

    @Test
    void aTargetCoolsDownIsProbedOnceAndClosesAgain() throws Exception {
        MutableClock clock = new MutableClock(T0);
        StubMapping down = stub("a", error(500, "server_error", "a is down"));
        answer("b", "served by b");
        router(NO_RETRIES, Duration.ZERO, clock, List.of(target("a"), target("b")));

        for (int i = 0; i < 3; i++) {
            assertThat(run(Mode.CHAT).attempts()).containsExactly("a/m:server:500", "b/m:ok:200");
        }
        assertThat(health("a/m")).isEqualTo(new TargetHealth("a/m", TargetHealth.State.COOLING_DOWN, 3,
                T0.plusSeconds(30), Double.NaN, Double.NaN));
        Result skipping = run(Mode.CHAT);
        assertThat(skipping.report().dropped()).containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(skipping.attempts()).containsExactly("b/m:ok:200");
        wiremock.verify(exactly(3), postRequestedFor(urlEqualTo(path("a"))));

        wiremock.removeStub(down);
        wiremock.stubFor(chatPost("a").willReturn(json("a is back").withFixedDelay(300)));
        clock.advance(Duration.ofSeconds(30));
        CompletableFuture<ChatResult> probe = router.chat(hello()).toCompletableFuture();
        long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (health("a/m").state() != TargetHealth.State.PROBING && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(health("a/m").state()).isEqualTo(TargetHealth.State.PROBING);
        Result during = run(Mode.CHAT);
        assertThat(during.report().dropped()).as("others skip the target while it is probed")
                .containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(during.report().target()).isEqualTo("b/m");

        assertThat(probe.get(5, TimeUnit.SECONDS).response().text()).isEqualTo("a is back");
        wiremock.verify(exactly(4), postRequestedFor(urlEqualTo(path("a"))));
        TargetHealth healed = health("a/m");
        assertThat(healed.state()).isEqualTo(TargetHealth.State.HEALTHY);
        assertThat(healed.consecutiveFailures()).isZero();
        assertThat(run(Mode.CHAT).report().target()).isEqualTo("a/m");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theCallersCancellationResetsTheUpstreamCall(Mode mode) throws Exception {
        wiremock.stubFor(bodyMatch(chatPost("a"), true).willReturn(sse("unread").withFixedDelay(3000)));
        wiremock.stubFor(bodyMatch(chatPost("a"), false).willReturn(json("unread").withFixedDelay(3000)));
        router(NO_RETRIES, Duration.ZERO, target("a"), target("b"));
        int before = proxyA.accepted();

        Runnable cancel;
        if (mode == Mode.CHAT) {
            CompletableFuture<ChatResult> future = router.chat(hello()).toCompletableFuture();
            cancel = () -> future.cancel(true);
        } else {
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            router.stream(hello()).subscribe(subscriber);
            cancel = subscriber::cancel;
        }
        long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (proxyA.accepted() == before) {
            assertThat(System.nanoTime()).as("the upstream call started").isLessThan(end);
            Thread.sleep(5);
        }
        Thread.sleep(100); // let the request reach WireMock, which holds the answer for 3 s
        assertThat(proxyA.open()).isEqualTo(1);
        cancel.run();

        proxyA.awaitOpenAtMost(0, Duration.ofSeconds(1));
        wiremock.verify(0, postRequestedFor(urlEqualTo(path("b"))));
    }

    // ---- running a request ----

    private record Result(String text, boolean completed, ChatRouterException error, RoutingReport report,
                          List<Attempt> attemptList, Duration took) {

        /** Each attempt as {@code target:kind:status}, {@code ok} for a success. */
        List<String> attempts() {
            return attemptList.stream().map(a -> a.target() + ":" + (a.failure() == null
                    ? (a.cancelled() ? "cancelled" : "ok") : a.failure().wireName()) + ":" + a.status()).toList();
        }

        void assertServed(String target, String expectedText) {
            assertThat(error).as("the request failed").isNull();
            assertThat(completed).isTrue();
            assertThat(text).isEqualTo(expectedText);
            assertThat(report.target()).isEqualTo(target);
        }

        @Override
        public ChatRouterException error() {
            assertThat(error).as("expected the request to fail").isNotNull();
            return error;
        }
    }

    private Result run(Mode mode) {
        return run(mode, RequestContext.empty());
    }

    private Result run(Mode mode, RequestContext context) {
        long start = System.nanoTime();
        if (mode == Mode.CHAT) {
            try {
                ChatResult result = router.chat(hello(), context).toCompletableFuture().get(10, TimeUnit.SECONDS);
                return new Result(result.response().text(), true, null, result.report(), result.report().attempts(),
                        Duration.ofNanos(System.nanoTime() - start));
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
                ChatRouterException error = (ChatRouterException) e.getCause();
                return new Result(null, false, error, null, error.attempts(),
                        Duration.ofNanos(System.nanoTime() - start));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        ChatStream stream = router.stream(hello(), context);
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(10));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(subscriber.terminalSignals()).isEqualTo(1);
        RoutingReport report = stream.report().toCompletableFuture().join();
        ChatRouterException error = null;
        if (subscriber.error() != null) {
            assertThat(subscriber.error()).isInstanceOf(ChatRouterException.class);
            error = (ChatRouterException) subscriber.error();
        }
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : subscriber.items()) {
            for (var choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
            }
        }
        return new Result(text.toString(), subscriber.completed(), error, report, report.attempts(), took);
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build();
    }

    private TargetHealth health(String target) {
        return router.health().stream().filter(h -> h.target().equals(target)).findFirst().orElseThrow();
    }

    // ---- the router ----

    private record Target(String provider, String baseUrl, int contextWindow, Timeouts timeouts) {
    }

    private static Target target(String provider) {
        LoopbackUpstream proxy = switch (provider) {
            case "a" -> proxyA;
            case "b" -> proxyB;
            default -> proxyC;
        };
        return new Target(provider, proxy.baseUrl("/" + provider + "/v1"), 0, FAST);
    }

    private static Target target(String provider, String baseUrl, int contextWindow, Timeouts timeouts) {
        return new Target(provider, baseUrl, contextWindow, timeouts);
    }

    private void router(FallbackConfig fallback, Duration hedgeAfter, Target... targets) {
        router(fallback, hedgeAfter, Clock.systemUTC(), List.of(targets));
    }

    private void router(FallbackConfig fallback, Duration hedgeAfter, Clock clock, List<Target> targets) {
        ChatRouter.Builder builder = ChatRouter.builder().service(Vertx.class, vertx).clock(clock).cache(NO_STICKY);
        List<String> ids = new ArrayList<>();
        for (Target t : targets) {
            builder.provider(ProviderSpec.builder(t.provider(), "openai").baseUrl(t.baseUrl()).apiKey("sk-test")
                    .timeouts(t.timeouts())
                    .model(new ModelSpec("m", "gpt-test", Price.of(1.0, 2.0), t.contextWindow(), 0,
                            Set.of(Capability.STREAMING)))
                    .build());
            ids.add(t.provider() + "/m");
        }
        router = builder.route(RouteConfig.builder("di")
                        .pool("*", PoolConfig.of("priority", ids.toArray(String[]::new)))
                        .fallback(fallback).hedgeAfter(hedgeAfter).build())
                .build();
    }

    private LoopbackUpstream raw(LoopbackUpstream.Handler handler) throws IOException {
        LoopbackUpstream upstream = LoopbackUpstream.answering(handler);
        rawUpstreams.add(upstream);
        return upstream;
    }

    // ---- upstream answers ----

    private static final String SSE_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + "transfer-encoding: chunked\r\n\r\n";
    private static final String ROLE_DELTA = "{\"role\":\"assistant\",\"content\":\"\"}";

    private static String path(String provider) {
        return "/" + provider + "/v1/chat/completions";
    }

    private static MappingBuilder chatPost(String provider) {
        return post(urlEqualTo(path(provider)));
    }

    /** Narrows a stub to streamed ({@code "stream": true}) or non-streamed requests. */
    private static MappingBuilder bodyMatch(MappingBuilder builder, boolean stream) {
        return stream ? builder.withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
                : builder.withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.not(
                        matchingJsonPath("$.stream")));
    }

    private static StubMapping stub(String provider, ResponseDefinitionBuilder response) {
        return wiremock.stubFor(chatPost(provider).willReturn(response));
    }

    /** Answers {@code text} to both chats and streams. */
    private static void answer(String provider, String text) {
        wiremock.stubFor(bodyMatch(chatPost(provider), true).willReturn(sse(text)));
        wiremock.stubFor(bodyMatch(chatPost(provider), false).willReturn(json(text)));
    }

    private static ResponseDefinitionBuilder error(int status, String code, String message) {
        return aResponse().withStatus(status).withHeader("content-type", "application/json")
                .withBody("{\"error\":{\"message\":\"" + message + "\",\"type\":\"api_error\",\"param\":null,"
                        + "\"code\":\"" + code + "\"}}");
    }

    private static ResponseDefinitionBuilder json(String text) {
        return aResponse().withStatus(200).withHeader("content-type", "application/json").withBody(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-test\","
                        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
                        + "\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}");
    }

    private static ResponseDefinitionBuilder sse(String text) {
        StringBuilder body = new StringBuilder(sseEvent(ROLE_DELTA));
        for (String word : text.split("(?<= )")) {
            body.append(sseEvent(contentDelta(word)));
        }
        body.append(sseEvent("{}", "\"stop\""));
        body.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n");
        body.append("data: [DONE]\n\n");
        return sseBody(body.toString());
    }

    private static ResponseDefinitionBuilder sseBody(String body) {
        return aResponse().withStatus(200).withHeader("content-type", "text/event-stream").withBody(body);
    }

    private static String contentDelta(String text) {
        return "{\"content\":\"" + text + "\"}";
    }

    private static String sseEvent(String delta) {
        return sseEvent(delta, "null");
    }

    private static String sseEvent(String delta, String finishReason) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finishReason + "}]}\n\n";
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
