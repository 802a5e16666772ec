package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStoreContract;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The document contract in the durable store's file: documents survive a close and a reopen, share the file with
 * the counters, expire by the injected clock, and expired ones are purged from the file.
 */
class DurableDocumentStoreTest extends DocumentStoreContract {

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.atEpochOf2026();
    private Path file;

    @Override
    protected AccountingStore openStore() {
        file = dir.resolve("store-" + System.nanoTime() + ".mv");
        return AccountingStores.durable(file, clock);
    }

    private void reopen() {
        store.close();
        store = AccountingStores.durable(file, clock);
        documents = store.documents().orElseThrow();
    }

    /** Proves documents and counters survive a close and a reopen of the same file. */
    @Test
    void documentsSurviveCloseAndReopenNextToTheCounters() {
        join(documents.put("resp_1", "{\"turns\":1}", TTL));
        join(store.settle("none", List.of(AccountingStore.Charge.of("global", 5,
                clock.instant().plus(Duration.ofDays(1))))));
        reopen();
        assertThat(join(documents.get("resp_1"))).contains("{\"turns\":1}");
        assertThat(join(store.states(List.of("global"))).get("global").spent()).isEqualTo(5);
    }

    /** Proves a document expires by the clock, also when read back from the file after a reopen. */
    @Test
    void aDocumentExpiresByTheClockAcrossAReopen() {
        join(documents.put("resp_1", "{}", Duration.ofHours(1)));
        join(documents.put("resp_2", "{}", Duration.ofHours(3)));
        clock.advance(Duration.ofMinutes(59));
        reopen();
        assertThat(join(documents.get("resp_1"))).contains("{}");
        clock.advance(Duration.ofMinutes(1));
        assertThat(join(documents.get("resp_1"))).isEmpty();
        assertThat(join(documents.get("resp_2"))).contains("{}");
    }

    /** Proves expired documents are removed from the file when it is opened, and live ones kept. */
    @Test
    void expiredDocumentsArePurgedOnOpen() {
        join(documents.put("short", "x", Duration.ofMinutes(1)));
        join(documents.put("long", "y", Duration.ofDays(1)));
        clock.advance(Duration.ofMinutes(5));
        reopen();
        assertThat(((DurableAccountingStore) store).documentCount()).isEqualTo(1);
        assertThat(join(documents.get("long"))).contains("y");
    }

    /** Proves the commit thread's purge removes expired documents while the store stays open. */
    @Test
    void expiredDocumentsArePurgedByACommit() {
        DurableAccountingStore durable = (DurableAccountingStore) store;
        join(documents.put("short", "x", Duration.ofMinutes(1)));
        join(documents.put("replaced", "x", Duration.ofMinutes(1)));
        join(documents.put("replaced", "y", Duration.ofDays(1)));
        clock.advance(Duration.ofMillis(DurableAccountingStore.PURGE_INTERVAL_MILLIS + 1));
        durable.commitNow();
        assertThat(durable.documentCount()).isEqualTo(1);
        assertThat(join(documents.get("replaced"))).contains("y");
    }
}
