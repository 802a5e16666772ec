package dev.chatrouter.api.spi;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link DocumentStore} does: each implementation's test extends this class and says how to open a fresh
 * accounting store whose {@link AccountingStore#documents()} it tests. Expiry is tested by each implementation with
 * its own clock; here no time to live ends during a test.
 */
public abstract class DocumentStoreContract {

    /** Long enough that no document expires during a test. */
    protected static final Duration TTL = Duration.ofDays(7);

    protected AccountingStore store;
    protected DocumentStore documents;

    /** A fresh store that shares no document with any other store this method returned. */
    protected abstract AccountingStore openStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = openStore();
        documents = store.documents().orElseThrow(() -> new AssertionError(store + " keeps no documents"));
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the store did not answer within 30 s", e);
        }
    }

    /** Proves a kept document reads back as it was written, JSON with quotes, newlines and non-ASCII text included. */
    @Test
    void aKeptDocumentReadsBackUnchanged() {
        String json = "{\"role\":\"user\",\"content\":\"caf\u00e9 \\\"quoted\\\"\\nline \u2603\"}";
        join(documents.put("resp_1", json, TTL));
        assertThat(join(documents.get("resp_1"))).contains(json);
    }

    /** Proves a key never kept reads as empty, not as an error. */
    @Test
    void anUnknownKeyIsEmpty() {
        assertThat(join(documents.get("resp_never"))).isEmpty();
    }

    /** Proves keeping under a key again replaces the document, and other keys are untouched. */
    @Test
    void keepingAgainReplaces() {
        join(documents.put("a", "{\"v\":1}", TTL));
        join(documents.put("b", "{\"v\":2}", TTL));
        join(documents.put("a", "{\"v\":3}", TTL));
        assertThat(join(documents.get("a"))).contains("{\"v\":3}");
        assertThat(join(documents.get("b"))).contains("{\"v\":2}");
    }

    /** Proves the same store is returned by every call, so its documents are one set. */
    @Test
    void everyCallReturnsTheSameDocuments() {
        join(documents.put("k", "x", TTL));
        assertThat(join(store.documents().orElseThrow().get("k"))).contains("x");
    }

    /** Proves many documents kept concurrently all read back. */
    @Test
    void concurrentPutsAllLand() {
        List<CompletionStage<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            puts.add(documents.put("doc-" + i, "{\"i\":" + i + "}", TTL));
        }
        puts.forEach(DocumentStoreContract::join);
        for (int i = 0; i < 200; i++) {
            assertThat(join(documents.get("doc-" + i))).contains("{\"i\":" + i + "}");
        }
    }

    /** Proves bad arguments throw at once, naming what is wrong. */
    @Test
    void badArgumentsThrowAtOnce() {
        assertThatThrownBy(() -> documents.put("", "x", TTL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key");
        assertThatThrownBy(() -> documents.put("k", "x", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("time to live");
        assertThatThrownBy(() -> documents.put("k", null, TTL)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("document");
        assertThatThrownBy(() -> documents.get(null)).isInstanceOf(NullPointerException.class);
    }

    /** Proves the documents close with their store: later operations fail with IllegalStateException. */
    @Test
    void closingTheStoreClosesItsDocuments() {
        store.close();
        assertThatThrownBy(() -> join(documents.get("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> join(documents.put("k", "x", TTL))).isInstanceOf(IllegalStateException.class);
        store = null;
    }
}
