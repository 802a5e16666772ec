package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counters in memory, each behind its own lock: a reservation locks the counters it names in key order (so two
 * reservations never deadlock), checks every limit, then reserves every amount before unlocking; requests on
 * different counters never contend. Leases end by the injected clock: a counter drops its expired holds whenever
 * it is touched, and a sweep every {@value #SWEEP_EVERY} reservations drops expired reservations and counters.
 *
 * <p>A {@link Journal} sees every change, under the locks of the counters concerned: the durable store keeps its
 * files up to date through it; alone, this store journals nothing and loses everything with its process.
 */
final class InMemoryAccountingStore implements AccountingStore {

    static final int SWEEP_EVERY = 4096;
    /** Up to this many charges, distinct keys are checked pairwise rather than with a set. */
    private static final int SMALL = 16;

    /** What the durable store writes down. Calls for one counter or reservation arrive in the order they happened. */
    interface Journal {
        Journal NONE = new Journal() {
            @Override
            public void counter(String key, long spent, long expiresAtMillis) {
            }

            @Override
            public void counterGone(String key) {
            }

            @Override
            public void reserved(String id, long leaseEndMillis, String[] keys, long[] amounts) {
            }

            @Override
            public void reservationGone(String id) {
            }
        };

        /** A counter's spend or expiry changed. */
        void counter(String key, long spent, long expiresAtMillis);

        /** A counter expired. */
        void counterGone(String key);

        /** A reservation was granted, holding {@code amounts[i]} on {@code keys[i]}. */
        void reserved(String id, long leaseEndMillis, String[] keys, long[] amounts);

        /** A reservation was settled, released or expired. */
        void reservationGone(String id);
    }

    /** One amount a live reservation holds on one counter. */
    private record Hold(String id, long seq, long amount, long leaseEnd) implements Comparable<Hold> {
        @Override
        public int compareTo(Hold o) {
            int c = Long.compare(leaseEnd, o.leaseEnd);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** A live reservation: where it holds what, so settling finds its counters. */
    private record Held(long leaseEnd, String[] keys) {
    }

    /** One counter. Every field is guarded by {@link #lock}. */
    private static final class Cell {
        final ReentrantLock lock = new ReentrantLock();
        final String key;
        long spent;
        long reserved;
        /** Epoch millis; {@link Long#MIN_VALUE} until a charge gives it one. */
        long expiresAt = Long.MIN_VALUE;
        /** Removed from the map: whoever locked it must look the key up again. */
        boolean dead;
        final Map<String, Hold> holds = new HashMap<>(4);
        final TreeSet<Hold> byLeaseEnd = new TreeSet<>();

        Cell(String key) {
            this.key = key;
        }

        /** Drops expired holds; an expired counter (which then holds nothing) starts again from zero. */
        void refresh(long now, Journal journal) {
            while (!byLeaseEnd.isEmpty() && byLeaseEnd.first().leaseEnd() <= now) {
                Hold h = byLeaseEnd.pollFirst();
                holds.remove(h.id());
                reserved -= h.amount();
            }
            if (expiresAt != Long.MIN_VALUE && expiresAt <= now) {
                journal.counterGone(key);
                spent = 0;
                expiresAt = Long.MIN_VALUE;
            }
        }

        boolean live() {
            return expiresAt != Long.MIN_VALUE || !holds.isEmpty();
        }

        void hold(Hold h) {
            holds.put(h.id(), h);
            byLeaseEnd.add(h);
            reserved += h.amount();
        }

        void unhold(String id) {
            Hold h = holds.remove(id);
            if (h != null) {
                byLeaseEnd.remove(h);
                reserved -= h.amount();
            }
        }

        /** Moves the expiry later; says whether it moved. */
        boolean extend(long until) {
            if (until > expiresAt) {
                expiresAt = until;
                return true;
            }
            return false;
        }
    }

    /** What settle and release answer: completed, so every caller may share it. */
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Clock clock;
    private final Journal journal;
    private final String idPrefix;
    private final ConcurrentHashMap<String, Cell> cells = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Held> reservations = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final InMemoryDocumentStore documents;
    private volatile boolean closed;

    InMemoryAccountingStore(Clock clock, Journal journal, String idPrefix) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.documents = new InMemoryDocumentStore(clock, AccountingStores.MAX_DOCUMENTS_IN_MEMORY);
        this.journal = Objects.requireNonNull(journal, "journal");
        this.idPrefix = Objects.requireNonNull(idPrefix, "idPrefix");
    }

    @Override
    public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
        checkReserve(charges, lease);
        return closed ? closedStage() : CompletableFuture.completedFuture(reserveNow(charges, lease));
    }

    @Override
    public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
        checkSettle(reservationId, actual);
        if (closed) {
            return closedStage();
        }
        settleNow(reservationId, actual);
        return DONE;
    }

    @Override
    public CompletionStage<Void> release(String reservationId) {
        Objects.requireNonNull(reservationId, "reservationId");
        if (closed) {
            return closedStage();
        }
        releaseNow(reservationId);
        return DONE;
    }

    @Override
    public CompletionStage<Map<String, State>> states(Collection<String> keys) {
        checkKeys(keys);
        return closed ? closedStage() : CompletableFuture.completedFuture(statesNow(keys));
    }

    @Override
    public CompletionStage<List<CounterState>> counters() {
        return closed ? closedStage() : CompletableFuture.completedFuture(countersNow());
    }

    /** Documents in the heap next to the counters, at most {@link AccountingStores#MAX_DOCUMENTS_IN_MEMORY}. */
    @Override
    public Optional<DocumentStore> documents() {
        return Optional.of(documents);
    }

    @Override
    public void close() {
        closed = true;
        documents.close();
    }

    @Override
    public String toString() {
        return "in-memory accounting store (" + cells.size() + " counters, " + reservations.size() + " reservations)";
    }

    // The work, synchronous, on arguments already checked: the durable store calls these under its commit lock.

    Reservation reserveNow(List<Charge> charges, Duration lease) {
        long leaseMillis = Math.max(1, saturatedMillis(lease));
        long seq = sequence.incrementAndGet();
        if (seq % SWEEP_EVERY == 0) {
            sweep();
        }
        String id = idPrefix + seq; // decimal: concatenated in place, where another radix makes a string first
        String[] sortedKeys = sortedKeys(charges, null);
        while (true) {
            Cell[] locked = lock(sortedKeys);
            if (locked == null) {
                continue;
            }
            try {
                long now = clock.millis();
                long leaseEnd = saturatedAdd(now, leaseMillis);
                for (Cell c : locked) {
                    c.refresh(now, journal);
                }
                int count = charges.size();
                for (int i = 0; i < count; i++) {
                    Charge charge = charges.get(i);
                    Cell c = cell(locked, sortedKeys, charge.key());
                    if (!fits(c.spent, c.reserved, charge.amount(), charge.limit())) {
                        return new Reservation.Refused(charge.key(), charge.amount(), c.spent, c.reserved,
                                charge.limit());
                    }
                }
                String[] heldKeys = new String[count];
                long[] heldAmounts = new long[count];
                int held = 0;
                State[] states = new State[count];
                for (int i = 0; i < count; i++) {
                    Charge charge = charges.get(i);
                    Cell c = cell(locked, sortedKeys, charge.key());
                    if (charge.amount() > 0) {
                        c.hold(new Hold(id, seq, charge.amount(), leaseEnd));
                        heldKeys[held] = charge.key();
                        heldAmounts[held++] = charge.amount();
                    }
                    states[i] = new State(c.spent, c.reserved);
                    if (c.extend(Math.max(charge.expiresAt().toEpochMilli(), leaseEnd))) {
                        journal.counter(c.key, c.spent, c.expiresAt);
                    }
                }
                if (held > 0) {
                    String[] keys = held == count ? heldKeys : Arrays.copyOf(heldKeys, held);
                    journal.reserved(id, leaseEnd, keys, held == count ? heldAmounts
                            : Arrays.copyOf(heldAmounts, held));
                    reservations.put(id, new Held(leaseEnd, keys));
                }
                return new Reservation.Granted(id, Instant.ofEpochMilli(leaseEnd), states(states));
            } finally {
                unlock(locked);
            }
        }
    }

    void settleNow(String reservationId, List<Charge> actual) {
        Held held = reservations.remove(reservationId);
        String[] sortedKeys = sortedKeys(actual, held == null ? null : held.keys());
        Cell[] locked;
        do {
            locked = lock(sortedKeys);
        } while (locked == null);
        try {
            long now = clock.millis();
            for (Cell c : locked) {
                c.refresh(now, journal);
            }
            for (int i = 0; i < actual.size(); i++) {
                Charge charge = actual.get(i);
                Cell c = cell(locked, sortedKeys, charge.key());
                c.spent = Math.addExact(c.spent, charge.amount());
                c.extend(charge.expiresAt().toEpochMilli());
                journal.counter(c.key, c.spent, c.expiresAt);
            }
            // Spend first, then the reservation: a commit that catches half of this errs on holding too much.
            if (held != null) {
                for (String key : held.keys()) {
                    cell(locked, sortedKeys, key).unhold(reservationId);
                }
                journal.reservationGone(reservationId);
            }
        } finally {
            unlock(locked);
        }
    }

    void releaseNow(String reservationId) {
        Held held = reservations.remove(reservationId);
        if (held == null) {
            return;
        }
        String[] sortedKeys = sortedKeys(List.of(), held.keys());
        Cell[] locked;
        do {
            locked = lock(sortedKeys);
        } while (locked == null);
        try {
            for (Cell c : locked) {
                c.unhold(reservationId);
            }
            journal.reservationGone(reservationId);
        } finally {
            unlock(locked);
        }
    }

    Map<String, State> statesNow(Collection<String> keys) {
        long now = clock.millis();
        if (keys.size() == 1) {
            String key = keys.iterator().next();
            return Map.of(key, stateNow(key, now));
        }
        Map<String, State> states = new LinkedHashMap<>();
        for (String key : keys) {
            states.put(key, stateNow(key, now));
        }
        return states;
    }

    private State stateNow(String key, long now) {
        Cell c = cells.get(key);
        if (c == null) {
            return State.EMPTY;
        }
        c.lock.lock();
        try {
            if (!c.dead) {
                c.refresh(now, journal);
                return c.live() ? new State(c.spent, c.reserved) : State.EMPTY;
            }
            return State.EMPTY;
        } finally {
            c.lock.unlock();
        }
    }

    List<CounterState> countersNow() {
        sweep();
        List<CounterState> list = new ArrayList<>();
        for (Cell c : cells.values()) {
            c.lock.lock();
            try {
                if (!c.dead && c.live()) {
                    list.add(new CounterState(c.key, c.spent, c.reserved, Instant.ofEpochMilli(c.expiresAt)));
                }
            } finally {
                c.lock.unlock();
            }
        }
        return list;
    }

    /** Puts back a counter read from the durable store's files. */
    void restoreCounter(String key, long spent, long expiresAtMillis) {
        Cell c = cells.computeIfAbsent(key, Cell::new);
        c.spent = spent;
        c.extend(expiresAtMillis);
    }

    /** Puts back a live reservation read from the durable store's files. */
    void restoreReservation(String id, long leaseEnd, String[] keys, long[] amounts) {
        long seq = sequence.incrementAndGet();
        for (int i = 0; i < keys.length; i++) {
            Cell c = cells.computeIfAbsent(keys[i], Cell::new);
            c.hold(new Hold(id, seq, amounts[i], leaseEnd));
            c.extend(leaseEnd);
        }
        reservations.put(id, new Held(leaseEnd, keys));
    }

    /** Drops expired reservations and counters that hold nothing any more. */
    void sweep() {
        long now = clock.millis();
        reservations.forEach((id, held) -> {
            if (held.leaseEnd() <= now && reservations.remove(id, held)) {
                journal.reservationGone(id);
            }
        });
        for (Cell c : cells.values()) {
            c.lock.lock();
            try {
                if (!c.dead) {
                    c.refresh(now, journal);
                    if (!c.live()) {
                        c.dead = true;
                        cells.remove(c.key, c);
                    }
                }
            } finally {
                c.lock.unlock();
            }
        }
    }

    static <T> CompletionStage<T> closedStage() {
        return CompletableFuture.failedFuture(new IllegalStateException("the accounting store is closed"));
    }

    /** Locks the cells of the keys, in order; null (nothing locked) when one was swept meanwhile: try again. */
    private Cell[] lock(String[] sortedKeys) {
        Cell[] cellsLocked = new Cell[sortedKeys.length];
        for (int i = 0; i < sortedKeys.length; i++) {
            Cell c = cells.computeIfAbsent(sortedKeys[i], Cell::new);
            c.lock.lock();
            cellsLocked[i] = c;
            if (c.dead) {
                unlock(Arrays.copyOf(cellsLocked, i + 1));
                return null;
            }
        }
        return cellsLocked;
    }

    private static void unlock(Cell[] locked) {
        for (int i = locked.length - 1; i >= 0; i--) {
            locked[i].lock.unlock();
        }
    }

    /** The locked cell of {@code key}, one of {@code sortedKeys} (which {@code locked} follows). */
    private static Cell cell(Cell[] locked, String[] sortedKeys, String key) {
        return locked[Arrays.binarySearch(sortedKeys, key)];
    }

    /** The states as an unmodifiable list, without copying the few a request has more than once. */
    private static List<State> states(State[] states) {
        return switch (states.length) {
            case 0 -> List.of();
            case 1 -> List.of(states[0]);
            case 2 -> List.of(states[0], states[1]);
            default -> List.of(states);
        };
    }

    /**
     * The distinct keys of the charges and of {@code more} (may be null), in their natural order: the order the
     * cells are locked in. A request names a handful, so an array sorted in place beats a tree.
     */
    static String[] sortedKeys(List<Charge> charges, String[] more) {
        int extra = more == null ? 0 : more.length;
        String[] keys = new String[charges.size() + extra];
        int n = 0;
        for (int i = 0; i < charges.size(); i++) {
            n = insert(keys, n, charges.get(i).key());
        }
        for (int i = 0; i < extra; i++) {
            n = insert(keys, n, more[i]);
        }
        return n == keys.length ? keys : Arrays.copyOf(keys, n);
    }

    /** Inserts {@code key} into the sorted {@code keys[0, n)} unless it is there; returns the new count. */
    private static int insert(String[] keys, int n, String key) {
        int at = Arrays.binarySearch(keys, 0, n, key);
        if (at >= 0) {
            return n;
        }
        at = -at - 1;
        System.arraycopy(keys, at, keys, at + 1, n - at);
        keys[at] = key;
        return n + 1;
    }

    static void checkReserve(List<Charge> charges, Duration lease) {
        Objects.requireNonNull(lease, "lease");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a lease is positive, but was " + lease);
        }
        checkDistinct(charges);
    }

    static void checkSettle(String reservationId, List<Charge> actual) {
        Objects.requireNonNull(reservationId, "reservationId");
        checkDistinct(actual);
    }

    static void checkKeys(Collection<String> keys) {
        Objects.requireNonNull(keys, "keys");
        for (String key : keys) {
            Objects.requireNonNull(key, "key");
        }
    }

    private static void checkDistinct(List<Charge> charges) {
        Objects.requireNonNull(charges, "charges");
        int n = charges.size();
        if (n > SMALL) {
            HashSet<String> seen = new HashSet<>();
            for (Charge c : charges) {
                if (!seen.add(Objects.requireNonNull(c, "charge").key())) {
                    throw new IllegalArgumentException("counter " + c.key() + " is charged twice in one request");
                }
            }
            return;
        }
        // a request's handful of charges: comparing each with those before it allocates nothing
        for (int j = 0; j < n; j++) {
            String key = Objects.requireNonNull(charges.get(j), "charge").key();
            for (int i = 0; i < j; i++) {
                if (charges.get(i).key().equals(key)) {
                    throw new IllegalArgumentException("counter " + key + " is charged twice in one request");
                }
            }
        }
    }

    /** Whether {@code spent + reserved + amount <= limit}, without overflowing. */
    static boolean fits(long spent, long reserved, long amount, long limit) {
        if (limit == NO_LIMIT) {
            return true;
        }
        long sum = spent + reserved;
        if (((spent ^ sum) & (reserved ^ sum)) < 0) {
            return false;
        }
        long total = sum + amount;
        if (((sum ^ total) & (amount ^ total)) < 0) {
            return false;
        }
        return total <= limit;
    }

    private static long saturatedMillis(Duration d) {
        try {
            return d.toMillis() + (d.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
