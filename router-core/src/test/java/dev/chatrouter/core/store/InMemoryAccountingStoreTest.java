package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.Reservation;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.api.spi.AccountingStoreContract;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract on counters in memory, and leases and expiry by the injected clock. */
class InMemoryAccountingStoreTest extends AccountingStoreContract {

    private final MutableClock clock = MutableClock.atEpochOf2026();

    @Override
    protected AccountingStore openStore() {
        return AccountingStores.inMemory(clock);
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }

    /** A reservation nobody settles stops counting when its lease ends, and frees the budget for others. */
    @Test
    void anExpiredLeaseFreesTheBudget() {
        join(store.reserve(List.of(charge("a", 80, 100), charge("b", 1, 10)), Duration.ofSeconds(30)));
        assertThat(join(store.reserve(List.of(charge("a", 30, 100)), LEASE)).granted()).isFalse();

        clock.advance(Duration.ofSeconds(29));
        assertThat(state("a")).isEqualTo(new State(0, 80));
        clock.advance(Duration.ofSeconds(1));

        assertThat(join(store.states(List.of("a", "b"))))
                .containsEntry("a", State.EMPTY).containsEntry("b", State.EMPTY);
        assertThat(join(store.reserve(List.of(charge("a", 100, 100)), LEASE)).granted()).isTrue();
    }

    /** Settling after the lease ended releases nothing a second time, and the spend still counts. */
    @Test
    void settlingAnExpiredReservationRecordsTheSpendAndReleasesNothingTwice() {
        String late = granted(List.of(charge("a", 50, 100))).id();
        clock.advance(LEASE);
        Reservation.Granted live = granted(List.of(charge("a", 60, 100)));

        join(store.settle(late, List.of(spend("a", 40))));

        assertThat(state("a")).isEqualTo(new State(40, 60));
        join(store.settle(live.id(), List.of(spend("a", 60))));
        assertThat(state("a")).isEqualTo(new State(100, 0));
    }

    /** A counter reads as zero once its window's expiry passes, and is then dropped from the list. */
    @Test
    void aCounterDisappearsAtItsExpiry() {
        Instant end = clock.instant().plus(Duration.ofMinutes(1));
        Reservation r = join(store.reserve(List.of(new Charge("rpm", 1, 60, end)), Duration.ofSeconds(10)));
        join(store.settle(((Reservation.Granted) r).id(), List.of(Charge.of("rpm", 1, end))));
        assertThat(join(store.counters())).hasSize(1);

        clock.advance(Duration.ofSeconds(59));
        assertThat(state("rpm")).isEqualTo(new State(1, 0));
        clock.advance(Duration.ofSeconds(1));

        assertThat(state("rpm")).isEqualTo(State.EMPTY);
        assertThat(join(store.counters())).isEmpty();
    }

    /** A counter whose window ends while a reservation on it is live lives until the lease ends. */
    @Test
    void aCounterOutlivesItsWindowWhileAReservationHoldsIt() {
        Instant end = clock.instant().plus(Duration.ofMinutes(1));
        Reservation r = join(store.reserve(List.of(new Charge("rpm", 1, 60, end)), Duration.ofMinutes(2)));

        clock.advance(Duration.ofSeconds(90));
        assertThat(state("rpm")).isEqualTo(new State(0, 1));
        join(store.settle(((Reservation.Granted) r).id(), List.of(Charge.of("rpm", 1, end))));
        assertThat(state("rpm")).as("the late spend counts while the counter lives").isEqualTo(new State(1, 0));

        clock.advance(Duration.ofSeconds(30));
        assertThat(state("rpm")).isEqualTo(State.EMPTY);
    }

    /** The periodic sweep drops reservations nobody settled and counters nobody uses, without losing live ones. */
    @Test
    void theSweepDropsOnlyWhatExpired() {
        InMemoryAccountingStore memory = (InMemoryAccountingStore) store;
        for (int i = 0; i < InMemoryAccountingStore.SWEEP_EVERY; i++) {
            join(store.reserve(List.of(new Charge("old-" + i, 1, 10, clock.instant().plusSeconds(60))),
                    Duration.ofSeconds(10)));
        }
        String live = granted(List.of(charge("kept", 5, 10))).id();
        clock.advance(Duration.ofMinutes(5));

        memory.sweep();

        assertThat(memory.toString()).contains("1 counters, 1 reservations");
        join(store.settle(live, List.of(spend("kept", 5))));
        assertThat(state("kept")).isEqualTo(new State(5, 0));
    }
}
