package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStoreContract;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The document contract in the heap, with expiry by an injected clock and the bound on how many are kept. */
class InMemoryDocumentStoreTest extends DocumentStoreContract {

    private final MutableClock clock = MutableClock.atEpochOf2026();

    @Override
    protected AccountingStore openStore() {
        return AccountingStores.inMemory(clock);
    }

    /** Proves a document reads until its time to live has passed by the clock, and is gone from then on. */
    @Test
    void aDocumentExpiresByTheClock() {
        join(documents.put("resp_1", "{}", Duration.ofHours(1)));
        clock.advance(Duration.ofMinutes(59));
        assertThat(join(documents.get("resp_1"))).contains("{}");
        clock.advance(Duration.ofMinutes(1));
        assertThat(join(documents.get("resp_1"))).isEmpty();
    }

    /** Proves keeping a document again starts its time to live over. */
    @Test
    void keepingAgainRenewsTheTimeToLive() {
        join(documents.put("k", "1", Duration.ofHours(1)));
        clock.advance(Duration.ofMinutes(50));
        join(documents.put("k", "2", Duration.ofHours(1)));
        clock.advance(Duration.ofMinutes(50));
        assertThat(join(documents.get("k"))).contains("2");
    }

    /** Proves memory stays bounded: past the bound the oldest documents go first, the newest stay. */
    @Test
    void pastTheBoundTheOldestGoFirst() {
        InMemoryDocumentStore small = new InMemoryDocumentStore(clock, 3);
        for (int i = 0; i < 5; i++) {
            join(small.put("d" + i, "x" + i, TTL));
        }
        assertThat(small.size()).isEqualTo(3);
        assertThat(join(small.get("d0"))).isEmpty();
        assertThat(join(small.get("d1"))).isEmpty();
        assertThat(join(small.get("d4"))).contains("x4");
        assertThat(join(small.get("d2"))).contains("x2");
    }

    /** Proves expired documents at the head are dropped as new ones arrive, before the bound is reached. */
    @Test
    void expiredDocumentsAreDroppedAsNewOnesArrive() {
        InMemoryDocumentStore small = new InMemoryDocumentStore(clock, 100);
        join(small.put("old-1", "x", Duration.ofMinutes(1)));
        join(small.put("old-2", "x", Duration.ofMinutes(1)));
        clock.advance(Duration.ofMinutes(2));
        join(small.put("new", "y", TTL));
        assertThat(small.size()).isEqualTo(1);
    }
}
