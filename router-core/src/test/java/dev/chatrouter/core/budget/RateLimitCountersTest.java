package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.event.Unaccounted;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.budget.AccountingStoreWiringTest.CountingStore;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router's rate limits and the providers' caps as one-minute counters on the accounting store, reserved and
 * settled with the budgets in the same calls (docs/routing.md#rate-limits). The in-memory store and a clock that
 * only moves when told; the scripted upstream reports 10 input and 5 output tokens for every call.
 */
class RateLimitCountersTest {

    private static final Instant START = Instant.parse("2026-03-31T12:00:00Z");
    private static final String MINUTE = "|minute|2026-03-31T12:00:00Z|";

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(START);
    private final CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
        store.close();
    }

    /** Providers {@code a} (with {@code aLimits}) and {@code b}, tried in that order. */
    private ChatRouter.Builder builder(ProviderLimits aLimits) {
        ModelSpec model = new ModelSpec("m", null, new Price(1.0, 2.0, 1.0, 1.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        // no sticky prefixes: each request starts at a
        return ChatRouter.builder().clock(clock).providerFactory(scripted).accountingStore(store)
                .cache(new CacheConfig(ResponseCacheConfig.DEFAULTS,
                        new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000)))
                .provider(ProviderSpec.builder("a", "scripted").limits(aLimits).model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m")).build());
    }

    private static ChatRequest hello(int maxTokens) {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(maxTokens).build();
    }

    private ChatResult chat(RequestContext context) throws Exception {
        return router.chat(hello(5), context).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static ChatRouterException failure(CompletableFuture<?> answer) throws Exception {
        try {
            answer.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
            return (ChatRouterException) e.getCause();
        }
        throw new AssertionError("the request succeeded");
    }

    private AccountingStore.State counter(String key) throws Exception {
        return store.states(List.of(key)).toCompletableFuture().get(10, TimeUnit.SECONDS).get(key);
    }

    /**
     * Proves a request with a budget, the router's rpm and tpm and its provider's caps costs the store exactly one
     * reserve and one settle (one round trip each on Redis), and nothing else: the X-RateLimit-* figures come from
     * the reservation's answer.
     */
    @Test
    void oneReserveAndOneSettlePerRequestWithBudgetsAndRateLimits() throws Exception {
        router = builder(new ProviderLimits(100, 100_000)).budget(BudgetConfig.usd("global", Window.DAY, 10.0))
                .rateLimit(new RateLimitConfig("key:*", 10, 10_000)).build();

        ChatResult result = chat(RequestContext.empty().withKey("team-a"));

        assertThat(store.reserves.get()).isEqualTo(1);
        assertThat(store.settles.get()).isEqualTo(1);
        assertThat(store.releases.get()).isZero();
        assertThat(store.lastCharges).extracting(AccountingStore.Charge::key).containsExactly(
                "key:team-a" + MINUTE + "rpm", "key:team-a" + MINUTE + "tpm",
                "provider:a" + MINUTE + "rpm", "provider:a" + MINUTE + "tpm",
                "global|day|2026-03-31T00:00:00Z|pico_usd", "global|day|2026-03-31T00:00:00Z|tokens");
        // a minute's counters outlive their window by the slack, so a late settlement still lands
        assertThat(store.lastCharges).filteredOn(c -> c.key().contains("|minute|"))
                .allSatisfy(c -> assertThat(c.expiresAt()).isEqualTo(Instant.parse("2026-03-31T13:01:00Z")));
        int readsOfTheRequest = store.reads.get();

        assertThat(counter("key:team-a" + MINUTE + "rpm")).isEqualTo(new AccountingStore.State(1, 0));
        assertThat(counter("key:team-a" + MINUTE + "tpm")).isEqualTo(new AccountingStore.State(15, 0));
        assertThat(counter("provider:a" + MINUTE + "rpm")).isEqualTo(new AccountingStore.State(1, 0));
        assertThat(counter("provider:a" + MINUTE + "tpm")).isEqualTo(new AccountingStore.State(15, 0));
        Headroom headroom = result.report().headroom();
        assertThat(headroom.requests()).isEqualTo(new Headroom.Limit("key:team-a", 10, 9, Duration.ofMinutes(1)));
        assertThat(headroom.tokens()).isEqualTo(new Headroom.Limit("key:team-a", 10_000, 10_000 - 15,
                Duration.ofMinutes(1)));
        assertThat(headroom.budget().remainingUsd()).isEqualTo(10.0 - 20e-6);
        assertThat(readsOfTheRequest).as("no read: the headroom is the reservation's").isZero();
    }

    /**
     * Proves rpm is exact under concurrency: 60 requests from 12 threads at once on 20 per minute serve exactly 20;
     * the others are refused with Retry-After to the minute's end; the next minute admits 20 again.
     */
    @Test
    void requestsPerMinuteAreExactAndTheNextMinuteAdmitsAgain() throws Exception {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("global", 20, 0)).build();
        clock.advance(Duration.ofSeconds(15));

        for (int minute = 0; minute < 2; minute++) {
            List<CompletableFuture<ChatResult>> answers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<ChatResult>> shared = new CopyOnWriteArrayList<>();
            for (int t = 0; t < 12; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 5; i++) {
                        shared.add(router.chat(hello(5), RequestContext.empty().withKey("k")).toCompletableFuture());
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            answers.addAll(shared);
            assertThat(answers).hasSize(60);
            int served = 0;
            for (CompletableFuture<ChatResult> answer : answers) {
                try {
                    answer.get(10, TimeUnit.SECONDS);
                    served++;
                } catch (ExecutionException e) {
                    ChatRouterException refused = (ChatRouterException) e.getCause();
                    assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
                    assertThat(refused.retryAfter()).contains(Duration.ofSeconds(45));
                    assertThat(refused.metadata()).containsEntry("scope", "global");
                }
            }
            assertThat(served).as("minute " + minute).isEqualTo(20);
            clock.advance(Duration.ofMinutes(1));
        }
        assertThat(counter("global" + MINUTE + "rpm")).as("refusals count nothing")
                .isEqualTo(new AccountingStore.State(20, 0));
        assertThat(counter("global|minute|2026-03-31T12:01:00Z|rpm")).isEqualTo(new AccountingStore.State(20, 0));
    }

    /**
     * Proves tpm holds the estimate while a request runs and is settled to the usage: requests of max_tokens 400
     * (an estimate of 408) against 1,000 per minute all pass one after the other, and the counter holds their usage.
     */
    @Test
    void tokensPerMinuteAreSettledToTheUsage() throws Exception {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("key:*", 0, 1_000)).build();
        RequestContext team = RequestContext.empty().withKey("team");

        ChatResult last = null;
        for (int i = 0; i < 30; i++) {
            last = router.chat(hello(400), team).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        assertThat(counter("key:team" + MINUTE + "tpm")).isEqualTo(new AccountingStore.State(30 * 15, 0));
        assertThat(last.report().headroom().tokens().remaining()).isEqualTo(1_000 - 30 * 15);
        // 450 used: an estimate of 8 + 600 no longer fits this minute, and fits the next
        ChatRouterException refused = failure(router.chat(hello(600), team).toCompletableFuture());
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
        assertThat(refused.getMessage()).isEqualTo("rate limit of key:team exceeded: 1,000 tokens per minute, 450"
                + " used and 0 held by requests in flight in this minute; this request needs 608");
        clock.advance(Duration.ofMinutes(1));
        router.chat(hello(600), team).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /**
     * Proves a fallback counts the request once on the router's rpm and the tokens of the attempt that served; each
     * failed attempt still counts its request on its provider's rpm, and no tokens.
     */
    @Test
    void aFallbackCountsTheRequestOnceAndEachAttemptOnItsProvider() throws Exception {
        router = builder(new ProviderLimits(100, 100_000)).rateLimit(new RateLimitConfig("global", 10, 10_000))
                .build();
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER));

        ChatResult result = chat(RequestContext.empty());

        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.report().attempts()).hasSize(3);
        assertThat(counter("global" + MINUTE + "rpm")).isEqualTo(new AccountingStore.State(1, 0));
        assertThat(counter("global" + MINUTE + "tpm")).isEqualTo(new AccountingStore.State(15, 0));
        assertThat(counter("provider:a" + MINUTE + "rpm")).isEqualTo(new AccountingStore.State(2, 0));
        assertThat(counter("provider:a" + MINUTE + "tpm")).isEqualTo(AccountingStore.State.EMPTY);
        assertThat(store.reserves.get()).as("the attempts at a; b has nothing of its own to reserve").isEqualTo(2);
        assertThat(store.settles.get()).as("one per attempt: a failed one settles its request").isEqualTo(3);
    }

    /** Proves a provider at its own rpm is skipped for the next target (not refused) until its minute ends. */
    @Test
    void aProviderAtItsCapIsSkippedUntilItsMinuteEnds() throws Exception {
        router = builder(new ProviderLimits(1, 0)).build();

        assertThat(chat(RequestContext.empty()).report().target()).isEqualTo("a/m");
        ChatResult skipped = chat(RequestContext.empty());
        assertThat(skipped.report().target()).isEqualTo("b/m");
        assertThat(skipped.report().dropped()).anySatisfy(d -> {
            assertThat(d.target()).isEqualTo("a/m");
            assertThat(d.reason()).isEqualTo("provider_rate_limited");
        });
        clock.advance(Duration.ofMinutes(1));
        assertThat(chat(RequestContext.empty()).report().target()).isEqualTo("a/m");
    }

    /**
     * Proves the combined failure mode: with the store away, a request with a budget (closed by default) fails with
     * accounting_unavailable; one that only rate limits apply to (open by default) is served unaccounted, told to
     * the listener; both are counted again as soon as the store is back.
     */
    @Test
    void rateLimitsFailOpenBudgetsFailClosedAndBothRecover() throws Exception {
        List<Unaccounted> told = new CopyOnWriteArrayList<>();
        router = builder(new ProviderLimits(100, 0)).budget(BudgetConfig.usd("key:team-a", Window.DAY, 1.0))
                .rateLimit(new RateLimitConfig("global", 10, 0)).listener(new RouterListener() {
                    @Override
                    public void onUnaccounted(Unaccounted event) {
                        told.add(event);
                    }
                }).build();

        store.down = true;
        ChatRouterException closed = failure(router.chat(hello(5), RequestContext.empty().withKey("team-a"))
                .toCompletableFuture());
        assertThat(closed.code()).isEqualTo(ErrorCode.ACCOUNTING_UNAVAILABLE);
        assertThat(closed.getMessage()).isEqualTo("test store at 127.0.0.1:1 unavailable: connection refused");
        assertThat(chat(RequestContext.empty().withKey("team-b")).report().target()).isEqualTo("a/m");
        assertThat(told).singleElement().isEqualTo(new Unaccounted(START, "test store at 127.0.0.1:1", false, true));

        store.down = false;
        chat(RequestContext.empty().withKey("team-a"));
        chat(RequestContext.empty().withKey("team-b"));
        assertThat(counter("global" + MINUTE + "rpm")).as("the outage's request is not counted")
                .isEqualTo(new AccountingStore.State(2, 0));
        assertThat(counter("provider:a" + MINUTE + "rpm")).isEqualTo(new AccountingStore.State(2, 0));
        assertThat(told).hasSize(1);
    }

    /** Proves accounting.rate_limits_on_store_failure: closed fails a request that only rate limits apply to. */
    @Test
    void rateLimitsFailClosedWhenConfiguredSo() throws Exception {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("global", 10, 0))
                .accounting(AccountingConfig.DEFAULTS.withRateLimitsOnStoreFailure(AccountingConfig.FailureMode.CLOSED))
                .build();

        store.down = true;
        ChatRouterException e = failure(router.chat(hello(5), RequestContext.empty()).toCompletableFuture());
        assertThat(e.code()).isEqualTo(ErrorCode.ACCOUNTING_UNAVAILABLE);
        assertThat(scripted.calls("a")).isEmpty();

        store.down = false;
        assertThat(chat(RequestContext.empty()).report().target()).isEqualTo("a/m");
    }

    /** Proves two limits on one scope share its counter, the tighter limit holding: key:* 10 and key:team 2. */
    @Test
    void twoLimitsOnOneScopeShareItsCounterAtTheTighterLimit() throws Exception {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("key:*", 10, 0))
                .rateLimit(new RateLimitConfig("key:team", 2, 0)).build();

        chat(RequestContext.empty().withKey("team"));
        assertThat(store.lastCharges).extracting(AccountingStore.Charge::key).containsExactly("key:team" + MINUTE
                + "rpm");
        chat(RequestContext.empty().withKey("team"));
        ChatRouterException refused = failure(router.chat(hello(5), RequestContext.empty().withKey("team"))
                .toCompletableFuture());
        assertThat(refused.metadata()).containsEntry("limit", 2L);
        chat(RequestContext.empty().withKey("other"));
        chat(RequestContext.empty().withKey("other"));
        chat(RequestContext.empty().withKey("other"));
    }
}
