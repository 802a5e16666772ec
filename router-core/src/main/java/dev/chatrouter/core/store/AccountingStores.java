package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The accounting stores of router-core: {@link #inMemory(Clock)} for one router whose spend may start from zero
 * when it restarts, and {@link #durable(Path, Duration, Clock)} for one router whose spend must survive restarts
 * and crashes. (Several routers share budgets through a store in Redis, in the module {@code router-store-redis}.)
 * Leases end by the given clock.
 */
public final class AccountingStores {

    /** How often {@link #durable(Path, Clock)} commits. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);

    /**
     * How many documents ({@link AccountingStore#documents()}) the in-memory store keeps at most; past it the oldest
     * go first.
     */
    public static final int MAX_DOCUMENTS_IN_MEMORY = 10_000;

    private AccountingStores() {
    }

    /**
     * Counters in memory, each behind its own lock, so requests on different counters never contend. Everything is
     * lost with the process. Operations complete before they return.
     *
     * @throws NullPointerException when the clock is null
     */
    public static AccountingStore inMemory(Clock clock) {
        return new InMemoryAccountingStore(clock, InMemoryAccountingStore.Journal.NONE, "m-");
    }

    /** {@link #durable(Path, Duration, Clock)} committing every {@link #DEFAULT_FLUSH_INTERVAL}. */
    public static AccountingStore durable(Path file, Clock clock) {
        return durable(file, DEFAULT_FLUSH_INTERVAL, clock);
    }

    /**
     * Counters in memory, written through to an H2 MVStore file that is committed and synced every
     * {@code flushInterval} and on {@link AccountingStore#close()}. Opening the file reads the spend back and
     * releases the reservations whose leases ended. A crash loses at most the operations of the last flush
     * interval. One process at a time may open a file.
     *
     * @throws AccountingStore.Unavailable when the file cannot be opened or read (another process has it open, or
     *                                     it is not such a store)
     * @throws IllegalArgumentException    when the flush interval is not positive
     * @throws NullPointerException        when an argument is null
     */
    public static AccountingStore durable(Path file, Duration flushInterval, Clock clock) {
        return DurableAccountingStore.open(file, flushInterval, clock);
    }
}
