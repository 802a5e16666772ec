package dev.chatrouter.api.spi;

import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.CounterState;
import dev.chatrouter.api.spi.AccountingStore.Reservation;
import dev.chatrouter.api.spi.AccountingStore.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link AccountingStore} does, whatever keeps its counters: each implementation's test extends this
 * class and says how to open a fresh, empty store. Nothing here depends on time passing; leases and expiry are
 * tested by each implementation with its own clock.
 */
public abstract class AccountingStoreContract {

    /** Long enough that no lease ends during a test. */
    protected static final Duration LEASE = Duration.ofMinutes(10);

    protected AccountingStore store;

    /** A fresh store that shares no counter with any other store this method returned. */
    protected abstract AccountingStore openStore() throws Exception;

    /** The store's idea of now, to compose window expiries. */
    protected abstract Instant now();

    @BeforeEach
    void open() throws Exception {
        store = openStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected Instant windowEnd() {
        return now().plus(Duration.ofHours(1));
    }

    protected Charge charge(String key, long amount, long limit) {
        return new Charge(key, amount, limit, windowEnd());
    }

    protected Charge spend(String key, long amount) {
        return Charge.of(key, amount, windowEnd());
    }

    protected static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the store did not answer within 30 s", e);
        }
    }

    protected Reservation.Granted granted(List<Charge> charges) {
        Reservation r = join(store.reserve(charges, LEASE));
        assertThat(r).as("reservation of %s", charges).isInstanceOf(Reservation.Granted.class);
        return (Reservation.Granted) r;
    }

    protected State state(String key) {
        return join(store.states(List.of(key))).get(key);
    }

    @Test
    void aReservationThatFitsEveryCounterHoldsEveryAmount() {
        Reservation.Granted r = granted(List.of(charge("a", 30, 100), charge("b", 5, 10)));

        assertThat(r.id()).isNotBlank();
        assertThat(r.leaseExpiresAt()).isAfter(now().plus(LEASE).minusSeconds(60));
        assertThat(join(store.states(List.of("a", "b"))))
                .containsEntry("a", new State(0, 30))
                .containsEntry("b", new State(0, 5));
    }

    /** A grant reports each counter as it left it, in the charges' order: what a caller tells of the room left. */
    @Test
    void aGrantReportsEachCounterAsItLeftIt() {
        join(store.settle(granted(List.of(charge("b", 4, 10))).id(), List.of(spend("b", 4))));
        granted(List.of(charge("a", 7, 100)));

        Reservation.Granted r = granted(List.of(charge("b", 3, 10), charge("a", 30, 100),
                Charge.of("c", 0, windowEnd())));

        assertThat(r.states()).containsExactly(new State(4, 3), new State(0, 37), State.EMPTY);
    }

    @Test
    void aReservationIsAllOrNothingAndNamesTheCounterThatRefused() {
        join(store.settle(granted(List.of(charge("b", 4, 10))).id(), List.of(spend("b", 4))));
        granted(List.of(charge("b", 3, 10)));

        Reservation r = join(store.reserve(List.of(charge("a", 30, 100), charge("b", 4, 10), charge("c", 1, 1)), LEASE));

        assertThat(r.granted()).isFalse();
        assertThat(r).isEqualTo(new Reservation.Refused("b", 4, 4, 3, 10));
        assertThat(join(store.states(List.of("a", "b", "c"))))
                .as("nothing changed")
                .containsEntry("a", State.EMPTY)
                .containsEntry("b", new State(4, 3))
                .containsEntry("c", State.EMPTY);
    }

    @Test
    void theLimitItselfCanBeReachedButNotPassed() {
        granted(List.of(charge("a", 60, 100)));
        granted(List.of(charge("a", 40, 100)));

        assertThat(join(store.reserve(List.of(charge("a", 1, 100)), LEASE)))
                .isEqualTo(new Reservation.Refused("a", 1, 0, 100, 100));
    }

    @Test
    void aCounterPastItsLimitRefusesEvenZero() {
        String id = granted(List.of(charge("a", 10, 100))).id();
        join(store.settle(id, List.of(spend("a", 120))));

        assertThat(join(store.reserve(List.of(charge("a", 0, 100)), LEASE)))
                .isEqualTo(new Reservation.Refused("a", 0, 120, 0, 100));
        assertThat(join(store.reserve(List.of(charge("a", 0, 120)), LEASE)).granted()).isTrue();
    }

    @Test
    void settlingReplacesTheReservationWithTheActualSpend() {
        String id = granted(List.of(charge("a", 100, 1000), charge("b", 10, 20))).id();

        join(store.settle(id, List.of(spend("a", 40), spend("b", 10))));

        assertThat(join(store.states(List.of("a", "b"))))
                .containsEntry("a", new State(40, 0))
                .containsEntry("b", new State(10, 0));
    }

    @Test
    void theActualSpendMayExceedTheReservationAndNameOtherCounters() {
        String id = granted(List.of(charge("a", 10, 50))).id();

        join(store.settle(id, List.of(spend("a", 70), spend("z", 5))));

        assertThat(state("a")).isEqualTo(new State(70, 0));
        assertThat(state("z")).isEqualTo(new State(5, 0));
    }

    @Test
    void settlingAnUnknownReservationStillRecordsTheSpend() {
        granted(List.of(charge("a", 10, 100)));

        join(store.settle("no-such-reservation", List.of(spend("a", 7))));

        assertThat(state("a")).isEqualTo(new State(7, 10));
    }

    @Test
    void releasingGivesTheAmountsBackOnce() {
        String first = granted(List.of(charge("a", 10, 100), charge("b", 1, 100))).id();
        granted(List.of(charge("a", 20, 100)));

        join(store.release(first));
        join(store.release(first));
        join(store.settle(first, List.of()));

        assertThat(join(store.states(List.of("a", "b"))))
                .containsEntry("a", new State(0, 20))
                .containsEntry("b", State.EMPTY);
        join(store.release("no-such-reservation"));
        assertThat(state("a")).isEqualTo(new State(0, 20));
    }

    @Test
    void settlingTwiceReleasesOnceAndRecordsBothSpends() {
        String first = granted(List.of(charge("a", 10, 100))).id();
        granted(List.of(charge("a", 20, 100)));

        join(store.settle(first, List.of(spend("a", 3))));
        join(store.settle(first, List.of(spend("a", 3))));

        assertThat(state("a")).isEqualTo(new State(6, 20));
    }

    @Test
    void anEmptyReservationIsGrantedAndHoldsNothing() {
        Reservation.Granted r = granted(List.of());

        join(store.settle(r.id(), List.of(spend("a", 2))));

        assertThat(state("a")).isEqualTo(new State(2, 0));
    }

    @Test
    void noLimitNeverRefuses() {
        granted(List.of(charge("a", Long.MAX_VALUE / 2, AccountingStore.NO_LIMIT)));
        granted(List.of(charge("a", Long.MAX_VALUE / 2, AccountingStore.NO_LIMIT)));

        assertThat(state("a")).isEqualTo(new State(0, Long.MAX_VALUE / 2 * 2));
    }

    @Test
    void largeAmountsAreComparedExactly() {
        long limit = (1L << 62) + 1; // not representable as a double: a store that rounds grants one unit too many
        String id = granted(List.of(charge("a", limit - 1, limit))).id();
        join(store.settle(id, List.of(spend("a", limit - 1))));
        granted(List.of(charge("a", 1, limit)));

        assertThat(join(store.reserve(List.of(charge("a", 1, limit)), LEASE)))
                .isEqualTo(new Reservation.Refused("a", 1, limit - 1, 1, limit));
        assertThat(state("a")).isEqualTo(new State(limit - 1, 1));
    }

    @Test
    void statesAnswerEveryKeyAskedAndZeroForUnknownOnes() {
        granted(List.of(charge("a", 1, 10)));

        Map<String, State> states = join(store.states(List.of("a", "never-used")));

        assertThat(states).containsOnlyKeys("a", "never-used");
        assertThat(states.get("never-used")).isEqualTo(State.EMPTY);
        assertThat(join(store.states(List.of()))).isEmpty();
    }

    @Test
    void countersListEveryLiveCounterWithItsExpiry() {
        Instant end = windowEnd();
        String id = granted(List.of(new Charge("k|day|a", 5, 100, end), new Charge("k|day|b", 2, 100, end))).id();
        join(store.settle(id, List.of(Charge.of("k|day|a", 4, end))));

        List<CounterState> counters = join(store.counters());

        assertThat(counters).extracting(CounterState::key).containsExactlyInAnyOrder("k|day|a", "k|day|b");
        CounterState a = counters.stream().filter(c -> c.key().equals("k|day|a")).findFirst().orElseThrow();
        assertThat(a.spent()).isEqualTo(4);
        assertThat(a.reserved()).isZero();
        assertThat(a.expiresAt()).isBetween(end.minusSeconds(1), end.plus(LEASE).plusSeconds(1));
        CounterState b = counters.stream().filter(c -> c.key().equals("k|day|b")).findFirst().orElseThrow();
        assertThat(b.spent()).isZero();
    }

    @Test
    void keysMayHoldAnyCharacter() {
        String key = "user:Zoë \"*?[]{x}|\n|day|2026-01-01T00:00:00Z|pico_usd";
        String id = granted(List.of(charge(key, 3, 10))).id();
        join(store.settle(id, List.of(spend(key, 2))));

        assertThat(state(key)).isEqualTo(new State(2, 0));
        assertThat(join(store.counters())).extracting(CounterState::key).contains(key);
    }

    @Test
    void invalidArgumentsAreRefusedAtOnce() {
        assertThatThrownBy(() -> store.reserve(List.of(charge("a", 1, 10), charge("a", 2, 10)), LEASE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a");
        assertThatThrownBy(() -> store.reserve(List.of(charge("a", 1, 10)), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> store.settle("x", List.of(spend("a", 1), spend("a", 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.reserve(null, LEASE)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.settle(null, List.of())).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.release(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> charge("a", -1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> charge("", 1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThat(join(store.counters())).isEmpty();
    }

    @Test
    void aClosedStoreRefusesOperations() {
        store.close();
        store.close();

        assertThatThrownBy(() -> join(store.reserve(List.of(charge("a", 1, 10)), LEASE)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> join(store.states(List.of("a")))).isInstanceOf(IllegalStateException.class);
    }

    /** How many threads {@link #concurrentReservationsNeverOverspend()} runs, each making {@link #pairs()} pairs. */
    protected int threads() {
        return 16;
    }

    protected int pairs() {
        return 1000;
    }

    /**
     * Each thread reserves a worst case on a budget and a rate counter together, then settles to a smaller actual
     * use; a sampler checks meanwhile that {@code spent + reserved} never passes either limit. At the end the spend
     * equals the sum settled, nothing stays reserved, and the limits were reached (some reservations refused).
     */
    @Test
    void concurrentReservationsNeverOverspend() throws Exception {
        long budgetLimit = 5_000;
        long rateLimit = 9_000;
        int threads = threads();
        int pairs = pairs();
        AtomicLong settledBudget = new AtomicLong();
        AtomicLong settledRate = new AtomicLong();
        AtomicLong refusals = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<String> violation = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            Future<?> sampler = pool.submit(() -> {
                while (running.get()) {
                    Map<String, State> s = join(store.states(List.of("budget", "rate")));
                    State b = s.get("budget");
                    State r = s.get("rate");
                    if (b.spent() + b.reserved() > budgetLimit || r.spent() + r.reserved() > rateLimit) {
                        violation.compareAndSet(null, "budget " + b + ", rate " + r);
                    }
                }
                return null;
            });
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    start.await();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < pairs; i++) {
                        Reservation r = join(store.reserve(List.of(charge("budget", 5, budgetLimit),
                                charge("rate", 3, rateLimit)), LEASE));
                        if (r instanceof Reservation.Granted g) {
                            long usedBudget = random.nextLong(1, 6);
                            long usedRate = random.nextLong(0, 4);
                            join(store.settle(g.id(), List.of(spend("budget", usedBudget), spend("rate", usedRate))));
                            settledBudget.addAndGet(usedBudget);
                            settledRate.addAndGet(usedRate);
                        } else {
                            refusals.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
            running.set(false);
            sampler.get(30, TimeUnit.SECONDS);
        } finally {
            running.set(false);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("workers stopped").isTrue();
        }

        assertThat(violation.get()).as("a moment when a limit was passed").isNull();
        Map<String, State> end = join(store.states(List.of("budget", "rate")));
        assertThat(end.get("budget")).isEqualTo(new State(settledBudget.get(), 0));
        assertThat(end.get("rate")).isEqualTo(new State(settledRate.get(), 0));
        assertThat(settledBudget.get()).isLessThanOrEqualTo(budgetLimit).isGreaterThan(budgetLimit - 5);
        assertThat(refusals.get()).as("refusals once the budget ran out").isPositive();
    }
}
