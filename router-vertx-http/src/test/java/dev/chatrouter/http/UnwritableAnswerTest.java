package dev.chatrouter.http;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An answer the server cannot write (a plugin's response with a field JSON cannot hold) is a 500 internal error at
 * once, and the server goes on serving; it used to leave the client waiting for the server's idle timeout.
 */
class UnwritableAnswerTest {

    private static final String YAML = """
            providers:
              odd:
                type: unwritable
                models:
                  m: { price: { input: 1.0, output: 1.0 } }
              mock:
                type: mock
                reply: "ok"
                models:
                  ok: { price: { input: 1.0, output: 1.0 } }
            routes:
              di: { pools: { "*": { targets: [odd/m] } } }
              fine: { pools: { "*": { targets: [mock/ok] } } }
            """;

    private static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        server = TestServer.start(dir, YAML, Map.of(), builder -> builder.providerFactory(new Unwritable()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Proves a chat answer that cannot be written is a 500 internal_error, and the next request is served. */
    @Test
    void aChatAnswerThatCannotBeWrittenIsAnInternalError() {
        HttpResponse<String> response = Http.post(server.baseUrl() + "/v1/chat/completions",
                "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(Http.json(response).at("/error/code").asText()).isEqualTo("internal_error");
        HttpResponse<String> next = Http.post(server.baseUrl() + "/v1/chat/completions",
                "{\"model\":\"fine\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(next.statusCode()).isEqualTo(200);
    }

    /** A plugin whose answers carry an extra field holding a Java object that is no JSON value. */
    static final class Unwritable implements ProviderFactory {
        @Override
        public String type() {
            return "unwritable";
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            return new Provider() {
                @Override
                public CompletionStage<ChatResponse> chat(ProviderCall call) {
                    return CompletableFuture.completedFuture(new ChatResponse("cmpl-1", "chat.completion", 1,
                            call.request().model(), List.of(new Choice(0, Message.assistant("hi"), "stop", null,
                            Map.of())), Usage.of(3, 1), null, null, Map.of("odd", new Object())));
                }

                @Override
                public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
                    throw new UnsupportedOperationException("chat only");
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
