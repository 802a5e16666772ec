package dev.chatrouter.api.spi;

import java.time.Instant;
import java.util.List;

/**
 * Where budget counters live (SPEC section 8). Each counter is one scope value in one window, counting spend in
 * one unit. Every operation on one counter is atomic; the default store is in memory. A store shared by several
 * routers (a database, Redis) makes budgets hold across them.
 */
public interface BudgetStore {

    /** What a counter counts. */
    enum Unit {
        /** Millionths of a millionth of a US dollar (10^-12 USD): exact integer arithmetic for prices per token. */
        PICO_USD,
        TOKENS
    }

    /**
     * One counter.
     *
     * @param scope       the concrete scope, such as {@code key:team-a} or {@code global}
     * @param window      the window's wire name
     * @param windowStart the start of the window
     * @param unit        what it counts
     */
    record Counter(String scope, String window, Instant windowStart, Unit unit) {
    }

    /**
     * A counter's state.
     *
     * @param spent    settled spend
     * @param reserved reserved and not yet settled
     */
    record State(long spent, long reserved) {
    }

    /**
     * Atomically reserves {@code amount} when {@code spent + reserved + amount <= limit}.
     *
     * @return true when reserved, false (and nothing changed) when the limit would be exceeded
     */
    boolean reserve(Counter counter, long amount, long limit);

    /** Atomically turns a reservation into spend: {@code reserved -= reserved; spent += actual}. */
    void settle(Counter counter, long reserved, long actual);

    /** Atomically gives a reservation back. */
    void release(Counter counter, long reserved);

    /** A counter's state; zeros for a counter never used. */
    State state(Counter counter);

    /** Every counter with its state, for spend queries. */
    List<Counter> counters();
}
