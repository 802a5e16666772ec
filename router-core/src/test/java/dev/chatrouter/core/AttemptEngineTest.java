package dev.chatrouter.core;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.delayed;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.rateLimited;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.reply;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attempt engine through the router: what a stream reports when it starts, how hedges are settled and
 * admitted, how long a retry may wait, and how errors are answered (with the request's id and type).
 */
class AttemptEngineTest {

    private static final Price PRICE = Price.of(1.0, 2.0);
    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));
    private static final FallbackConfig NO_RETRIES = new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on());
    /** 10 input tokens at $1/M and 5 output at $2/M: what a scripted answer costs. */
    private static final double ANSWER_USD = 20e-6;

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter.Builder builder(FallbackConfig fallback, Duration hedgeAfter) {
        ModelSpec model = new ModelSpec("m", null, PRICE, 100_000, 1_000, EnumSet.allOf(Capability.class));
        return ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(fallback).hedgeAfter(hedgeAfter).build());
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build();
    }

    private ChatResult chat(RequestContext context) throws Exception {
        return router.chat(hello(), context).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private ChatRouterException failure(RequestContext context) throws Exception {
        try {
            chat(context);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
            return (ChatRouterException) e.getCause();
        }
        throw new AssertionError("the request succeeded");
    }

    private BudgetStatus global() {
        return router.spend().stream().filter(s -> s.scope().equals("global")).findFirst().orElseThrow();
    }

    /** The most a scripted attempt may cost: twice the estimated input and the requested output. */
    private static double worstUsd() {
        long input = RequestShape.of(hello()).estimatedInputTokens() * 2;
        return (input * PRICE.input() + 5 * PRICE.output()) / 1e6;
    }

    // ---- what a stream reports when its first content is sent ----

    /** Proves a stream's started report, read when the first chunk is sent, counts the winner and its first token. */
    @Test
    void aStreamsStartedReportCountsTheWinningAttemptWithItsFirstToken() throws Exception {
        // given a target that streams an answer after a moment
        router = builder(NO_RETRIES, Duration.ZERO).build();
        scripted.script("a", delayed(Duration.ofMillis(20), reply("an answer")));
        // when the stream runs and the started report is read as the first chunk arrives (as headers are written)
        ChatStream stream = router.stream(hello());
        CompletableFuture<RoutingReport> atFirstChunk = new CompletableFuture<>();
        stream.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ChatChunk item) {
                atFirstChunk.complete(stream.started().toCompletableFuture().getNow(null));
            }

            @Override
            public void onError(Throwable throwable) {
                atFirstChunk.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
            }
        });
        RoutingReport started = atFirstChunk.get(5, TimeUnit.SECONDS);
        // then it names the one attempt, with the upstream's wait for the first token
        assertThat(started).isNotNull();
        assertThat(started.target()).isEqualTo("a/m");
        assertThat(started.attempts()).singleElement().satisfies(a -> {
            assertThat(a.target()).isEqualTo("a/m");
            assertThat(a.failure()).isNull();
            assertThat(a.firstToken()).isNotNull();
        });
        assertThat(stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS).attempts()).hasSize(1);
    }

    // ---- hedges: settlement and admission ----

    /** Proves a hedge loser cancelled mid-call is still charged (its counted tokens), and nothing stays reserved. */
    @Test
    void aCancelledChatHedgeLoserIsChargedAnEstimateNeverZero() throws Exception {
        // given a slow first target and a fast hedge, under a global budget that records spend
        router = builder(NO_RETRIES, Duration.ofMillis(50)).budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .build();
        scripted.script("a", delayed(Duration.ofSeconds(3), reply("slow")));
        scripted.script("b", reply("fast"));
        // when the hedge answers first
        ChatResult result = chat(RequestContext.empty());
        // then the loser's cost is recorded beside the winner's
        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.report().costUsd()).isEqualTo(ANSWER_USD, org.assertj.core.data.Offset.offset(1e-12));
        BudgetStatus global = global();
        assertThat(global.spentUsd()).isGreaterThan(ANSWER_USD + 1e-9);
        assertThat(global.reservedUsd()).isZero();
    }

    /**
     * Proves a hedge loser's time without an answer counts in its latency: a target that always loses its hedges
     * is measured slow, not left unmeasured (and first in the {@code latency} policy's order for ever).
     */
    @Test
    void aHedgeLosersWaitCountsInItsLatency() throws Exception {
        // given a slow first target and a fast hedge started after 50 ms
        router = builder(NO_RETRIES, Duration.ofMillis(50)).build();
        scripted.script("a", delayed(Duration.ofSeconds(3), reply("slow")));
        scripted.script("b", reply("fast"));
        // when the hedge answers first
        assertThat(chat(RequestContext.empty()).report().target()).isEqualTo("b/m");
        // then the loser is measured at least as slow as the time it ran, and slower than the winner
        Map<String, Double> latency = new java.util.HashMap<>();
        router.health().forEach(h -> latency.put(h.target(), h.latencyMillis()));
        assertThat(latency.get("a/m")).isGreaterThanOrEqualTo(49.0).isGreaterThan(latency.get("b/m"));
    }

    /**
     * Proves a stream is measured by its time to first token and a whole answer by its total time, each in its own
     * average: the {@code latency} policy orders streams by the one and whole answers by the other.
     */
    @Test
    void aStreamIsMeasuredApartFromWholeAnswers() throws Exception {
        // given a target never measured
        router = builder(NO_RETRIES, Duration.ZERO).build();
        scripted.script("a", reply("streamed"));
        // when it streams an answer
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        // then its time to first token is measured, and its whole-answer time is not
        assertThat(targetHealth("a/m").firstTokenMillis()).isNotNaN();
        assertThat(targetHealth("a/m").latencyMillis()).isNaN();
        // and a whole answer then measures the other
        scripted.script("a", reply("whole"));
        chat(RequestContext.empty());
        assertThat(targetHealth("a/m").latencyMillis()).isNotNaN();
    }

    private TargetHealth targetHealth(String target) {
        return router.health().stream().filter(h -> h.target().equals(target)).findFirst().orElseThrow();
    }

    /** Proves a stream hedge loser cancelled before its first content is still charged, never zero. */
    @Test
    void aCancelledStreamHedgeLoserIsChargedAnEstimateNeverZero() {
        // given a slow first target and a fast hedge, under a global budget
        router = builder(NO_RETRIES, Duration.ofMillis(50)).budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .build();
        scripted.script("a", delayed(Duration.ofSeconds(3), reply("slow")));
        scripted.script("b", reply("fast answer"));
        // when the hedge streams first
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        RoutingReport report = stream.report().toCompletableFuture().join();
        // then both attempts are recorded on the budget
        assertThat(report.target()).isEqualTo("b/m");
        BudgetStatus global = global();
        assertThat(global.spentUsd()).isGreaterThan(ANSWER_USD + 1e-9);
        assertThat(global.reservedUsd()).isZero();
    }

    /** Proves a hedge whose reservation the budget refuses is skipped, and the first attempt still answers. */
    @Test
    void aRefusedHedgeReservationOnlySkipsTheHedge() throws Exception {
        // given a key budget with room for one attempt's worst case but not two
        router = builder(NO_RETRIES, Duration.ofMillis(50))
                .budget(BudgetConfig.usd("key:team", Window.DAY, worstUsd() * 1.5)).build();
        scripted.script("a", delayed(Duration.ofMillis(300), reply("first")));
        // when the hedge timer fires while the first attempt runs
        ChatResult result = chat(RequestContext.empty().withKey("team"));
        // then the first attempt answers and the hedge is reported as skipped
        assertThat(result.response().text()).isEqualTo("first");
        assertThat(result.report().target()).isEqualTo("a/m");
        assertThat(result.report().attempts()).singleElement().satisfies(a -> assertThat(a.succeeded()).isTrue());
        assertThat(result.report().dropped()).anySatisfy(d -> {
            assertThat(d.target()).isEqualTo("b/m");
            assertThat(d.reason()).isEqualTo("spend_limit_exceeded");
        });
        assertThat(scripted.calls("b")).isEmpty();
    }

    /**
     * Proves a hedge whose admission comes back after the first attempt has shown content is never started: the
     * client gets the first attempt's text alone, and the hedge's hold is given back. (A store that answers later,
     * such as Redis, lets the first attempt win while the hedge's reservation is on its way.)
     */
    @Test
    void aHedgeAdmittedAfterTheFirstAttemptWonIsNotStarted() throws Exception {
        // given a store whose second reservation (the hedge's) waits for a gate, and a first target that answers
        // after the hedge timer fired with more words than the stream takes ahead of its subscriber
        GatedStore store = new GatedStore(dev.chatrouter.core.store.AccountingStores.inMemory(
                java.time.Clock.systemUTC()));
        router = builder(NO_RETRIES, Duration.ofMillis(50)).accountingStore(store)
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        String words = "word ".repeat(40).strip();
        scripted.script("a", delayed(Duration.ofMillis(300), reply(words)));
        scripted.script("b", reply("the hedge's answer"));
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = new TestSubscriber<>(1);
        stream.subscribe(subscriber);
        // when the hedge asks for its reservation, then the first attempt shows content, then the store answers
        assertThat(store.reserves.await(5, TimeUnit.SECONDS)).as("the hedge asked for its reservation").isTrue();
        subscriber.awaitItems(1, Duration.ofSeconds(5));
        store.gate.complete(null);
        assertThat(store.released.await(5, TimeUnit.SECONDS)).as("the hedge's hold was given back").isTrue();
        subscriber.request(Long.MAX_VALUE);
        subscriber.awaitDone(Duration.ofSeconds(5));
        // then the stream is the first attempt's alone, and nothing stays reserved
        assertThat(subscriber.error()).isNull();
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : subscriber.items()) {
            for (var choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
            }
        }
        assertThat(text.toString()).isEqualTo(words);
        assertThat(scripted.calls("b")).isEmpty();
        assertThat(stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS).target()).isEqualTo("a/m");
        assertThat(global().reservedUsd()).isZero();
    }

    /**
     * Proves the first attempt failing while the hedge's reservation is on its way leaves the request to the hedge:
     * it is the fallback, and the request does not fail for want of another candidate.
     */
    @Test
    void aFirstAttemptThatFailsWhileTheHedgeIsBeingAdmittedFallsBackToTheHedge() throws Exception {
        // given two targets, a store whose second reservation (the hedge's) waits for a gate, and a first target
        // that fails after the hedge timer fired
        GatedStore store = new GatedStore(dev.chatrouter.core.store.AccountingStores.inMemory(
                java.time.Clock.systemUTC()));
        java.util.concurrent.CountDownLatch firstFailed = failingFirstBesideAGatedHedge(store);
        scripted.script("b", reply("the hedge's answer"));
        CompletableFuture<ChatResult> call = router.chat(hello()).toCompletableFuture();
        // when the hedge asks for its reservation, the first attempt fails, and then the store answers
        assertThat(store.reserves.await(5, TimeUnit.SECONDS)).as("the hedge asked for its reservation").isTrue();
        assertThat(firstFailed.await(5, TimeUnit.SECONDS)).as("the first attempt failed").isTrue();
        store.gate.complete(null);
        // then the hedge answers the request
        ChatResult result = call.get(5, TimeUnit.SECONDS);
        assertThat(result.response().text()).isEqualTo("the hedge's answer");
        assertThat(result.report().attempts()).extracting(Attempt::target).containsExactly("a/m", "b/m");
        assertThat(global().reservedUsd()).isZero();
    }

    /**
     * Proves the first attempt failing while the hedge's reservation is on its way, and the hedge then refused,
     * fails the request with the first attempt's failure: not with "no target available", which hid what went wrong.
     */
    @Test
    void aFirstFailureWhileTheHedgeIsAdmittedAndThenRefusedIsTheRequestsFailure() throws Exception {
        // given a store whose second reservation (the hedge's) waits for a gate and is then refused by the global
        // budget (another router spent it meanwhile), and a first target that fails after the hedge timer fired
        GatedStore store = new GatedStore(dev.chatrouter.core.store.AccountingStores.inMemory(
                java.time.Clock.systemUTC()), true);
        java.util.concurrent.CountDownLatch firstFailed = failingFirstBesideAGatedHedge(store);
        scripted.script("b", reply("not reached"));
        CompletableFuture<ChatResult> call = router.chat(hello()).toCompletableFuture();
        // when the hedge asks for its reservation, the first attempt fails, and then the store refuses the hedge
        assertThat(store.reserves.await(5, TimeUnit.SECONDS)).as("the hedge asked for its reservation").isTrue();
        assertThat(firstFailed.await(5, TimeUnit.SECONDS)).as("the first attempt failed").isTrue();
        store.gate.complete(null);
        // then the request fails with the first attempt's upstream failure, the hedge reported as dropped
        ExecutionException e = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                () -> call.get(5, TimeUnit.SECONDS));
        assertThat(e).isNotNull();
        ChatRouterException error = (ChatRouterException) e.getCause();
        assertThat(error.code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        assertThat(error.failureKind()).contains(FailureKind.SERVER);
        assertThat(error.attempts()).extracting(Attempt::target).containsExactly("a/m");
        assertThat(scripted.calls("b")).isEmpty();
        assertThat(router.spend()).allSatisfy(status -> assertThat(status.reservedUsd()).isZero());
    }

    /**
     * Proves a hedge the budget refused beside the first attempt is still the fallback once that attempt fails and
     * gives its hold back: the sequence does not pass over it.
     */
    @Test
    void aHedgeRefusedBesideTheFirstAttemptIsStillItsFallback() throws Exception {
        // given a key budget with room for one attempt's worst case but not two, and a first target that fails
        // after the hedge timer fired
        router = builder(NO_RETRIES, Duration.ofMillis(50))
                .budget(BudgetConfig.usd("key:team", Window.DAY, worstUsd() * 1.5)).build();
        scripted.script("a", delayed(Duration.ofMillis(200),
                dev.chatrouter.core.testing.ScriptedProviderFactory.fail(FailureKind.SERVER)));
        scripted.script("b", reply("second"));
        // when the request is made
        ChatResult result = chat(RequestContext.empty().withKey("team"));
        // then the refused hedge's target answers as the fallback
        assertThat(result.response().text()).isEqualTo("second");
        assertThat(result.report().attempts()).extracting(Attempt::target).containsExactly("a/m", "b/m");
    }

    /**
     * A router on {@code store} under a global budget, hedging after 50 ms, whose first target fails after 200 ms;
     * the latch is counted down when that failure is recorded.
     */
    private java.util.concurrent.CountDownLatch failingFirstBesideAGatedHedge(GatedStore store) {
        java.util.concurrent.CountDownLatch firstFailed = new java.util.concurrent.CountDownLatch(1);
        router = builder(NO_RETRIES, Duration.ofMillis(50)).accountingStore(store)
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .listener(new dev.chatrouter.api.event.RouterListener() {
                    @Override
                    public void onAttemptFinished(dev.chatrouter.api.event.AttemptFinished event) {
                        if (event.target().equals("a/m")) {
                            firstFailed.countDown();
                        }
                    }
                }).build();
        scripted.script("a", delayed(Duration.ofMillis(200),
                dev.chatrouter.core.testing.ScriptedProviderFactory.fail(FailureKind.SERVER)));
        return firstFailed;
    }

    /** The in-memory store, but its second reservation waits for {@link #gate}. */
    static final class GatedStore extends dev.chatrouter.core.testing.ForwardingAccountingStore {
        private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        final CompletableFuture<Void> gate = new CompletableFuture<>();
        /** Counted down when the second reservation is asked for. */
        final java.util.concurrent.CountDownLatch reserves = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

        private final boolean refuseSecond;

        GatedStore(dev.chatrouter.api.spi.AccountingStore inner) {
            this(inner, false);
        }

        /** With {@code refuseSecond}, the second reservation is refused by its first counter once the gate opens. */
        GatedStore(dev.chatrouter.api.spi.AccountingStore inner, boolean refuseSecond) {
            super(inner);
            this.refuseSecond = refuseSecond;
        }

        @Override
        public java.util.concurrent.CompletionStage<Reservation> reserve(java.util.List<Charge> charges,
                                                                          Duration lease) {
            if (count.incrementAndGet() != 2) {
                return inner.reserve(charges, lease);
            }
            reserves.countDown();
            if (refuseSecond) {
                Charge first = charges.get(0);
                return gate.thenApply(v -> new Reservation.Refused(first.key(), first.amount(), first.limit(), 0,
                        first.limit()));
            }
            return gate.thenCompose(v -> inner.reserve(charges, lease));
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> release(String reservationId) {
            return inner.release(reservationId).thenRun(released::countDown);
        }
    }

    // ---- how long a retry may wait ----

    /** Proves a Retry-After beyond fallback.max_retry_wait fails over at once instead of holding the request. */
    @Test
    void aRetryAfterLongerThanTheMaxRetryWaitFailsOverInsteadOfWaiting() throws Exception {
        // given a first target that asks for two minutes, a request with no deadline, and retries allowed
        router = builder(FallbackConfig.DEFAULTS, Duration.ZERO).build();
        scripted.script("a", rateLimited(Duration.ofSeconds(120)));
        // when the request is made
        long start = System.nanoTime();
        ChatResult result = chat(RequestContext.empty());
        // then the next target answers without waiting
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.report().attempts()).extracting(Attempt::target).containsExactly("a/m", "b/m");
        assertThat(scripted.calls("a")).hasSize(1);
    }

    /** Proves a Retry-After within fallback.max_retry_wait is still honoured on the same target. */
    @Test
    void aRetryAfterWithinTheMaxRetryWaitIsHonouredOnTheSameTarget() throws Exception {
        // given a first target that asks for 50 ms
        router = builder(FallbackConfig.DEFAULTS, Duration.ZERO).build();
        scripted.script("a", rateLimited(Duration.ofMillis(50)));
        // when the request is made
        ChatResult result = chat(RequestContext.empty());
        // then the same target is retried after the wait
        assertThat(result.report().attempts()).extracting(Attempt::target).containsExactly("a/m", "a/m");
        assertThat(result.report().attempts().get(1).waitedBefore()).isEqualTo(Duration.ofMillis(50));
    }

    // ---- errors ----

    /** Proves a classifier plugin that throws gives a clear internal_error with the request id, never a throw. */
    @Test
    void anExceptionDuringPreparationIsAnInternalErrorCarryingTheRequestId() throws Exception {
        // given a classifier plugin with a bug
        router = builder(NO_RETRIES, Duration.ZERO).classifier(builtIn -> (request, input) -> {
            throw new IllegalStateException("classifier bug");
        }).build();
        RequestContext context = RequestContext.empty().withRequestId("req-bug-1");
        // when a chat and a stream are made
        ChatRouterException chat = failure(context);
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(hello(), context).subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        // then both fail as internal errors naming the request, and the bug is kept as the cause
        assertThat(chat.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(chat.requestId()).contains("req-bug-1");
        assertThat(chat.getCause()).hasMessage("classifier bug");
        assertThat(subscriber.error()).isInstanceOfSatisfying(ChatRouterException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
            assertThat(e.requestId()).contains("req-bug-1");
        });
    }

    /** Proves a failed dispatch names the request's id and type, so it can be found in the logs. */
    @Test
    void aFailedRequestCarriesItsIdAndType() throws Exception {
        // given every target failing with a server error
        router = builder(NO_RETRIES, Duration.ZERO).build();
        scripted.script("a", ScriptedProviderFactory.fail(FailureKind.SERVER));
        scripted.script("b", ScriptedProviderFactory.fail(FailureKind.SERVER));
        // when the request is made
        ChatRouterException e = failure(RequestContext.empty().withRequestId("req-failed-1"));
        // then the error says which request it was and what type it had
        assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
        assertThat(e.requestId()).contains("req-failed-1");
        assertThat(e.requestType()).isPresent().get().isInstanceOf(RequestType.class);
    }

    /** Proves an error found before dispatch (no route) still names the request id. */
    @Test
    void anErrorBeforeDispatchCarriesTheRequestId() throws Exception {
        // given a router with no route for the model
        router = builder(NO_RETRIES, Duration.ZERO).build();
        // when a request names an unknown model
        try {
            router.chat(ChatRequest.builder().model("nope").addMessage(Message.user("Hi")).build(),
                    RequestContext.empty().withRequestId("req-404")).toCompletableFuture().get(5, TimeUnit.SECONDS);
            throw new AssertionError("the request succeeded");
        } catch (ExecutionException e) {
            // then it is model_not_found, with the id
            ChatRouterException error = (ChatRouterException) e.getCause();
            assertThat(error.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
            assertThat(error.requestId()).contains("req-404");
        }
    }

    /** Proves a bug during dispatch (here a subscriber that throws) ends the request as internal_error, held nothing. */
    @Test
    void aBugDuringDispatchEndsTheRequestAsAnInternalErrorAndLetsGoOfItsClaims() throws Exception {
        // given a budget that records reservations, and a subscriber whose onNext throws
        router = builder(NO_RETRIES, Duration.ZERO).budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        scripted.script("a", delayed(Duration.ofMillis(20), reply("an answer")));
        ChatStream stream = router.stream(hello(), RequestContext.empty().withRequestId("req-crash"));
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        stream.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ChatChunk item) {
                throw new IllegalStateException("subscriber bug");
            }

            @Override
            public void onError(Throwable throwable) {
                error.complete(throwable);
            }

            @Override
            public void onComplete() {
                error.complete(null);
            }
        });
        // when the first chunk reaches it
        Throwable failure = error.get(5, TimeUnit.SECONDS);
        // then the stream fails as an internal error naming the request, and no reservation is left behind
        assertThat(failure).isInstanceOfSatisfying(ChatRouterException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
            assertThat(e.requestId()).contains("req-crash");
        });
        assertThat(global().reservedUsd()).isZero();
    }
}
