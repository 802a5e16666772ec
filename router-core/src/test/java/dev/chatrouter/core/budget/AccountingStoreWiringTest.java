package dev.chatrouter.core.budget;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The router's budgets on an {@link AccountingStore}: one reserve, one settle per attempt; a store outage fails
 * closed with a clear 503-class error or lets requests through (open) and records their spend once the store is
 * back; a remote store's late answers continue the request; the durable store keeps spend across restarts.
 */
class AccountingStoreWiringTest {

    private static final Price PRICE = new Price(1.0, 2.0, 1.0, 1.0);
    private static final long PER_REQUEST_PICOS = 20_000_000; // 10 input at $1/M + 5 output at $2/M
    private static final Instant START = Instant.parse("2026-03-31T12:00:00Z");

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
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build());
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build();
    }

    private static ChatRouterException failure(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
            return (ChatRouterException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the request succeeded");
    }

    private BudgetStatus status(String scope) {
        return router.spend().stream().filter(s -> s.scope().equals(scope)).findFirst().orElseThrow();
    }

    /** Proves every budget of an attempt (dollars and tokens, global and key) is one reserve, then one settle. */
    @Test
    void oneReserveAndOneSettlePerRequestWhateverTheBudgets() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        router = builder().accountingStore(store)
                .budget(BudgetConfig.usd("global", Window.MONTH, 10.0))
                .budget(new BudgetConfig("key:*", Window.DAY, 1.0, 1_000_000L, null))
                .build();

        router.chat(hello(), RequestContext.empty().withKey("team-a")).toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(store.reserves.get()).isEqualTo(1);
        assertThat(store.settles.get()).isEqualTo(1);
        assertThat(store.releases.get()).isZero();
        assertThat(store.lastCharges).extracting(AccountingStore.Charge::key).containsExactlyInAnyOrder(
                // every budget counts both units, whichever it limits (so spend reports spent_tokens for each)
                "global|month|2026-03-01T00:00:00Z|pico_usd",
                "global|month|2026-03-01T00:00:00Z|tokens",
                "key:team-a|day|2026-03-31T00:00:00Z|pico_usd",
                "key:team-a|day|2026-03-31T00:00:00Z|tokens");
        // the day's counter lives to the window's end plus the slack, longer than any request
        assertThat(store.lastCharges).filteredOn(c -> c.key().startsWith("key:team-a|day"))
                .allSatisfy(c -> assertThat(c.expiresAt()).isEqualTo(Instant.parse("2026-04-01T01:00:00Z")));
        assertThat(status("key:team-a").spentUsd()).isEqualTo(PER_REQUEST_PICOS / 1e12, within(1e-15));
        assertThat(status("key:team-a").spentTokens()).isEqualTo(15);
        assertThat(status("global").reservedUsd()).isZero();
    }

    /**
     * Proves a reservation holds as long as its attempt may run: an attempt may take its provider's total timeout
     * (300 s by default), longer than the default lease (2 minutes), and a hold that expired under a running attempt
     * would let other requests spend past a hard limit.
     */
    @Test
    void aReservationHoldsWhileItsAttemptMayStillRun() throws Exception {
        // given a hard budget with room for one request's worst case, and a first request that is still running
        RequestShape shape = RequestShape.of(hello());
        double worstUsd = (shape.estimatedInputTokens() * 2 * PRICE.input() + 5 * PRICE.output()) / 1e6;
        router = builder().budget(BudgetConfig.usd("global", Window.DAY, worstUsd * 1.5)).build();
        scripted.script("a", ScriptedProviderFactory.delayed(Duration.ofSeconds(30),
                ScriptedProviderFactory.reply("slow")));
        CompletableFuture<?> first = router.chat(hello()).toCompletableFuture();
        assertThat(status("global").reservedUsd()).isPositive();
        // when three minutes pass (past the default lease, within the attempt's timeout) and another request comes
        clock.advance(Duration.ofMinutes(3));
        // then the first request's hold still counts: the second has no room
        assertThat(failure(router.chat(hello())).code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
        assertThat(status("global").reservedUsd()).isPositive();
        first.cancel(true);
    }

    /** Proves a store outage fails a budgeted request closed: accounting_unavailable naming the store; then recovers. */
    @Test
    void anOutageFailsClosedNamingTheStoreAndRecoversByItself() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        router = builder().accountingStore(store).budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        store.down = true;
        ChatRouterException e = failure(router.chat(hello()));
        assertThat(e.code()).isEqualTo(ErrorCode.ACCOUNTING_UNAVAILABLE);
        assertThat(e.getMessage()).isEqualTo("test store at 127.0.0.1:1 unavailable: connection refused");
        assertThat(scripted.calls("a")).isEmpty();

        store.down = false;
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(status("global").spentUsd()).isEqualTo(PER_REQUEST_PICOS / 1e12, within(1e-15));
    }

    /** Proves on_store_failure: open serves through an outage and records the spend once the store is back. */
    @Test
    void failingOpenServesUnaccountedAndRecordsTheSpendWhenTheStoreIsBack() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        router = builder().accountingStore(store)
                .accounting(AccountingConfig.DEFAULTS.withOnStoreFailure(AccountingConfig.FailureMode.OPEN))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        store.down = true;
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(scripted.calls("a")).hasSize(2);

        store.down = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (status("global").spentUsd() < 2 * PER_REQUEST_PICOS / 1e12 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(status("global").spentUsd()).isEqualTo(2 * PER_REQUEST_PICOS / 1e12, within(1e-15));
    }

    /** Proves a store that answers later, on its own thread, still admits, serves and settles the request. */
    @Test
    void aStoreThatAnswersLaterContinuesTheRequest() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        store.later = CompletableFuture.delayedExecutor(30, TimeUnit.MILLISECONDS);
        router = builder().accountingStore(store).budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        CompletableFuture<?> chat = router.chat(hello()).toCompletableFuture();
        chat.get(10, TimeUnit.SECONDS);

        assertThat(store.reserves.get()).isEqualTo(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.settles.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(router.spendAsync().toCompletableFuture().get(10, TimeUnit.SECONDS)).singleElement()
                .satisfies(s -> assertThat(s.spentUsd()).isEqualTo(PER_REQUEST_PICOS / 1e12, within(1e-15)));
    }

    /**
     * Proves the caller is answered only once the store has the spend: a router killed right after answering has
     * recorded every cost it told (the three-router Redis test lost two answered requests' spend otherwise).
     */
    @Test
    void theAnswerWaitsForTheSettlementToBeRecorded() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        store.settleGate = new CompletableFuture<>();
        router = builder().accountingStore(store).budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        CompletableFuture<?> chat = router.chat(hello()).toCompletableFuture();

        assertThatThrownBy(() -> chat.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(store.settles.get()).isZero();
        store.settleGate.complete(null);
        chat.get(10, TimeUnit.SECONDS);
        assertThat(store.settles.get()).isEqualTo(1);
    }

    /**
     * Proves a stream ends once the store has its spend, when the store records it later: its content comes at
     * once, its end only after the settlement, and then it does end (it used to wait for another signal that never
     * came, so that on Redis every budgeted stream hung after its last chunk).
     */
    @Test
    void aStreamEndsOnceItsSettlementIsRecorded() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        store.settleGate = new CompletableFuture<>();
        router = builder().accountingStore(store).budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        stream.started().toCompletableFuture().get(10, TimeUnit.SECONDS);
        Thread.sleep(300); // room for a wrong early end to show
        assertThat(subscriber.terminalSignals()).isZero();
        assertThat(store.settles.get()).isZero();

        store.settleGate.completeAsync(() -> null); // the store's own thread records it
        subscriber.awaitDone(Duration.ofSeconds(10));
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.error()).isNull();
        assertThat(store.settles.get()).isEqualTo(1);
        assertThat(stream.report().toCompletableFuture().get(10, TimeUnit.SECONDS).costUsd()).isPositive();
    }

    /**
     * Proves every way a stream can end still ends when the store answers each call later, on another thread: a
     * fallback from a failing target to one that answers, a failure of every target, a failure after content, and
     * the caller cancelling. Each reservation is settled or released.
     */
    @Test
    void everyStreamEndsWhenTheStoreAnswersLater() throws Exception {
        CountingStore store = new CountingStore(AccountingStores.inMemory(clock));
        store.later = CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS);
        ModelSpec model = new ModelSpec("m", null, PRICE, 100_000, 1_000, EnumSet.allOf(Capability.class));
        router = ChatRouter.builder().clock(clock).providerFactory(scripted).accountingStore(store)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(new FallbackConfig(2, 0, FallbackConfig.DEFAULTS.on())).build())
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();

        // content, then the upstream fails (first: a target that failed often enough cools down and is skipped)
        scripted.script("a", ScriptedProviderFactory.streamThenFail("partial", FailureKind.SERVER));
        TestSubscriber<ChatChunk> cut = streamed();
        assertThat(cut.items()).isNotEmpty();
        assertThat(cut.error()).isInstanceOf(ChatRouterException.class);

        // a fails, b answers
        scripted.script("a", ScriptedProviderFactory.fail(FailureKind.SERVER));
        TestSubscriber<ChatChunk> fellBack = streamed();
        assertThat(fellBack.completed()).isTrue();
        assertThat(fellBack.error()).isNull();

        // every target fails
        scripted.script("a", ScriptedProviderFactory.fail(FailureKind.SERVER));
        scripted.script("b", ScriptedProviderFactory.fail(FailureKind.SERVER));
        TestSubscriber<ChatChunk> failed = streamed();
        assertThat(failed.error()).isInstanceOf(ChatRouterException.class);

        // the caller cancels while the reservation is still with the store
        ChatStream cancelled = router.stream(hello());
        TestSubscriber<ChatChunk> quitter = TestSubscriber.unbounded();
        cancelled.subscribe(quitter);
        quitter.cancel();
        cancelled.report().toCompletableFuture().get(10, TimeUnit.SECONDS);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (status("global").reservedUsd() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(status("global").reservedUsd()).as("every reservation settled or released").isZero();
    }

    private TestSubscriber<ChatChunk> streamed() throws Exception {
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(10));
        stream.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return subscriber;
    }

    /** Proves the durable store keeps the spend across a router's close and a new router on the same file. */
    @Test
    void durableSpendSurvivesARestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spend.db");
        router = builder().accounting(AccountingConfig.durable(file))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        router.close();

        router = builder().accounting(AccountingConfig.durable(file))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        assertThat(status("global").spentUsd()).isEqualTo(2 * PER_REQUEST_PICOS / 1e12, within(1e-15));
        assertThat(status("global").reservedUsd()).isZero();
    }

    /**
     * Proves closing the router while a request's run is busy on another thread (here in a listener that has not
     * returned) waits for the run to end, so its release reaches the durable store before the store closes.
     */
    @Test
    void closeWaitsForARunUnderWaySoNothingStaysReservedInTheStore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spend.db");
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        router = builder().accounting(AccountingConfig.durable(file))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .listener(new dev.chatrouter.api.event.RouterListener() {
                    @Override
                    public void onAttemptStarted(dev.chatrouter.api.event.AttemptStarted event) {
                        inside.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        ChatRouter closing = router;
        CompletableFuture<dev.chatrouter.api.ChatResult> answer = CompletableFuture.supplyAsync(
                () -> closing.chat(hello()).toCompletableFuture().join());
        try {
            assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
            Thread closer = new Thread(closing::close, "closer");
            closer.start();
            // close has done what it does at once (ended every run it could) and waits, or has returned
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (closer.getState() != Thread.State.TIMED_WAITING && closer.getState() != Thread.State.WAITING
                    && closer.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            release.countDown();
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
            // the request ends: the close ended it before its upstream was called
            assertThat(answer).failsWithin(10, TimeUnit.SECONDS).withThrowableThat()
                    .havingRootCause().isInstanceOfSatisfying(dev.chatrouter.api.ChatRouterException.class,
                            e -> assertThat(e.code()).isEqualTo(dev.chatrouter.api.ErrorCode.ROUTER_CLOSED));
        } finally {
            release.countDown();
        }

        // and its reservation was released in the store, not left held until its lease runs out
        router = builder().accounting(AccountingConfig.durable(file))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        assertThat(status("global").reservedUsd()).isZero();
        assertThat(status("global").spentUsd()).isZero();
    }

    /** Proves ChatRouter.builder() without an accounting setting counts in memory and writes no file. */
    @Test
    void theBuilderDefaultsToMemoryAndWritesNoFile() throws Exception {
        Path defaultFile = Path.of(AccountingConfig.DEFAULT_PATH).toAbsolutePath();
        boolean existed = Files.exists(defaultFile);
        router = builder().budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        router.chat(hello()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        router.close();
        assertThat(Files.exists(defaultFile)).isEqualTo(existed);

        router = builder().budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build();
        assertThat(status("global").spentUsd()).isZero();
    }

    /** Proves accounting.store: redis without router-store-redis on the class path fails the build naming the key. */
    @Test
    void aStoreThatIsNotInstalledIsAStartupErrorNamingTheKey() {
        assertThatThrownBy(() -> builder().accounting(AccountingConfig.redis("redis://127.0.0.1:6379"))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("accounting.store")
                .hasMessageContaining("router-store-redis");
    }

    /** An accounting store that counts its calls and can be made to fail, or to answer later on another thread. */
    static final class CountingStore implements AccountingStore {
        private final AccountingStore inner;
        final AtomicInteger reserves = new AtomicInteger();
        final AtomicInteger settles = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();
        volatile List<Charge> lastCharges = List.of();
        volatile boolean down;
        volatile Executor later;
        /** When set, settlements wait for it. */
        volatile CompletableFuture<Void> settleGate;

        CountingStore(AccountingStore inner) {
            this.inner = inner;
        }

        private <T> CompletionStage<T> answer(java.util.function.Supplier<CompletionStage<T>> operation) {
            if (down) {
                return CompletableFuture.failedFuture(new Unavailable("test store at 127.0.0.1:1",
                        "connection refused", null));
            }
            Executor executor = later;
            if (executor == null) {
                return operation.get();
            }
            return CompletableFuture.supplyAsync(() -> operation.get().toCompletableFuture().join(), executor);
        }

        @Override
        public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
            reserves.incrementAndGet();
            lastCharges = charges;
            return answer(() -> inner.reserve(charges, lease));
        }

        @Override
        public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
            CompletableFuture<Void> gate = settleGate;
            if (gate != null) {
                return gate.thenCompose(v -> inner.settle(reservationId, actual)).thenRun(settles::incrementAndGet);
            }
            return answer(() -> inner.settle(reservationId, actual)).thenRun(settles::incrementAndGet);
        }

        @Override
        public CompletionStage<Void> release(String reservationId) {
            releases.incrementAndGet();
            return answer(() -> inner.release(reservationId));
        }

        @Override
        public CompletionStage<Map<String, State>> states(Collection<String> keys) {
            reads.incrementAndGet();
            return answer(() -> inner.states(keys));
        }

        @Override
        public CompletionStage<List<CounterState>> counters() {
            return answer(inner::counters);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
