package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The in-memory store, with every change written through to an H2 MVStore file: the spend of each counter in the
 * map {@code spent} ({@code key -> [spent, expiresAtMillis]}) and each live reservation in {@code reservations}
 * ({@code id -> [leaseEndMillis, keys, amounts]}). What is reserved is not written: it is summed again from the live
 * reservations when the file is opened, so no commit can leave an amount reserved without its reservation.
 *
 * <p>A thread commits every flush interval, and {@link #close()} commits. Operations share a read lock and a
 * commit takes the write lock, so every commit holds whole operations only; after the commit the file is synced.
 * A crash of the process keeps every operation completed before the last commit started; the operations of the
 * last flush interval at most are lost. Reservations read back from the file whose leases ended are released
 * at once, so a dead router's reservations never pin a budget. After a write to the file fails, every operation
 * completes with {@link AccountingStore.Unavailable} until the store is opened again.
 *
 * <p>{@link #documents()} keeps documents in the same file: the map {@code documents}
 * ({@code key -> [expiresAtMillis, text]}) and the index {@code documents.expiry} ({@code "<expiresAtMillis, 19
 * digits>|key" -> key}), in expiry order, so expired documents are purged from its head when the file is opened
 * and then at most every {@link #PURGE_INTERVAL_MILLIS}, by the commit thread. They share the commits (and what a
 * crash loses) with the counters.
 */
final class DurableAccountingStore implements AccountingStore {

    private static final System.Logger LOG = System.getLogger(DurableAccountingStore.class.getName());
    /** Below this share of live data in the file, a commit first rewrites sparse chunks. */
    private static final int TARGET_FILL_RATE = 50;
    private static final int COMPACT_WRITE_BYTES = 1 << 20;
    /** How often, at most, the commit thread purges expired documents. */
    static final long PURGE_INTERVAL_MILLIS = 60_000;
    /** How many expired documents one purge removes at most, so a commit stays short. */
    private static final int PURGE_BATCH = 10_000;

    private final String name;
    private final MVStore mv;
    private final MVMap<String, long[]> spent;
    private final MVMap<String, Object[]> reservations;
    private final MVMap<String, Object[]> documentMap;
    private final MVMap<String, String> documentExpiry;
    private final Documents documents = new Documents();
    private final Clock clock;
    private long nextPurge;
    private final InMemoryAccountingStore ledger;
    private final ReentrantReadWriteLock commitLock = new ReentrantReadWriteLock();
    private final ScheduledExecutorService committer;
    private final AtomicLong commits = new AtomicLong();
    private volatile RuntimeException broken;
    private volatile boolean closed;

    private DurableAccountingStore(Path file, MVStore mv, Duration flushInterval, Clock clock) {
        this.name = "durable store at " + file;
        this.mv = mv;
        this.spent = mv.openMap("spent");
        this.reservations = mv.openMap("reservations");
        this.documentMap = mv.openMap("documents");
        this.documentExpiry = mv.openMap("documents.expiry");
        this.clock = clock;
        this.ledger = new InMemoryAccountingStore(clock, new MapJournal(),
                "d" + UUID.randomUUID().toString().substring(0, 8) + "-");
        load(clock.millis());
        purgeDocuments(clock.millis());
        mv.commit();
        this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chatrouter-store-commit");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, flushInterval.toMillis());
        committer.scheduleWithFixedDelay(this::commitNow, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens (or creates) the store in {@code file}.
     *
     * @throws AccountingStore.Unavailable when the file cannot be opened (another process holds it, it is no store)
     */
    static DurableAccountingStore open(Path file, Duration flushInterval, Clock clock) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(flushInterval, "flushInterval");
        Objects.requireNonNull(clock, "clock");
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("the flush interval is positive, but was " + flushInterval);
        }
        MVStore mv;
        try {
            mv = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
        } catch (MVStoreException e) {
            throw new Unavailable("durable store at " + file, "cannot open the file: " + e.getMessage(), e);
        }
        try {
            return new DurableAccountingStore(file, mv, flushInterval, clock);
        } catch (RuntimeException e) {
            mv.closeImmediately();
            throw e instanceof MVStoreException
                    ? new Unavailable("durable store at " + file, "cannot read the file: " + e.getMessage(), e)
                    : e;
        }
    }

    private void load(long now) {
        for (Map.Entry<String, long[]> e : new ArrayList<>(spent.entrySet())) {
            long[] v = e.getValue();
            if (v[1] <= now) {
                spent.remove(e.getKey());
            } else {
                ledger.restoreCounter(e.getKey(), v[0], v[1]);
            }
        }
        for (Map.Entry<String, Object[]> e : new ArrayList<>(reservations.entrySet())) {
            Object[] v = e.getValue();
            long leaseEnd = (Long) v[0];
            if (leaseEnd <= now) {
                reservations.remove(e.getKey());
            } else {
                ledger.restoreReservation(e.getKey(), leaseEnd, (String[]) v[1], (long[]) v[2]);
            }
        }
    }

    @Override
    public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
        InMemoryAccountingStore.checkReserve(charges, lease);
        return run(() -> ledger.reserveNow(charges, lease));
    }

    @Override
    public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
        InMemoryAccountingStore.checkSettle(reservationId, actual);
        return run(() -> {
            ledger.settleNow(reservationId, actual);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> release(String reservationId) {
        Objects.requireNonNull(reservationId, "reservationId");
        return run(() -> {
            ledger.releaseNow(reservationId);
            return null;
        });
    }

    @Override
    public CompletionStage<Map<String, State>> states(Collection<String> keys) {
        InMemoryAccountingStore.checkKeys(keys);
        return run(() -> ledger.statesNow(keys));
    }

    @Override
    public CompletionStage<List<CounterState>> counters() {
        return run(ledger::countersNow);
    }

    private <T> CompletionStage<T> run(Supplier<T> operation) {
        Lock lock = commitLock.readLock();
        lock.lock();
        try {
            if (closed) {
                return InMemoryAccountingStore.closedStage();
            }
            RuntimeException failure = broken;
            if (failure != null) {
                return CompletableFuture.failedFuture(
                        new Unavailable(name, "an earlier write failed: " + failure.getMessage(), failure));
            }
            return CompletableFuture.completedFuture(operation.get());
        } catch (MVStoreException e) {
            broken = e;
            return CompletableFuture.failedFuture(new Unavailable(name, "cannot write: " + e.getMessage(), e));
        } finally {
            lock.unlock();
        }
    }

    /** Commits what changed since the last commit, then syncs the file. Runs on the commit thread and in tests. */
    void commitNow() {
        Lock lock = commitLock.writeLock();
        lock.lock();
        try {
            if (closed || broken != null) {
                return;
            }
            long now = clock.millis();
            if (now >= nextPurge) {
                purgeDocuments(now);
            }
            if (!mv.hasUnsavedChanges()) {
                return;
            }
            if (mv.getFillRate() < TARGET_FILL_RATE) {
                mv.compact(TARGET_FILL_RATE, COMPACT_WRITE_BYTES);
            }
            mv.commit();
            mv.sync();
            commits.incrementAndGet();
        } catch (MVStoreException e) {
            broken = e;
            LOG.log(Level.ERROR, name + ": commit failed, the store refuses operations until reopened", e);
        } finally {
            lock.unlock();
        }
    }

    /** Removes expired documents from the head of the expiry index, at most {@link #PURGE_BATCH}. */
    private void purgeDocuments(long now) {
        nextPurge = now + PURGE_INTERVAL_MILLIS;
        List<String> expired = new ArrayList<>();
        for (Map.Entry<String, String> e : documentExpiry.entrySet()) {
            if (expiresAt(e.getKey()) > now || expired.size() >= PURGE_BATCH) {
                break;
            }
            expired.add(e.getKey());
        }
        for (String indexKey : expired) {
            String key = documentExpiry.remove(indexKey);
            Object[] held = key == null ? null : documentMap.get(key);
            if (held != null && (Long) held[0] <= now) {
                documentMap.remove(key);
            }
        }
    }

    private static String indexKey(long expiresAtMillis, String key) {
        return String.format("%019d|%s", expiresAtMillis, key);
    }

    private static long expiresAt(String indexKey) {
        return Long.parseLong(indexKey.substring(0, 19));
    }

    /** The documents in the file, expired ones not yet purged included: for tests of the purge. */
    int documentCount() {
        return documentMap.size();
    }

    /** Commits done by {@link #commitNow()}, for tests that wait for one. */
    long commits() {
        return commits.get();
    }

    /** The engine underneath, for tests that make it fail. */
    MVStore mvStore() {
        return mv;
    }

    @Override
    public void close() {
        committer.shutdown();
        try {
            if (!committer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, name + ": the commit thread did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Lock lock = commitLock.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            ledger.close();
            if (broken != null || mv.isClosed()) {
                mv.closeImmediately();
                return;
            }
            mv.commit();
            mv.close();
        } catch (MVStoreException e) {
            mv.closeImmediately();
            throw new Unavailable(name, "cannot commit on close: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** Documents in the same file as the counters, in the maps {@code documents} and {@code documents.expiry}. */
    @Override
    public Optional<DocumentStore> documents() {
        return Optional.of(documents);
    }

    private final class Documents implements DocumentStore {
        @Override
        public CompletionStage<Void> put(String key, String document, Duration ttl) {
            DocumentStore.checkPut(key, document, ttl);
            return run(() -> {
                long expires = InMemoryDocumentStore.expiry(clock.millis(), ttl);
                Object[] before = documentMap.put(key, new Object[] {expires, document});
                if (before != null) {
                    documentExpiry.remove(indexKey((Long) before[0], key));
                }
                documentExpiry.put(indexKey(expires, key), key);
                return null;
            });
        }

        @Override
        public CompletionStage<Optional<String>> get(String key) {
            Objects.requireNonNull(key, "key");
            return run(() -> {
                Object[] held = documentMap.get(key);
                return held == null || (Long) held[0] <= clock.millis() ? Optional.<String>empty()
                        : Optional.of((String) held[1]);
            });
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Writes every change of the ledger into the maps. */
    private final class MapJournal implements InMemoryAccountingStore.Journal {
        @Override
        public void counter(String key, long spentNow, long expiresAtMillis) {
            spent.put(key, new long[] {spentNow, expiresAtMillis});
        }

        @Override
        public void counterGone(String key) {
            spent.remove(key);
        }

        @Override
        public void reserved(String id, long leaseEndMillis, String[] keys, long[] amounts) {
            reservations.put(id, new Object[] {leaseEndMillis, keys, amounts});
        }

        @Override
        public void reservationGone(String id) {
            reservations.remove(id);
        }
    }
}
