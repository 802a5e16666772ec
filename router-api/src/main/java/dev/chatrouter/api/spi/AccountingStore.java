package dev.chatrouter.api.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Where budget and rate-limit counters live: one asynchronous store for both, shared by every router that should
 * see the same spend (a store in memory serves one router; a store in Redis serves several).
 *
 * <h2>Counters</h2>
 * A counter is named by a string key that the caller composes from the scope, the window, the window's start and
 * the unit (for instance {@code key:team-a|day|2026-01-01T00:00:00Z|pico_usd}); the store gives keys no meaning.
 * A counter holds {@code spent} (settled) and {@code reserved} (held by live reservations). It comes into being
 * when a charge first names it and exists until its <em>expiry</em>: the latest {@link Charge#expiresAt()} any
 * charge gave it (the window's end plus some slack), and never before the lease of a live reservation on it
 * ends. After its expiry the counter reads as zero and disappears, so old windows cost nothing. Choose the slack
 * longer than the longest request: spend settled onto a counter after its expiry lands on a counter that has
 * already expired, and is gone with it.
 *
 * <p>Rate limits use the same counters: a requests-per-minute or tokens-per-minute limit is a fixed-window
 * counter over one minute, reserved with the estimate before the call and settled to the use after it.
 *
 * <h2>Atomicity</h2>
 * {@link #reserve} is all-or-nothing across every counter it names: when, for every charge,
 * {@code spent + reserved + amount <= limit}, it reserves every amount; otherwise it changes nothing. No other
 * operation can observe or interleave with half of a reservation, a settlement or a release, so concurrent
 * reservations, from one router or several sharing the store, never take a counter past its limit.
 *
 * <h2>Leases</h2>
 * Each reservation carries a lease. A reservation neither settled nor released before its lease ends (its router
 * died, or lost it) expires: from then on {@link #reserve}, {@link #states} and {@link #counters} no longer count
 * it, and the store releases its amounts by itself, at the latest on the next operation that touches the counter.
 * A reservation is settled or released at most once: settling or releasing it again, or after it expired,
 * releases nothing a second time. {@link #settle} still records the actual spend in every case: spend is never
 * dropped because its reservation is gone, which also means that settling the same reservation twice records
 * its spend twice.
 *
 * <h2>Crashes</h2>
 * What a crash of the router's process costs depends on the store and is stated by each implementation: the
 * in-memory store loses everything; the embedded durable store keeps every operation completed before its last
 * commit (at most its flush interval ago); the Redis store keeps what Redis keeps. In every store, reservations
 * of a dead router stop counting when their leases end.
 *
 * <h2>Failures</h2>
 * Stages complete exceptionally with {@link Unavailable} when the store cannot be reached or cannot record the
 * operation within its bound. The operation then did not happen, or (when the answer, not the request, was lost)
 * happened entirely; never in part. Whether the router then refuses requests or lets them through is the router's
 * decision, not the store's. Invalid arguments (null, a negative amount, a
 * duplicate key in one reservation, a lease that is not positive) throw at once, before anything is sent.
 */
public interface AccountingStore extends AutoCloseable {

    /** The limit of a charge that has none: the amount is counted but never refused. */
    long NO_LIMIT = Long.MAX_VALUE;

    /**
     * An amount on one counter.
     *
     * @param key       the counter's key: not empty
     * @param amount    what to reserve or spend: zero or more
     * @param limit     the counter's limit for this reservation: zero or more; {@link #NO_LIMIT} for none. Ignored
     *                  by {@link #settle}, which never refuses
     * @param expiresAt when the counter may disappear: its window's end plus slack
     */
    record Charge(String key, long amount, long limit, Instant expiresAt) {
        public Charge {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(expiresAt, "expiresAt");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("a counter key is not empty");
            }
            if (amount < 0) {
                throw new IllegalArgumentException("amount on " + key + " is negative: " + amount);
            }
            if (limit < 0) {
                throw new IllegalArgumentException("limit on " + key + " is negative: " + limit);
            }
        }

        /** A charge without a limit: what {@link #settle} takes, and what counts without ever refusing. */
        public static Charge of(String key, long amount, Instant expiresAt) {
            return new Charge(key, amount, NO_LIMIT, expiresAt);
        }
    }

    /**
     * A counter's state; both are zero for a counter that does not exist (never used, or expired).
     *
     * @param spent    settled spend
     * @param reserved held by live reservations
     */
    record State(long spent, long reserved) {
        /** The state of a counter that does not exist. */
        public static final State EMPTY = new State(0, 0);
    }

    /**
     * A live counter, for spend queries.
     *
     * @param key       the counter's key
     * @param spent     settled spend
     * @param reserved  held by live reservations
     * @param expiresAt when the counter disappears
     */
    record CounterState(String key, long spent, long reserved, Instant expiresAt) {
    }

    /** The outcome of {@link #reserve}: {@link Granted} or {@link Refused}. */
    sealed interface Reservation permits Reservation.Granted, Reservation.Refused {

        /** Whether every amount was reserved. */
        boolean granted();

        /**
         * Every amount was reserved.
         *
         * @param id             what {@link #settle} and {@link #release} take
         * @param leaseExpiresAt when the reservation expires unless settled or released before, by the store's
         *                       clock (the Redis server's, for a store in Redis)
         * @param states         each charge's counter as this reservation left it (its amount included in
         *                       {@code reserved}), one per charge, in the order of the charges: what a caller tells
         *                       of the room left without asking the store again
         */
        record Granted(String id, Instant leaseExpiresAt, List<State> states) implements Reservation {
            public Granted {
                Objects.requireNonNull(id, "id");
                Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
                states = List.copyOf(states);
            }

            @Override
            public boolean granted() {
                return true;
            }
        }

        /**
         * Nothing was reserved: this counter, the first in the request's order that would go past its limit, refused.
         *
         * @param key      the counter that refused
         * @param amount   the amount asked for on it
         * @param spent    its settled spend at the time
         * @param reserved what live reservations held on it at the time
         * @param limit    its limit
         */
        record Refused(String key, long amount, long spent, long reserved, long limit) implements Reservation {
            @Override
            public boolean granted() {
                return false;
            }
        }
    }

    /**
     * Reserves every charge, or none: see the class description.
     *
     * @param charges the request's charges, one per counter; empty is granted and holds nothing
     * @param lease   how long the reservation holds unless settled or released: positive
     * @return a {@link Reservation.Granted} with the state of each counter, or a {@link Reservation.Refused}
     * @throws IllegalArgumentException when two charges name the same counter or the lease is not positive
     * @throws NullPointerException     when an argument is null
     */
    CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease);

    /**
     * Turns a reservation into spend: what it holds is released and each actual amount is added to its counter's
     * spend, creating the counter when needed. The actual amounts may exceed the reservation, and may name counters
     * the reservation did not. An unknown, expired, settled or released reservation releases nothing, and its
     * actual amounts are still added. Limits of the actual charges are ignored.
     *
     * @param reservationId a {@link Reservation.Granted#id()}
     * @param actual        what the request really used; empty releases only
     * @throws IllegalArgumentException when two charges name the same counter
     * @throws NullPointerException     when an argument is null
     */
    CompletionStage<Void> settle(String reservationId, List<Charge> actual);

    /**
     * Gives a reservation back without spending; nothing happens for an unknown, expired, settled or released one.
     *
     * @throws NullPointerException when the id is null
     */
    CompletionStage<Void> release(String reservationId);

    /**
     * The state of each counter asked for, with {@link State#EMPTY} for one that does not exist. Expired
     * reservations are not counted.
     *
     * @return a map with exactly the keys asked for
     * @throws NullPointerException when the collection or a key is null
     */
    CompletionStage<Map<String, State>> states(Collection<String> keys);

    /** Every live counter with its state, in no particular order, for spend queries. */
    CompletionStage<List<CounterState>> counters();

    /**
     * Documents kept in the same place as the counters (the same memory, file or Redis), closed with this store:
     * where the HTTP server keeps stored Responses, so that routers sharing the store share them too. Every call
     * returns the same store.
     *
     * @return the store's documents; empty (the default) when this store keeps none, and the router then keeps
     *         documents in its own memory
     */
    default java.util.Optional<DocumentStore> documents() {
        return java.util.Optional.empty();
    }

    /**
     * Flushes what the store buffers (the durable store commits) and frees its resources. Operations after
     * {@code close()} complete exceptionally with {@link IllegalStateException}. Closing twice does nothing.
     */
    @Override
    void close();

    /**
     * The store could not be reached or could not record an operation: the message names the store and the reason,
     * such as {@code redis store at 127.0.0.1:6390 unavailable: connection refused}.
     */
    final class Unavailable extends RuntimeException {

        private final String store;

        /**
         * @param store  the store, such as {@code redis store at 127.0.0.1:6390}
         * @param reason what went wrong
         * @param cause  the underlying failure, or null
         */
        public Unavailable(String store, String reason, Throwable cause) {
            super(Objects.requireNonNull(store, "store") + " unavailable: " + Objects.requireNonNull(reason, "reason"),
                    cause);
            this.store = store;
        }

        /** The store that failed, such as {@code redis store at 127.0.0.1:6390}. */
        public String store() {
            return store;
        }
    }
}
