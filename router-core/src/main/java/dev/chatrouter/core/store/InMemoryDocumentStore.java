package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.DocumentStore;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Documents in the heap, in the order they were kept: past {@code maxDocuments} the oldest go first, so memory
 * stays bounded, and expired documents at the head are dropped as new ones arrive. A document reads as gone once
 * its time to live has passed by the clock. Operations complete before they return.
 */
final class InMemoryDocumentStore implements DocumentStore {

    private record Entry(String document, long expiresAtMillis) {
    }

    private final Clock clock;
    private final int maxDocuments;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private volatile boolean closed;

    InMemoryDocumentStore(Clock clock, int maxDocuments) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("the most documents kept is at least 1, but was " + maxDocuments);
        }
        this.maxDocuments = maxDocuments;
    }

    @Override
    public CompletionStage<Void> put(String key, String document, Duration ttl) {
        DocumentStore.checkPut(key, document, ttl);
        if (closed) {
            return closedStage();
        }
        long now = clock.millis();
        synchronized (entries) {
            entries.remove(key);
            entries.put(key, new Entry(document, expiry(now, ttl)));
            Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
            while (oldest.hasNext()) {
                Entry e = oldest.next().getValue();
                if (entries.size() <= maxDocuments && e.expiresAtMillis() > now) {
                    break;
                }
                oldest.remove();
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<String>> get(String key) {
        Objects.requireNonNull(key, "key");
        if (closed) {
            return closedStage();
        }
        long now = clock.millis();
        synchronized (entries) {
            Entry e = entries.get(key);
            if (e == null) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            if (e.expiresAtMillis() <= now) {
                entries.remove(key);
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return CompletableFuture.completedFuture(Optional.of(e.document()));
        }
    }

    /** How many documents are held, expired ones not yet dropped included: for tests of the bound. */
    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    void close() {
        closed = true;
        synchronized (entries) {
            entries.clear();
        }
    }

    private static <T> CompletionStage<T> closedStage() {
        return CompletableFuture.failedFuture(new IllegalStateException("the document store is closed"));
    }

    /** {@code now + ttl} in milliseconds, rounded up and saturated. */
    static long expiry(long nowMillis, Duration ttl) {
        long millis;
        try {
            millis = ttl.toMillis() + (ttl.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
        } catch (ArithmeticException tooLong) {
            millis = Long.MAX_VALUE;
        }
        long at = nowMillis + millis;
        return at < nowMillis ? Long.MAX_VALUE : at;
    }
}
