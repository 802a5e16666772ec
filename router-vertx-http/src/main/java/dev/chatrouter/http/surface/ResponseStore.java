package dev.chatrouter.http.surface;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Where the Responses surface keeps stored responses, so that a request naming one as {@code previous_response_id}
 * carries its turns upstream: opaque JSON text per response id (the surface decides what it needs to keep), in the
 * router's {@link DocumentStore}, kept for a time to live. Every operation is asynchronous.
 */
public interface ResponseStore {

    /**
     * Keeps a response's JSON.
     *
     * @param id the response id ({@code resp_...})
     * @return completes once kept, or fails with the store's reason
     */
    CompletionStage<Void> put(String id, String json);

    /**
     * The JSON stored under {@code id}, or empty when it is unknown or has expired.
     *
     * @return fails with a {@link ChatRouterException} of {@link ErrorCode#STORE_UNAVAILABLE} naming the store
     *         (message and {@code store} metadata) when the store cannot be read
     */
    CompletionStage<Optional<String>> get(String id);

    /**
     * Responses kept in {@code documents} (asked for at the first operation: a request that stores and reads
     * nothing opens no store) for {@code ttl}, each under its owner: {@code response:<owner>/<id>}, or
     * {@code response:<id>} without one. A response belongs to the key that created it, as OpenAI's belong to a
     * project: another owner does not find it.
     *
     * @param owner the name of the caller's key, or {@code null} when the server has no keys
     * @throws IllegalArgumentException when {@code ttl} is not positive
     */
    static ResponseStore of(Supplier<CompletionStage<DocumentStore>> documents, Duration ttl, String owner) {
        Objects.requireNonNull(documents, "documents");
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive but was " + ttl);
        }
        String prefix = owner == null ? "response:" : "response:" + owner + "/";
        return new ResponseStore() {
            @Override
            public CompletionStage<Void> put(String id, String json) {
                return documents.get().thenCompose(d -> d.put(prefix + id, json, ttl));
            }

            @Override
            public CompletionStage<Optional<String>> get(String id) {
                return documents.get().thenCompose(d -> d.get(prefix + id)).exceptionallyCompose(e ->
                        CompletableFuture.failedFuture(unavailable(id, e)));
            }
        };
    }

    /** A failed read as the client is told it: a 503 naming the store. */
    private static Throwable unavailable(String id, Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ChatRouterException c) {
            return c;
        }
        String store = e instanceof AccountingStore.Unavailable u ? u.store() : "the response store";
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return ChatRouterException.builder(ErrorCode.STORE_UNAVAILABLE, "cannot read the stored response '" + id
                        + "' named by previous_response_id: " + (e instanceof AccountingStore.Unavailable ? reason
                        : store + " unavailable: " + reason))
                .param("previous_response_id").metadata("store", store).build();
    }
}
