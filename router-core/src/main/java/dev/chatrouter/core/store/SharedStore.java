package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The router's configured store ({@code accounting.store}), opened once for everything kept in it: the counters
 * of budgets, opened when the router starts with budgets ({@link #openNow()}), and documents, opened at the first
 * {@link #documents()} otherwise, on a thread of its own so that no event loop waits for a file or for Redis. A
 * router continuing from another takes the same instance over, so a reload never opens the file or the connection
 * a second time.
 */
public final class SharedStore {

    private final Clock clock;
    private final boolean closesStore;
    private Supplier<AccountingStore> opener;
    private CompletableFuture<AccountingStore> opening;
    /** The store once opened, until closed. */
    private AccountingStore available;
    private InMemoryDocumentStore ownDocuments;
    private boolean closed;

    private SharedStore(Supplier<AccountingStore> opener, boolean closesStore, Clock clock) {
        this.opener = Objects.requireNonNull(opener, "opener");
        this.closesStore = closesStore;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The store {@code opener} opens, when first needed; {@link #close()} closes it.
     *
     * @param opener opens the store, or throws ({@link AccountingStore.Unavailable}, a configuration error)
     */
    public static SharedStore configured(Supplier<AccountingStore> opener, Clock clock) {
        return new SharedStore(opener, true, clock);
    }

    /** A store handed over by the embedding code: used, never closed here. */
    public static SharedStore handed(AccountingStore store, Clock clock) {
        Objects.requireNonNull(store, "store");
        return new SharedStore(() -> store, false, clock);
    }

    /**
     * Opens the store with {@code opener} instead, when it has not been opened yet: the configuration of a reload
     * applies until the store is first needed.
     */
    public synchronized void reconfigure(Supplier<AccountingStore> opener) {
        Objects.requireNonNull(opener, "opener");
        if (closesStore && (opening == null || opening.isCompletedExceptionally())) {
            this.opener = opener;
        }
    }

    /**
     * The store, opened now on this thread if it is not yet (waiting for an opening under way on another).
     *
     * @throws AccountingStore.Unavailable when it cannot be opened
     * @throws IllegalStateException       when this is closed
     */
    public AccountingStore openNow() {
        try {
            return open(Runnable::run).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /**
     * The store's documents ({@link AccountingStore#documents()}), or documents in memory when the store keeps none.
     * The first call opens the store on a new thread when it is not open yet; when that fails, the stage fails with
     * the reason and the next call tries again.
     */
    public CompletionStage<DocumentStore> documents() {
        return open(task -> {
            Thread t = new Thread(task, "chatrouter-store-open");
            t.setDaemon(true);
            t.start();
        }).thenApply(store -> store.documents().orElseGet(this::ownDocuments));
    }

    private synchronized DocumentStore ownDocuments() {
        if (ownDocuments == null) {
            ownDocuments = new InMemoryDocumentStore(clock, AccountingStores.MAX_DOCUMENTS_IN_MEMORY);
            if (closed) {
                ownDocuments.close();
            }
        }
        return ownDocuments;
    }

    private CompletableFuture<AccountingStore> open(Executor executor) {
        CompletableFuture<AccountingStore> result;
        Supplier<AccountingStore> open;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the router's store is closed"));
            }
            if (opening != null && !opening.isCompletedExceptionally()) {
                return opening;
            }
            result = opening = new CompletableFuture<>();
            open = opener;
        }
        executor.execute(() -> {
            AccountingStore store;
            try {
                store = open.get();
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            boolean kept;
            synchronized (this) {
                kept = !closed;
                if (kept) {
                    available = store;
                }
            }
            if (kept) {
                result.complete(store);
                return;
            }
            if (closesStore) {
                store.close();
            }
            result.completeExceptionally(new IllegalStateException("the router's store is closed"));
        });
        return result;
    }

    /**
     * Closes the store (when it was opened here rather than handed over) and the documents kept in memory; a store
     * still being opened is closed once it is. Closing twice does nothing.
     */
    public void close() {
        AccountingStore opened;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            opened = available;
            available = null;
            if (ownDocuments != null) {
                ownDocuments.close();
            }
        }
        if (closesStore && opened != null) {
            opened.close();
        }
    }
}
