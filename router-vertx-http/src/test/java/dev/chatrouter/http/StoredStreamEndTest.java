package dev.chatrouter.http;

import dev.chatrouter.api.spi.DocumentStore;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.ForwardingAccountingStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A streamed, stored response ends ({@code response.completed}) only once it is stored: a client that reads the end
 * and at once continues with {@code previous_response_id}, at this server or another one sharing the store, finds
 * it. The store here answers its put only when the test lets it.
 */
class StoredStreamEndTest {

    private static final String YAML = """
            providers:
              mock:
                type: mock
                reply: "stored answer"
                models:
                  m: { price: { input: 1.0, output: 1.0 }, capabilities: [streaming] }
            routes:
              di: { pools: { "*": { targets: [mock/m] } } }
            """;

    private static final GatedStore STORE = new GatedStore();
    private static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        server = TestServer.start(dir, YAML, Map.of(), builder -> builder.accountingStore(STORE));
    }

    @AfterAll
    static void stop() {
        server.close();
        STORE.close();
    }

    @Test
    void theStreamEndsOnceTheResponseIsStored() throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/v1/responses")).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"di\",\"stream\":true,\"input\":\"hi\"}"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (Exception e) {
                lines.add("reader failed: " + e);
            }
            lines.add("<end>");
        }, "test-sse-reader");
        reader.setDaemon(true);
        reader.start();

        String key = STORE.putCalled.get(10, TimeUnit.SECONDS);
        // the put is pending: the stream may carry its content, but not its end
        String line;
        while ((line = lines.poll(1, TimeUnit.SECONDS)) != null) {
            assertThat(line).doesNotContain("response.completed").isNotEqualTo("<end>");
        }

        STORE.gate.complete(null);
        boolean completed = false;
        while (!"<end>".equals(line = lines.poll(10, TimeUnit.SECONDS))) {
            assertThat(line).as("the stream goes on to its end").isNotNull();
            completed |= line.contains("\"type\":\"response.completed\"");
        }
        assertThat(completed).isTrue();
        assertThat(STORE.documents.get(key)).contains("stored answer");
    }

    /** The in-memory accounting store, with documents whose puts land when {@link #gate} completes. */
    private static final class GatedStore extends ForwardingAccountingStore {
        final CompletableFuture<String> putCalled = new CompletableFuture<>();
        final CompletableFuture<Void> gate = new CompletableFuture<>();
        final Map<String, String> documents = new ConcurrentHashMap<>();
        private final DocumentStore gated = new DocumentStore() {
            @Override
            public CompletionStage<Void> put(String key, String document, Duration ttl) {
                putCalled.complete(key);
                return gate.thenRun(() -> documents.put(key, document));
            }

            @Override
            public CompletionStage<Optional<String>> get(String key) {
                return CompletableFuture.completedFuture(Optional.ofNullable(documents.get(key)));
            }
        };

        GatedStore() {
            super(AccountingStores.inMemory(Clock.systemUTC()));
        }

        @Override
        public Optional<DocumentStore> documents() {
            return Optional.of(gated);
        }
    }
}
