package dev.chatrouter.http;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.core.store.AccountingStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Answers whose work ends off the server's event loops reach the client whole: an accounting store that completes
 * on a thread of its own (as Redis's client does) and a provider that answers after a timer (as the mock with
 * {@code latency_ms} does). A budgeted stream on such a store used to stop after its last chunk, without its end or
 * {@code [DONE]}, until the client gave up.
 */
class AnswerThreadTest {

    private static final String YAML = """
            providers:
              mock:
                type: mock
                reply: "ok"
                models:
                  m: { price: { input: 1.0, output: 1.0 }, capabilities: [streaming] }
              slow:
                type: mock
                reply: "late"
                latency_ms: 5
                models:
                  s: { price: { input: 1.0, output: 1.0 }, capabilities: [streaming] }
              broken:
                type: mock
                fail: server
                latency_ms: 5
                models:
                  b: { price: { input: 1.0, output: 1.0 } }
            routes:
              di: { pools: { "*": { targets: [mock/m] } } }
              slow: { pools: { "*": { targets: [slow/s] } } }
              broken: { pools: { "*": { targets: [broken/b] } } }
            budgets:
              - { scope: global, window: month, limit_usd: 100 }
            """;

    private static final ThreadStore STORE = new ThreadStore();
    private static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        server = TestServer.start(dir, YAML, Map.of(), builder -> builder.accountingStore(STORE));
    }

    @AfterAll
    static void stop() {
        server.close();
        STORE.thread.shutdownNow();
        STORE.close();
    }

    private static HttpResponse<String> chat(String model, boolean stream) {
        return Http.post(server.baseUrl() + "/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    /** Proves an answer whose budget reservation completed on the store's thread is written. */
    @Test
    void answersAfterTheStoreAnswersOnItsOwnThread() {
        long before = STORE.calls.get();
        HttpResponse<String> response = chat("di", false);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Http.json(response).at("/choices/0/message/content").asText()).isEqualTo("ok");
        assertThat(response.headers().firstValue("x-di-provider")).hasValue("mock");
        assertThat(STORE.calls.get()).as("the reservation went through the store").isGreaterThan(before);
    }

    /** Proves a stream whose budget is reserved and settled on the store's thread is relayed to its end. */
    @Test
    void streamsAfterTheStoreAnswersOnItsOwnThread() {
        HttpResponse<String> response = chat("di", true);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"content\":\"ok\"").contains("data: [DONE]");
    }

    /** Proves an Anthropic Messages stream on the same store is relayed to its end. */
    @Test
    void messagesStreamsAfterTheStoreAnswersOnItsOwnThread() {
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/messages", "{\"model\":\"di\",\"max_tokens\""
                + ":16,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"text\":\"ok\"").contains("event: message_stop");
    }

    /** Proves a Responses stream on the same store is relayed to its end. */
    @Test
    void responsesStreamsAfterTheStoreAnswersOnItsOwnThread() {
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/responses",
                "{\"model\":\"di\",\"stream\":true,\"store\":false,\"input\":\"hi\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("event: response.completed");
    }

    /** Proves an answer the provider gives from a timer's thread is written. */
    @Test
    void answersWhenTheProviderAnswersFromATimer() {
        HttpResponse<String> response = chat("slow", false);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Http.json(response).at("/choices/0/message/content").asText()).isEqualTo("late");
    }

    /** Proves a failure the provider reports from a timer's thread is answered in the error envelope. */
    @Test
    void answersAFailureReportedFromATimer() {
        HttpResponse<String> response = chat("broken", false);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(Http.error(response).path("code").asText()).isEqualTo("upstream_error");
    }

    /** Proves the spend, which the store reads on its own thread, is answered. */
    @Test
    void answersTheSpendReadOnTheStoresThread() {
        chat("di", false);
        HttpResponse<String> response = Http.get(server.baseUrl() + "/v1/router/spend");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("global");
    }

    /**
     * The in-memory store, answering every call on a thread of its own: the callbacks the router chains on its
     * answers run there, off the server's event loops.
     */
    private static final class ThreadStore implements AccountingStore {
        final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-store");
            t.setDaemon(true);
            return t;
        });
        final AtomicLong calls = new AtomicLong();
        private final AccountingStore inner = AccountingStores.inMemory(Clock.systemUTC());

        private <T> CompletionStage<T> later(Supplier<CompletionStage<T>> operation) {
            calls.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> operation.get().toCompletableFuture().join(), thread);
        }

        @Override
        public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
            return later(() -> inner.reserve(charges, lease));
        }

        @Override
        public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
            return later(() -> inner.settle(reservationId, actual));
        }

        @Override
        public CompletionStage<Void> release(String reservationId) {
            return later(() -> inner.release(reservationId));
        }

        @Override
        public CompletionStage<Map<String, State>> states(Collection<String> keys) {
            return later(() -> inner.states(keys));
        }

        @Override
        public CompletionStage<List<CounterState>> counters() {
            return later(inner::counters);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
