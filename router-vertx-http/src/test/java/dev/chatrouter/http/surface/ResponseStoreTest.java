package dev.chatrouter.http.surface;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;
import dev.chatrouter.core.store.AccountingStores;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Stored responses on the router's documents: kept for the configured time to live under their own keys, and a
 * store that cannot be read is a 503-class error naming it.
 */
class ResponseStoreTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static <T> T join(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }

    /** Proves a stored response reads back until the configured TTL has passed by the store's clock, then not. */
    @Test
    void aStoredResponseExpiresAtTheConfiguredTtl() throws Exception {
        ManualClock clock = new ManualClock();
        try (AccountingStore shared = AccountingStores.inMemory(clock)) {
            DocumentStore documents = shared.documents().orElseThrow();
            ResponseStore store = ResponseStore.of(() -> CompletableFuture.completedFuture(documents),
                    Duration.ofMinutes(10), null);
            join(store.put("resp_1", "{\"messages\":[]}"));
            assertThat(join(documents.get("response:resp_1"))).contains("{\"messages\":[]}");

            clock.now = clock.now.plus(Duration.ofMinutes(9));
            assertThat(join(store.get("resp_1"))).contains("{\"messages\":[]}");
            clock.now = clock.now.plus(Duration.ofMinutes(1));
            assertThat(join(store.get("resp_1"))).isEmpty();
            assertThat(join(store.get("resp_unknown"))).isEmpty();
        }
    }

    /** Proves a store that cannot be read fails with store_unavailable, naming the store and the parameter. */
    @Test
    void anUnreadableStoreIsStoreUnavailableNamingIt() {
        ResponseStore store = ResponseStore.of(() -> CompletableFuture.failedFuture(new AccountingStore.Unavailable(
                "redis store at 127.0.0.1:6390", "Connection refused", null)), Duration.ofHours(1), null);
        assertThatThrownBy(() -> join(store.get("resp_1")))
                .isInstanceOfSatisfying(ChatRouterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
                    assertThat(e.param()).contains("previous_response_id");
                    assertThat(e.metadata()).containsEntry("store", "redis store at 127.0.0.1:6390");
                    assertThat(e.getMessage()).contains("resp_1")
                            .contains("redis store at 127.0.0.1:6390 unavailable: Connection refused");
                });
    }

    /** Proves a response is found only by its owner's store, under response:<owner>/<id>. */
    @Test
    void aResponseIsFoundOnlyByItsOwner() throws Exception {
        try (AccountingStore shared = AccountingStores.inMemory(new ManualClock())) {
            DocumentStore documents = shared.documents().orElseThrow();
            ResponseStore teamA = ResponseStore.of(() -> CompletableFuture.completedFuture(documents),
                    Duration.ofMinutes(10), "team-a");
            ResponseStore teamB = ResponseStore.of(() -> CompletableFuture.completedFuture(documents),
                    Duration.ofMinutes(10), "team-b");
            join(teamA.put("resp_1", "{\"messages\":[]}"));
            assertThat(join(documents.get("response:team-a/resp_1"))).contains("{\"messages\":[]}");
            assertThat(join(teamA.get("resp_1"))).contains("{\"messages\":[]}");
            assertThat(join(teamB.get("resp_1"))).isEmpty();
        }
    }

    /** Proves the documents are asked for at the first operation, not when the store is made (store: false). */
    @Test
    void theDocumentsAreOpenedAtTheFirstOperation() throws Exception {
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        try (AccountingStore shared = AccountingStores.inMemory(new ManualClock())) {
            DocumentStore documents = shared.documents().orElseThrow();
            ResponseStore store = ResponseStore.of(() -> {
                opened.incrementAndGet();
                return CompletableFuture.completedFuture(documents);
            }, Duration.ofMinutes(10), null);
            assertThat(opened).hasValue(0);
            assertThat(join(store.get("resp_1"))).isEmpty();
            assertThat(opened).hasValue(1);
        }
    }

    /** Proves a TTL that is not positive is refused with what was wrong. */
    @Test
    void aTtlThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> ResponseStore.of(CompletableFuture::new, Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
    }
}
