package dev.chatrouter.http;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.EmbeddingResult;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.kit.config.ConfigFiles;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server serves any {@link ChatRouter}, such as a service's own decorator of the default one. One that throws
 * instead of returning a failed stage (a bug) gets each request a 500 {@code internal_error}, and leaves nothing in
 * flight: a shutdown with a long grace does not wait for requests that will never finish.
 */
class ThrowingRouterTest {

    @Test
    void aRouterThatThrowsIsAnswered500AndLeavesNothingInFlight(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("chatrouter.yaml");
        Files.writeString(file, """
                providers:
                  mock: { type: mock, models: { m: { price: { input: 1.0, output: 1.0 } } } }
                routes:
                  di: { pools: { "*": { targets: [mock/m] } } }
                server: { shutdown_grace: 60s }
                """);
        Vertx vertx = Vertx.vertx();
        ChatRouter real = ChatRouter.builder().configFile(file).service(Vertx.class, vertx).build();
        try {
            ChatRouterServer server = ChatRouterServer.start(vertx, new Throwing(real),
                    ServerSettings.read(ConfigFiles.section(file, "server", Map.of())).withPort(0), List.of(), 1)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + server.port();

            for (String body : List.of(
                    "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "{\"model\":\"di\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")) {
                HttpResponse<String> response = Http.post(base + "/v1/chat/completions", body);
                assertThat(response.statusCode()).isEqualTo(500);
                assertThat(Http.error(response).path("code").asText()).isEqualTo("internal_error");
            }
            HttpResponse<String> embedding = Http.post(base + "/v1/embeddings",
                    "{\"model\":\"di\",\"input\":\"hi\"}");
            assertThat(embedding.statusCode()).isEqualTo(500);
            HttpResponse<String> messages = Http.post(base + "/v1/messages",
                    "{\"model\":\"di\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(messages.statusCode()).isEqualTo(500);

            server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            real.close();
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** The real router, but its calls throw. */
    private static final class Throwing implements ChatRouter {
        private final ChatRouter real;

        Throwing(ChatRouter real) {
            this.real = real;
        }

        @Override
        public CompletionStage<ChatResult> chat(ChatRequest request, RequestContext context) {
            throw new IllegalStateException("a bug in the decorator");
        }

        @Override
        public ChatStream stream(ChatRequest request, RequestContext context) {
            throw new IllegalStateException("a bug in the decorator");
        }

        @Override
        public CompletionStage<EmbeddingResult> embed(EmbeddingRequest request, RequestContext context) {
            throw new IllegalStateException("a bug in the decorator");
        }

        @Override
        public long estimateInputTokens(ChatRequest request) {
            return real.estimateInputTokens(request);
        }

        @Override
        public List<ModelInfo> models() {
            return real.models();
        }

        @Override
        public List<BudgetStatus> spend() {
            return real.spend();
        }

        @Override
        public List<TargetHealth> health() {
            return real.health();
        }

        @Override
        public List<RouteConfig> routes() {
            return real.routes();
        }

        @Override
        public void close() {
        }
    }
}
