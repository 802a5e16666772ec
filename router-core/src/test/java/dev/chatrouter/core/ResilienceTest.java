package dev.chatrouter.core;

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
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.delayed;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.rateLimited;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cooldowns, hedging, deadlines and cancellation through the router, with the scripted plugin (which ignores
 * deadlines, so the router's own bounds are what is tested).
 */
class ResilienceTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    /** Sticky prefixes off: each request takes the planned order, whoever served the same prompt last. */
    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));
    private static final FallbackConfig NO_RETRIES = new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on());

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(T0);
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter router(FallbackConfig fallback, Duration hedgeAfter, Clock clock) {
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 0, 0, EnumSet.allOf(Capability.class));
        router = ChatRouter.builder()
                .providerFactory(scripted)
                .clock(clock)
                .cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .provider(ProviderSpec.builder("c", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m", "c/m"))
                        .fallback(fallback).hedgeAfter(hedgeAfter).build())
                .route(RouteConfig.builder("solo").pool("*", PoolConfig.of("priority", "a/m"))
                        .fallback(fallback).build())
                .build();
        return router;
    }

    private static ChatRequest hello(String model) {
        return ChatRequest.builder().model(model).addMessage(Message.user("Hello")).build();
    }

    private ChatResult chat(String model) throws Exception {
        return router.chat(hello(model)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private TargetHealth health(String target) {
        return router.health().stream().filter(h -> h.target().equals(target)).findFirst().orElseThrow();
    }

    private static ChatRouterException failure(Supplier<CompletableFuture<?>> call) {
        try {
            call.get().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
            return (ChatRouterException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the request succeeded");
    }

    // ---- cooldown ----

    @Test
    void healthListsEveryTargetInConfigurationOrderAndStartsHealthyAndUnmeasured() {
        router(NO_RETRIES, Duration.ZERO, clock);
        assertThat(router.health()).extracting(TargetHealth::target).containsExactly("a/m", "b/m", "c/m");
        assertThat(router.health()).allSatisfy(h -> {
            assertThat(h.state()).isEqualTo(TargetHealth.State.HEALTHY);
            assertThat(h.latencyMillis()).isNaN();
        });
    }

    @Test
    void aTargetFailingThreeTimesCoolsDownIsProbedOnceAndClosesOnSuccess() throws Exception {
        router(NO_RETRIES, Duration.ZERO, clock);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.TIMEOUT), fail(FailureKind.CONNECTION));
        for (int i = 0; i < 3; i++) {
            assertThat(chat("di").report().target()).isEqualTo("b/m");
        }
        assertThat(health("a/m")).isEqualTo(new TargetHealth("a/m", TargetHealth.State.COOLING_DOWN, 3,
                T0.plusSeconds(30), Double.NaN, Double.NaN));

        RoutingReport skipped = chat("di").report();
        assertThat(skipped.dropped()).containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(skipped.candidates()).containsExactly("b/m", "c/m");
        assertThat(scripted.calls("a")).hasSize(3);

        clock.advance(Duration.ofSeconds(30));
        scripted.script("a", delayed(Duration.ofMillis(300), reply("a is back")));
        CompletableFuture<ChatResult> probe = router.chat(hello("di")).toCompletableFuture();
        awaitCalls("a", 4);
        assertThat(health("a/m").state()).isEqualTo(TargetHealth.State.PROBING);
        RoutingReport during = chat("di").report();
        assertThat(during.dropped()).as("a concurrent request skips the probed target")
                .containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(during.target()).isEqualTo("b/m");

        assertThat(probe.get(5, TimeUnit.SECONDS).response().text()).isEqualTo("a is back");
        assertThat(scripted.calls("a")).as("exactly one probe").hasSize(4);
        TargetHealth healed = health("a/m");
        assertThat(healed.state()).isEqualTo(TargetHealth.State.HEALTHY);
        assertThat(healed.consecutiveFailures()).isZero();
        assertThat(healed.coolingUntil()).isNull();
        assertThat(chat("di").report().target()).isEqualTo("a/m");
    }

    @Test
    void aFailedProbeCoolsTheTargetDownForTwiceAsLong() throws Exception {
        router(NO_RETRIES, Duration.ZERO, clock);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER),
                fail(FailureKind.RATE_LIMIT));
        for (int i = 0; i < 3; i++) {
            chat("di");
        }
        clock.advance(Duration.ofSeconds(30));
        RoutingReport probe = chat("di").report();
        assertThat(probe.attempts()).extracting(Attempt::target).containsExactly("a/m", "b/m");
        assertThat(health("a/m").coolingUntil()).isEqualTo(clock.instant().plusSeconds(60));
        assertThat(health("a/m").consecutiveFailures()).isEqualTo(4);
    }

    @Test
    void streamFailuresCountTowardsTheCooldownToo() {
        router(NO_RETRIES, Duration.ZERO, clock);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < 3; i++) {
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            router.stream(hello("di")).subscribe(subscriber);
            subscriber.awaitDone(WAIT);
            assertThat(subscriber.completed()).isTrue();
        }
        assertThat(health("a/m").state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        ChatStream stream = router.stream(hello("di"));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(stream.report().toCompletableFuture().join().dropped())
                .containsExactly(new DroppedTarget("a/m", "cooling_down"));
    }

    @Test
    void aRetryOnATargetThatJustCooledDownMovesOnToTheNextTarget() throws Exception {
        router(new FallbackConfig(5, 3, FallbackConfig.DEFAULTS.on()), Duration.ZERO, clock);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        RoutingReport report = chat("di").report();
        assertThat(report.attempts()).extracting(Attempt::target).containsExactly("a/m", "a/m", "a/m", "b/m");
        assertThat(report.dropped()).containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(report.target()).isEqualTo("b/m");
    }

    @Test
    void whenEveryTargetIsCoolingDownTheAnswerIsNoTargetAvailable() throws Exception {
        router(NO_RETRIES, Duration.ZERO, clock);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < 3; i++) {
            failure(() -> router.chat(hello("solo")).toCompletableFuture());
        }
        ChatRouterException e = failure(() -> router.chat(hello("solo")).toCompletableFuture());
        assertThat(e.code()).isEqualTo(ErrorCode.NO_TARGET_AVAILABLE);
        assertThat(e.metadata()).containsEntry("dropped", java.util.Map.of("a/m", "cooling_down"));
    }

    @Test
    void timeoutsCausedByTheCallersOwnDeadlineDoNotCoolTheTargetDown() {
        router(NO_RETRIES, Duration.ZERO, Clock.systemUTC());
        for (int i = 0; i < 3; i++) {
            scripted.script("a", delayed(Duration.ofSeconds(5), reply("late")));
            RequestContext tight = RequestContext.empty().withDeadline(Instant.now().plusMillis(50));
            ChatRouterException e = failure(() -> router.chat(hello("solo"), tight).toCompletableFuture());
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        }
        assertThat(health("a/m").state()).isEqualTo(TargetHealth.State.HEALTHY);
        assertThat(health("a/m").consecutiveFailures()).isZero();
    }

    // ---- hedging ----

    @Test
    void aChatHedgeStartsWhenTheFirstAttemptIsSlowAndTheFirstAnswerWins() throws Exception {
        router(NO_RETRIES, Duration.ofMillis(50), Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(3), reply("slow")));
        scripted.script("b", reply("fast"));
        long start = System.nanoTime();
        ChatResult result = chat("di");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(result.response().text()).isEqualTo("fast");
        RoutingReport report = result.report();
        assertThat(report.target()).isEqualTo("b/m");
        assertThat(report.attempts()).hasSize(2);
        Attempt loser = report.attempts().get(0);
        Attempt winner = report.attempts().get(1);
        assertThat(loser.target()).isEqualTo("a/m");
        assertThat(loser.cancelled()).isTrue();
        assertThat(loser.hedged()).isFalse();
        assertThat(loser.message()).isEqualTo("cancelled: b/m answered first");
        assertThat(winner.target()).isEqualTo("b/m");
        assertThat(winner.succeeded()).isTrue();
        assertThat(winner.hedged()).isTrue();
        assertThat(scripted.cancellations("a")).as("the loser's call was cancelled").isEqualTo(1);
        assertThat(scripted.calls("c")).isEmpty();
    }

    @Test
    void noHedgeStartsWhenTheFirstAttemptAnswersInTime() throws Exception {
        router(NO_RETRIES, Duration.ofMillis(300), Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofMillis(20), reply("in time")));
        ChatResult result = chat("di");
        assertThat(result.response().text()).isEqualTo("in time");
        Thread.sleep(400); // past the hedge delay: the spent timer must not start anything
        assertThat(scripted.calls("b")).isEmpty();
        assertThat(result.report().attempts()).singleElement().satisfies(a -> assertThat(a.hedged()).isFalse());
    }

    @Test
    void whenTheFirstAttemptFailsWhileTheHedgeRunsTheHedgeStillAnswers() throws Exception {
        router(NO_RETRIES, Duration.ofMillis(50), Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofMillis(150), fail(FailureKind.SERVER)));
        scripted.script("b", delayed(Duration.ofMillis(400), reply("hedge")));
        ChatResult result = chat("di");
        assertThat(result.response().text()).isEqualTo("hedge");
        assertThat(result.report().attempts()).extracting(a -> a.target() + ":" + a.failureKind()
                .map(FailureKind::wireName).orElse("ok") + ":" + a.hedged())
                .containsExactly("a/m:server:false", "b/m:ok:true");
        assertThat(scripted.calls("c")).isEmpty();
    }

    @Test
    void aStreamHedgeWinsWithTheFirstContentAndTheLoserIsCancelled() {
        router(NO_RETRIES, Duration.ofMillis(50), Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(3), reply("slow")));
        scripted.script("b", reply("fast answer"));
        ChatStream stream = router.stream(hello("di"));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(2));
        assertThat(subscriber.completed()).isTrue();
        assertThat(text(subscriber.items())).isEqualTo("fast answer");
        RoutingReport report = stream.report().toCompletableFuture().join();
        assertThat(report.target()).isEqualTo("b/m");
        assertThat(report.attempts()).extracting(a -> a.target() + ":" + (a.cancelled() ? "cancelled"
                : a.succeeded() ? "ok" : "failed") + ":" + a.hedged())
                .containsExactly("a/m:cancelled:false", "b/m:ok:true");
        assertThat(scripted.cancellations("a")).isEqualTo(1);
    }

    // ---- deadlines and cancellation ----

    @Test
    void theDeadlineBoundsAChatEvenWhenTheProviderIgnoresIt() {
        router(NO_RETRIES, Duration.ZERO, Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(5), reply("late")));
        RequestContext context = RequestContext.empty().withDeadline(Instant.now().plusMillis(200));
        long start = System.nanoTime();
        ChatRouterException e = failure(() -> router.chat(hello("solo"), context).toCompletableFuture());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.attempts()).singleElement().satisfies(a -> assertThat(a.failure()).isEqualTo(FailureKind.TIMEOUT));
        assertThat(scripted.cancellations("a")).isEqualTo(1);
    }

    @Test
    void theDeadlineBoundsAStream() {
        router(NO_RETRIES, Duration.ZERO, Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(5), reply("late")));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(hello("solo"), RequestContext.empty().withDeadline(Instant.now().plusMillis(200)))
                .subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(2));
        assertThat(subscriber.completed()).isFalse();
        assertThat(subscriber.error()).isInstanceOfSatisfying(ChatRouterException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(scripted.cancellations("a")).isEqualTo(1);
    }

    @Test
    void aRetryDelayThatWouldPassTheDeadlineEndsWithTimeoutAtOnce() {
        router(new FallbackConfig(3, 2, FallbackConfig.DEFAULTS.on()), Duration.ZERO, Clock.systemUTC());
        scripted.script("a", rateLimited(Duration.ofSeconds(10)));
        RequestContext context = RequestContext.empty().withDeadline(Instant.now().plusSeconds(2));
        long start = System.nanoTime();
        ChatRouterException e = failure(() -> router.chat(hello("solo"), context).toCompletableFuture());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.failureKind()).contains(FailureKind.RATE_LIMIT);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(10));
        assertThat(e.getMessage()).contains("would pass the request's deadline");
        assertThat(scripted.calls("a")).hasSize(1);
    }

    @Test
    void aRetryDelayThatWouldPassTheDeadlineMovesOnWhenAnotherTargetIsLeft() throws Exception {
        router(new FallbackConfig(3, 2, FallbackConfig.DEFAULTS.on()), Duration.ZERO, Clock.systemUTC());
        scripted.script("a", rateLimited(Duration.ofSeconds(10)));
        ChatResult result = router.chat(hello("di"), RequestContext.empty()
                .withDeadline(Instant.now().plusSeconds(2))).toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.report().attempts().get(1).waitedBefore()).isZero();
    }

    @Test
    void cancellingTheChatFutureCancelsTheUpstreamCall() throws Exception {
        router(NO_RETRIES, Duration.ZERO, Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(5), reply("never read")));
        CompletableFuture<ChatResult> future = router.chat(hello("solo")).toCompletableFuture();
        awaitCalls("a", 1);
        future.cancel(true);
        assertThatThrownBy(future::join).isInstanceOf(CancellationException.class);
        awaitCancellations("a", 1);
    }

    @Test
    void cancellingTheStreamSubscriptionCancelsTheUpstreamCall() {
        router(NO_RETRIES, Duration.ZERO, Clock.systemUTC());
        scripted.script("a", delayed(Duration.ofSeconds(5), reply("never read")));
        ChatStream stream = router.stream(hello("solo"));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        awaitCalls("a", 1);
        subscriber.cancel();
        awaitCancellations("a", 1);
        RoutingReport report = stream.report().toCompletableFuture().join();
        assertThat(report.attempts()).singleElement().satisfies(a -> {
            assertThat(a.cancelled()).isTrue();
            assertThat(a.message()).isEqualTo("cancelled by the caller");
        });
        assertThat(subscriber.terminalSignals()).isZero();
    }

    private void awaitCalls(String provider, int count) {
        awaitTrue(() -> scripted.calls(provider).size() >= count, provider + " got " + count + " call(s)");
    }

    private void awaitCancellations(String provider, int count) {
        awaitTrue(() -> scripted.cancellations(provider) >= count, provider + " saw " + count + " cancellation(s)");
    }

    private static void awaitTrue(Supplier<Boolean> condition, String what) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The text a stream's chunks carry. */
    private static String text(List<ChatChunk> chunks) {
        StringBuilder sb = new StringBuilder();
        for (ChatChunk c : chunks) {
            for (var choice : c.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    sb.append(choice.delta().content());
                }
            }
        }
        return sb.toString();
    }
}
