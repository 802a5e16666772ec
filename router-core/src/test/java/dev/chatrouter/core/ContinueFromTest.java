package dev.chatrouter.core;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.core.testing.ForwardingAccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ChatRouter.Builder.continueFrom}: a router built to replace another (a configuration reload) takes over
 * its budget counters, rate-limit buckets, cooldowns and latency observations.
 */
class ContinueFromTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));
    private static final FallbackConfig NO_RETRIES = new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on());

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(T0);
    private final List<ChatRouter> routers = new ArrayList<>();
    /** When set, the store every router built here is given. */
    private AccountingStore handed;

    @AfterEach
    void close() {
        routers.forEach(ChatRouter::close);
    }

    private ChatRouter build(ChatRouter previous, long rpm, boolean extraRoute) {
        return build(previous, rpm, extraRoute, null);
    }

    private ChatRouter build(ChatRouter previous, long rpm, boolean extraRoute, AccountingConfig accounting) {
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 0, 0, EnumSet.allOf(Capability.class));
        ChatRouter.Builder builder = ChatRouter.builder()
                .providerFactory(scripted)
                .clock(clock)
                .cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(NO_RETRIES).build())
                .budget(BudgetConfig.usd("global", Window.DAY, 10.0))
                .rateLimit(new RateLimitConfig("global", rpm, 0));
        if (extraRoute) {
            builder.route(RouteConfig.builder("extra").pool("*", PoolConfig.of("priority", "b/m")).build());
        }
        if (previous != null) {
            builder.continueFrom(previous);
        }
        if (accounting != null) {
            builder.accounting(accounting);
        }
        if (handed != null) {
            builder.accountingStore(handed);
        }
        ChatRouter router = builder.build();
        routers.add(router);
        return router;
    }

    private static ChatResult chat(ChatRouter router, String model) throws Exception {
        return router.chat(ChatRequest.builder().model(model).addMessage(Message.user("Hello")).build())
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static TargetHealth health(ChatRouter router, String target) {
        return router.health().stream().filter(h -> h.target().equals(target)).findFirst().orElseThrow();
    }

    @Test
    void spendCooldownsLatencyAndRateLimitsCarryOverToTheNewRouter() throws Exception {
        // the rate limits' minute counters are in the accounting store, which the new router takes over
        ChatRouter first = build(null, 4, false);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < 4; i++) {
            assertThat(chat(first, "di").report().target()).isEqualTo("b/m");
        }
        assertThat(health(first, "a/m").state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        List<BudgetStatus> spent = first.spend();
        assertThat(spent).singleElement().satisfies(s -> assertThat(s.spentUsd()).isPositive());

        ChatRouter second = build(first, 4, true);

        assertThat(second.spend()).as("the same counters").isEqualTo(spent);
        assertThat(health(second, "a/m")).isEqualTo(health(first, "a/m"));
        assertThat(health(second, "b/m").latencyMillis()).isEqualTo(health(first, "b/m").latencyMillis());
        assertThat(second.routes()).extracting(RouteConfig::id).containsExactly("di", "extra");
        assertThatThrownBy(() -> chat(second, "di")).as("the four requests of this minute were taken already")
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ChatRouterException.class)
                .satisfies(e -> assertThat(((ChatRouterException) e).code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED));

        ChatRouter third = build(second, 10, false);
        assertThat(chat(third, "di").report().dropped()).as("a higher limit admits more of the same minute's counts; the cooldown holds")
                .extracting(d -> d.target() + " " + d.reason()).containsExactly("a/m cooling_down");
        assertThat(third.spend().get(0).spentUsd()).isGreaterThan(spent.get(0).spentUsd());
        assertThat(second.spend()).as("one store, seen by both").isEqualTo(third.spend());
    }

    @Test
    void anAttemptStillRunningOnThePreviousRouterReportsIntoTheSharedCooldown() throws Exception {
        ChatRouter first = build(null, 100, false);
        ChatRouter second = build(first, 100, false);
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < 3; i++) {
            chat(first, "di");
        }
        assertThat(health(second, "a/m").state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        assertThat(health(second, "a/m").consecutiveFailures()).isEqualTo(3);
    }

    /**
     * Proves the accounting store the previous router opened moves to the new one: closing the previous router
     * after the reload leaves it open for the new one, and closing the new one closes it (the file can be opened
     * again, with every spend in it).
     */
    @Test
    void theAccountingStoreMovesToTheNewRouter(@TempDir Path dir) throws Exception {
        AccountingConfig durable = AccountingConfig.durable(dir.resolve("accounting.db"));
        ChatRouter first = build(null, 100, false, durable);
        chat(first, "di");
        double once = first.spend().get(0).spentUsd();
        ChatRouter second = build(first, 100, false, durable);

        first.close();
        chat(second, "di");

        assertThat(second.spend().get(0).spentUsd()).as("the store is still open, and counts on")
                .isEqualTo(2 * once, org.assertj.core.data.Offset.offset(1e-12));
        second.close();
        ChatRouter reopened = build(null, 100, false, durable);
        assertThat(reopened.spend().get(0).spentUsd()).as("the new router closed the file, every spend in it")
                .isEqualTo(2 * once, org.assertj.core.data.Offset.offset(1e-12));
    }

    /**
     * Proves a settlement waiting for the store when a reload replaces the router is recorded once the store is
     * back, by the new router: closing the old one hands its waiting settlements over instead of dropping them.
     */
    @Test
    void settlementsWaitingForTheStoreAreRecordedAfterAReload() throws Exception {
        FlakyStore store = new FlakyStore(AccountingStores.inMemory(clock));
        handed = store;
        ChatRouter first = build(null, 100, false, new AccountingConfig(AccountingConfig.DEFAULT_OUTPUT_TOKENS, null,
                null, AccountingConfig.DEFAULT_FLUSH_INTERVAL, AccountingConfig.DEFAULT_LEASE,
                AccountingConfig.FailureMode.OPEN, AccountingConfig.FailureMode.OPEN, null));
        store.settlesFail = true;
        chat(first, "di");
        assertThat(first.spend().get(0).spentUsd()).as("not recorded yet").isZero();

        ChatRouter second = build(first, 100, false);
        first.close();
        store.settlesFail = false;

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (second.spend().get(0).spentUsd() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(second.spend().get(0).spentUsd()).as("recorded by the new router").isPositive();
    }

    /** The in-memory store, whose settlements fail as unavailable while {@link #settlesFail}. */
    static final class FlakyStore extends ForwardingAccountingStore {
        volatile boolean settlesFail;

        FlakyStore(AccountingStore inner) {
            super(inner);
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
            if (settlesFail) {
                return java.util.concurrent.CompletableFuture.failedFuture(new Unavailable("flaky store",
                        "connection refused", null));
            }
            return inner.settle(reservationId, actual);
        }
    }

    @Test
    void continuingFromARouterOfAnotherImplementationIsRefused() {
        ChatRouter foreign = (ChatRouter) Proxy.newProxyInstance(ChatRouter.class.getClassLoader(),
                new Class<?>[]{ChatRouter.class}, (proxy, method, args) -> null);
        assertThatThrownBy(() -> build(foreign, 10, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("continueFrom needs a router built by router-core");
    }
}
