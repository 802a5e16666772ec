package dev.chatrouter.core.budget;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Settlements the store cannot take are kept and retried with backoff, on the injected scheduler, until taken. */
class SettlementsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-31T12:00:00Z"));
    private final List<Duration> delays = new ArrayList<>();
    private final List<Runnable> timers = new ArrayList<>();
    private final Scheduler scheduler = (delay, task) -> {
        delays.add(delay);
        timers.add(task);
        return Scheduler.Timer.NONE;
    };

    private void fireLast() {
        timers.remove(timers.size() - 1).run();
    }

    /** Proves a failed settlement waits 100 ms, 200 ms, 400 ms... and is recorded once the store is back. */
    @Test
    void aFailedSettlementIsRetriedWithBackoffUntilTheStoreTakesIt() throws Exception {
        AccountingStoreWiringTest.CountingStore store = new AccountingStoreWiringTest.CountingStore(
                AccountingStores.inMemory(clock));
        Settlements settlements = new Settlements(store, scheduler);
        AccountingStore.Charge spend = AccountingStore.Charge.of("global|day|x|pico_usd", 42,
                Instant.parse("2026-04-01T01:00:00Z"));

        store.down = true;
        settlements.settle("r-1", List.of(spend));
        assertThat(settlements.pending()).isEqualTo(1);
        assertThat(delays).containsExactly(Duration.ofMillis(100));
        fireLast();
        fireLast();
        assertThat(delays).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(settlements.pending()).isEqualTo(1);

        store.down = false;
        fireLast();
        assertThat(settlements.pending()).isZero();
        assertThat(timers).isEmpty();
        assertThat(store.states(List.of(spend.key())).toCompletableFuture().get(1, TimeUnit.SECONDS)
                .get(spend.key()).spent()).isEqualTo(42);
    }

    /**
     * Proves closing waits for a settlement still under way (a remote store's answer not back yet): when that answer
     * is a failure, the settlement is sent once more before the close returns, not dropped as arriving too late.
     */
    @Test
    void closeWaitsForASettlementUnderWayAndResendsItWhenItFails() throws Exception {
        AccountingStore memory = AccountingStores.inMemory(clock);
        AccountingStoreWiringTest.CountingStore store = new AccountingStoreWiringTest.CountingStore(memory);
        Settlements settlements = new Settlements(store, scheduler);
        AccountingStore.Charge spend = AccountingStore.Charge.of("global|day|x|pico_usd", 42,
                Instant.parse("2026-04-01T01:00:00Z"));
        CompletableFuture<Void> answer = new CompletableFuture<>();
        store.settleGate = answer;
        settlements.settle("r-1", List.of(spend));

        Thread closer = new Thread(() -> settlements.close(Duration.ofSeconds(10)), "closer");
        closer.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(closer.isAlive()).as("close waits for the answer").isTrue();
        // the store answers that it could not take it, and takes the next try
        store.settleGate = null;
        answer.completeExceptionally(new AccountingStore.Unavailable("test store at 127.0.0.1:1", "timed out", null));
        closer.join(10_000);

        assertThat(closer.isAlive()).isFalse();
        assertThat(memory.states(List.of(spend.key())).toCompletableFuture().get(1, TimeUnit.SECONDS)
                .get(spend.key()).spent()).isEqualTo(42);
    }

    /** Proves the backoff stops growing at 5 s. */
    @Test
    void theBackoffIsBounded() {
        AccountingStoreWiringTest.CountingStore store = new AccountingStoreWiringTest.CountingStore(
                AccountingStores.inMemory(clock));
        Settlements settlements = new Settlements(store, scheduler);
        store.down = true;
        settlements.settle("r-1", List.of(AccountingStore.Charge.of("k|day|x|tokens", 1,
                Instant.parse("2026-04-01T01:00:00Z"))));
        for (int i = 0; i < 10; i++) {
            fireLast();
        }
        assertThat(delays.get(delays.size() - 1)).isEqualTo(Settlements.MAX_BACKOFF);
        assertThat(delays).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Settlements.MAX_BACKOFF));
    }
}
