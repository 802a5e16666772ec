package dev.chatrouter.api.spi;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Documents kept for a while: opaque text (JSON, say) under a string key, each gone once its time to live has
 * passed. It is what the HTTP server keeps stored Responses in, so that a follow-up naming one may reach any router
 * that shares the store. An {@link AccountingStore} offers one kept in the same place as its counters
 * ({@link AccountingStore#documents()}): in memory, in the durable store's file, or in Redis.
 *
 * <p>Every operation is asynchronous and never blocks its caller. Stages complete exceptionally with
 * {@link AccountingStore.Unavailable} when the store cannot be reached or cannot record the operation, and with
 * {@link IllegalStateException} once the store is closed. Invalid arguments (null, an empty key, a time to live
 * that is not positive) throw at once, before anything is sent.
 */
public interface DocumentStore {

    /**
     * Keeps {@code document} under {@code key} for {@code ttl}, replacing what was kept under it before.
     *
     * @param key      not empty
     * @param document the text to keep
     * @param ttl      how long to keep it: positive
     * @throws IllegalArgumentException when the key is empty or the time to live is not positive
     * @throws NullPointerException     when an argument is null
     */
    CompletionStage<Void> put(String key, String document, Duration ttl);

    /**
     * The document kept under {@code key}, or empty when there is none (never kept, or its time to live passed).
     *
     * @throws NullPointerException when the key is null
     */
    CompletionStage<Optional<String>> get(String key);

    /** Checks the arguments of {@link #put}, for implementations. */
    static void checkPut(String key, String document, Duration ttl) {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(document, "document");
        java.util.Objects.requireNonNull(ttl, "ttl");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a document key is not empty");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the time to live of " + key + " is positive, but was " + ttl);
        }
    }
}
