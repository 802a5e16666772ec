package dev.chatrouter.core.budget;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.streamThenFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Budgets and rate limits through ChatRouter: exact under concurrency, windows, soft limits, provider budgets. */
class BudgetEnforcementTest {

    private static final Price PRICE = new Price(1.0, 2.0, 1.0, 1.0);
    private static final double PER_REQUEST = 20e-6; // 10 input at $1/M + 5 output at $2/M (the scripted usage)
    private static final Instant START = Instant.parse("2026-03-31T23:59:00Z");

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(START);
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter.Builder builder() {
        ModelSpec model = new ModelSpec("m", null, PRICE, 100_000, 1_000, EnumSet.allOf(Capability.class));
        return ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model)
                        .model(new ModelSpec("cheap", null, Price.of(0.1, 0.2), 100_000, 1_000,
                                EnumSet.allOf(Capability.class))).build())
                .route(RouteConfig.builder("di")
                        .pool("flash", PoolConfig.of("priority", "a/m", "b/cheap"))
                        .pool("*", PoolConfig.of("priority", "a/m", "b/m")).build());
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build();
    }

    private static ChatRouterException refusal(Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException
                ? t.getCause() : t;
        assertThat(cause).isInstanceOf(ChatRouterException.class);
        return (ChatRouterException) cause;
    }

    /** 1,000 requests from 16 threads against a limit that fits about 100: never over, none lost, nothing held. */
    @Test
    void concurrentRequestsNeverSpendPastAHardLimit() throws Exception {
        double limit = 100 * PER_REQUEST + PER_REQUEST / 2;
        router = builder().budget(BudgetConfig.usd("key:team-a", Window.DAY, limit)).build();
        RequestContext team = RequestContext.empty().withKey("team-a");
        AtomicInteger served = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                futures.add(pool.submit(() -> {
                    try {
                        router.chat(hello(), team).toCompletableFuture().get(10, TimeUnit.SECONDS);
                        served.incrementAndGet();
                    } catch (Exception e) {
                        assertThat(refusal(e).code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(served.get() + refused.get()).isEqualTo(1_000);
        BudgetStatus status = status("key:team-a");
        assertThat(status.spentUsd()).isLessThanOrEqualTo(limit);
        assertThat(status.spentUsd()).isEqualTo(served.get() * PER_REQUEST, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(status.reservedUsd()).isZero();
        assertThat(served.get()).isBetween(90, 100);
    }

    /** The same with a token limit. */
    @Test
    void concurrentRequestsNeverSpendPastATokenLimit() throws Exception {
        long limit = 100 * 15 + 7; // the scripted usage is 15 tokens a request
        router = builder().budget(BudgetConfig.tokens("global", Window.DAY, limit)).build();
        AtomicInteger served = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<CompletableFuture<?>> futures = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                futures.add(CompletableFuture.runAsync(() -> {
                    try {
                        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
                        served.incrementAndGet();
                    } catch (Exception e) {
                        assertThat(refusal(e).code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
                        refused.incrementAndGet();
                    }
                }, pool));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(served.get() + refused.get()).isEqualTo(1_000);
        BudgetStatus status = status("global");
        assertThat(status.spentTokens()).isLessThanOrEqualTo(limit).isEqualTo(served.get() * 15L);
        assertThat(status.reservedTokens()).isZero();
    }

    /** A refusal names the scope and window. */
    @Test
    void refusalNamesScopeAndWindow() {
        router = builder().budget(BudgetConfig.usd("user:*", Window.MONTH, PER_REQUEST * 1.5)).build();
        RequestContext alice = RequestContext.empty().withUser("alice");
        router.chat(hello(), alice).toCompletableFuture().join();
        assertThatThrownBy(() -> router.chat(hello(), alice).toCompletableFuture().join())
                .satisfies(t -> {
                    ChatRouterException e = refusal(t);
                    assertThat(e.code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
                    assertThat(e.metadata()).containsEntry("scope", "user:alice").containsEntry("window", "month");
                });
        // another user has a budget of their own
        router.chat(hello(), RequestContext.empty().withUser("bob")).toCompletableFuture().join();
    }

    /** A user (or key, or tag) whose name is "global" has a budget of its own, not the router-wide one. */
    @Test
    void aUserNamedGlobalHasABudgetOfItsOwn() {
        router = builder().budget(BudgetConfig.usd("global", Window.MONTH, 1.0))
                .budget(BudgetConfig.usd("user:*", Window.MONTH, PER_REQUEST * 1.5)).build();
        router.chat(hello(), RequestContext.empty().withUser("alice")).toCompletableFuture().join();

        router.chat(hello(), RequestContext.empty().withUser("global")).toCompletableFuture().join();

        assertThat(status("user:global").spentUsd()).isEqualTo(PER_REQUEST, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(status("global").spentUsd()).isEqualTo(2 * PER_REQUEST, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(status("global").limitUsd()).isEqualTo(1.0);
    }

    /**
     * Two budgets on one scope and window (a per-key default beside one key's own) count on one counter, under the
     * tighter limit; the spend reports that limit, whichever comes first in the configuration.
     */
    @Test
    void twoBudgetsOnOneScopeReportTheLimitThatIsEnforced() {
        router = builder().budget(BudgetConfig.usd("key:*", Window.DAY, PER_REQUEST * 1.5))
                .budget(BudgetConfig.usd("key:team-a", Window.DAY, 20.0)).build();
        RequestContext team = RequestContext.empty().withKey("team-a");
        router.chat(hello(), team).toCompletableFuture().join();

        assertThat(router.spend()).filteredOn(s -> s.scope().equals("key:team-a")).singleElement()
                .satisfies(s -> {
                    assertThat(s.limitUsd()).isEqualTo(PER_REQUEST * 1.5);
                    assertThat(s.remainingUsd()).isEqualTo(PER_REQUEST * 0.5, org.assertj.core.data.Offset.offset(1e-12));
                });
        assertThatThrownBy(() -> router.chat(hello(), team).toCompletableFuture().join())
                .satisfies(t -> assertThat(refusal(t).code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED));
    }

    /** A request for n choices may produce n times its max_tokens: its worst case holds all of them. */
    @Test
    void aRequestForSeveralChoicesReservesTheOutputOfEach() {
        router = builder().budget(BudgetConfig.tokens("global", Window.DAY, 20)).build();
        ChatRequest three = ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).n(3)
                .build();

        ChatRouterException e = refusal(org.assertj.core.api.Assertions.catchThrowable(() ->
                router.chat(three).toCompletableFuture().join()));

        assertThat(e.code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("+ up to 15 output tokens, its max_tokens for each of 3 choices");
        assertThat(e.metadata()).containsEntry("reserved", 25L);
        router.chat(hello()).toCompletableFuture().join(); // one choice fits: 10 + 5
    }

    /**
     * A refusal says what the request reserves and why (the estimated input, the output bound and whose prices),
     * what is spent and what is left; the metadata carries the same figures.
     */
    @Test
    void refusalSaysWhatWasReservedAndWhatIsLeft() {
        router = builder().budget(BudgetConfig.usd("key:alice", Window.DAY, 0.001)).build();
        ChatRequest unbounded = ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build();

        ChatRouterException e = refusal(org.assertj.core.api.Assertions.catchThrowable(() ->
                router.chat(unbounded, RequestContext.empty().withKey("alice")).toCompletableFuture().join()));

        // 6 input tokens estimated, reserved twice over, + the model's 1,000 output tokens: 12 x $1/M + 1,000 x $2/M
        assertThat(e.getMessage()).isEqualTo("budget key:alice (day, limit $0.001) would be exceeded: this request"
                + " reserves up to $0.00201 (input ~8 tokens, reserved as 10, + up to 1,000 output tokens, the"
                + " model's max_output_tokens, at a/m prices; set max_tokens to reserve less), $0.00 spent,"
                + " $0.001 left");
        assertThat(e.metadata()).containsEntry("scope", "key:alice").containsEntry("window", "day")
                .containsEntry("unit", "usd").containsEntry("limit", 0.001).containsEntry("reserved", 0.00201)
                .containsEntry("spent", 0.0).containsEntry("remaining", 0.001);
    }

    /** A token budget's refusal counts in tokens, and with max_tokens set says that it bounds the output. */
    @Test
    void tokenRefusalCountsTokens() {
        router = builder().budget(BudgetConfig.tokens("global", Window.DAY, 29)).build();
        router.chat(hello()).toCompletableFuture().join(); // 15 tokens

        ChatRouterException e = refusal(org.assertj.core.api.Assertions.catchThrowable(() ->
                router.chat(hello()).toCompletableFuture().join()));

        assertThat(e.getMessage()).isEqualTo("budget global (day, limit 29 tokens) would be exceeded: this request"
                + " reserves up to 15 tokens (input ~8 tokens, reserved as 10, + up to 5 output tokens, its"
                + " max_tokens, at a/m prices; lower max_tokens to reserve less), 15 tokens spent, 14 tokens left");
        assertThat(e.metadata()).containsEntry("unit", "tokens").containsEntry("limit", 29L)
                .containsEntry("reserved", 15L).containsEntry("spent", 15L).containsEntry("remaining", 14L);
    }

    /** Every budget counts both dollars and tokens, whichever it limits; dollar figures carry no binary noise. */
    @Test
    void spendCountsTokensAndDollarsForEveryBudget() {
        router = builder().budget(BudgetConfig.usd("key:*", Window.DAY, 0.2))
                .budget(BudgetConfig.tokens("global", Window.DAY, 1_000)).build();
        router.chat(hello(), RequestContext.empty().withKey("alice")).toCompletableFuture().join();

        BudgetStatus key = status("key:alice");
        assertThat(key.spentTokens()).isEqualTo(15);
        assertThat(key.reservedTokens()).isZero();
        assertThat(key.spentUsd()).isEqualTo(0.00002);
        assertThat(key.remainingUsd()).isEqualTo(0.19998); // not 0.19998000000000002
        BudgetStatus global = status("global");
        assertThat(global.spentTokens()).isEqualTo(15);
        assertThat(global.remainingTokens()).isEqualTo(985);
        assertThat(global.spentUsd()).isEqualTo(0.00002);
    }

    /** The window rolls over at the calendar boundary in UTC. */
    @Test
    void windowRollsOverUnderTheInjectedClock() {
        router = builder().budget(BudgetConfig.usd("global", Window.MONTH, PER_REQUEST * 1.5)).build();
        router.chat(hello()).toCompletableFuture().join();
        assertThatThrownBy(() -> router.chat(hello()).toCompletableFuture().join())
                .satisfies(t -> assertThat(refusal(t).code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED));
        assertThat(status("global").resetsAt()).isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
        clock.advance(Duration.ofMinutes(1)); // 2026-04-01T00:00Z: a new month
        router.chat(hello()).toCompletableFuture().join();
        assertThat(status("global").spentUsd()).isEqualTo(PER_REQUEST, org.assertj.core.data.Offset.offset(1e-12));
    }

    /** Past a soft limit, requests go to the route's flash pool under the cost policy. */
    @Test
    void softLimitSwitchesToTheFlashPoolUnderTheCostPolicy() {
        router = builder().budget(new BudgetConfig("key:team-a", Window.DAY, null, null, PER_REQUEST / 2)).build();
        RequestContext team = RequestContext.empty().withKey("team-a");
        ChatResult before = router.chat(hello(), team).toCompletableFuture().join();
        assertThat(before.report().pool()).isEqualTo("*");
        assertThat(before.report().target()).isEqualTo("a/m");
        ChatResult after = router.chat(hello(), team).toCompletableFuture().join();
        assertThat(after.report().pool()).isEqualTo("flash");
        assertThat(after.report().policy()).isEqualTo("cost");
        assertThat(after.report().target()).isEqualTo("b/cheap");
    }

    /** An exhausted provider budget drops that target, and the next one serves. */
    @Test
    void exhaustedProviderBudgetSkipsTheTarget() {
        router = builder().budget(BudgetConfig.usd("provider:a", Window.DAY, PER_REQUEST * 1.5)).build();
        assertThat(router.chat(hello()).toCompletableFuture().join().report().target()).isEqualTo("a/m");
        ChatResult second = router.chat(hello()).toCompletableFuture().join();
        assertThat(second.report().target()).isEqualTo("b/m");
        assertThat(second.report().dropped()).anySatisfy(d -> {
            assertThat(d.target()).isEqualTo("a/m");
            assertThat(d.reason()).startsWith("budget_exhausted:provider:a");
        });
    }

    /** A stream whose upstream sends no usage is charged from counted tokens, never zero. */
    @Test
    void streamWithoutUsageIsChargedFromCountedTokens() {
        router = builder().budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        scripted.script("a", streamThenFail("one two three four", null));
        // streamThenFail(..., null) completes without a usage chunk
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(hello()).subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        assertThat(subscriber.completed()).isTrue();
        BudgetStatus status = status("global");
        // counted with cl100k_base (model "m"): input 8 tokens ("Hello" 1, its role 1, the message framing 3, the
        // reply priming 3), output "one two three four" 4 tokens
        assertThat(status.spentUsd()).isEqualTo((8 * 1.0 + 4 * 2.0) / 1e6, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(status.reservedUsd()).isZero();
    }

    /** A cancelled stream is charged for what it received. */
    @Test
    void cancelledStreamIsChargedForWhatItReceived() {
        router = builder().budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        scripted.script("a", ScriptedProviderFactory.reply("one two three four five six"));
        TestSubscriber<ChatChunk> subscriber = new TestSubscriber<>(3);
        router.stream(hello()).subscribe(subscriber);
        subscriber.awaitItems(3, Duration.ofSeconds(5));
        subscriber.cancel();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (status("global").reservedUsd() > 0 && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        BudgetStatus status = status("global");
        assertThat(status.reservedUsd()).isZero();
        assertThat(status.spentUsd()).isPositive();
    }

    /**
     * Over the rpm, a request is refused with 429 and a Retry-After of the time left in the limit's minute; the next
     * minute admits again.
     */
    @Test
    void rpmExceededGivesRateLimitWithRetryAfter() {
        router = builder().rateLimit(new RateLimitConfig("key:*", 2, 0)).build();
        RequestContext team = RequestContext.empty().withKey("team-a");
        router.chat(hello(), team).toCompletableFuture().join();
        clock.advance(Duration.ofSeconds(10));
        router.chat(hello(), team).toCompletableFuture().join();
        assertThatThrownBy(() -> router.chat(hello(), team).toCompletableFuture().join())
                .satisfies(t -> {
                    ChatRouterException e = refusal(t);
                    assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
                    // the minute started at 23:59:00 and it is 23:59:10
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(50));
                    assertThat(e.metadata()).containsEntry("scope", "key:team-a");
                });
        // another key has its own counter
        router.chat(hello(), RequestContext.empty().withKey("team-b")).toCompletableFuture().join();
        clock.advance(Duration.ofSeconds(49));
        assertThatThrownBy(() -> router.chat(hello(), team).toCompletableFuture().join())
                .satisfies(t -> assertThat(refusal(t).retryAfter()).contains(Duration.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(1));
        router.chat(hello(), team).toCompletableFuture().join();
    }

    /** Spend is queryable per scope with limit, remaining and the window's end. */
    @Test
    void spendReportsEachBudget() {
        router = builder().budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .budget(BudgetConfig.usd("key:*", Window.HOUR, 0.5)).build();
        router.chat(hello(), RequestContext.empty().withKey("k1")).toCompletableFuture().join();
        assertThat(router.spend()).extracting(BudgetStatus::scope).containsExactly("global", "key:k1");
        BudgetStatus key = status("key:k1");
        assertThat(key.remainingUsd()).isEqualTo(0.5 - PER_REQUEST, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(key.resetsAt()).isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
        assertThat(RequestType.FLASH).isNotNull();
    }

    private BudgetStatus status(String scope) {
        return router.spend().stream().filter(s -> s.scope().equals(scope)).findFirst().orElseThrow();
    }
}
