package dev.chatrouter.plugin.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.kit.wire.WireCodec;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * What the openai plugin's tests share: a Vert.x instance handed to the plugin through a small
 * {@link ProviderContext}, providers made by the factory, the core's wire fixtures and bounded waits.
 */
final class Upstreams {

    /** The longest any test waits for one thing. */
    static final Duration WAIT = Duration.ofSeconds(5);
    /** The upstream name of the model every test calls. */
    static final String MODEL = "gpt-5.5-mini";
    static final String API_KEY = "sk-test-0123";
    static final ObjectMapper JSON = new ObjectMapper();

    private Upstreams() {
    }

    /** A Vert.x instance the test owns, offered to plugins as the router would offer its own. */
    static final class TestContext implements ProviderContext, AutoCloseable {
        final Vertx vertx = Vertx.vertx();

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public <T> Optional<T> service(Class<T> type) {
            return type == Vertx.class ? Optional.of(type.cast(vertx)) : Optional.empty();
        }

        @Override
        public void close() throws Exception {
            vertx.close().toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** A provider of id {@code up} at {@code baseUrl} with a key and model {@link #MODEL}. */
    static ProviderSpec.Builder spec(String baseUrl) {
        return ProviderSpec.builder("up", "openai").baseUrl(baseUrl).apiKey(API_KEY).model(ModelSpec.of(MODEL));
    }

    static Provider provider(ProviderSpec spec, ProviderContext context) {
        return new OpenAiProviderFactory().create(spec, context);
    }

    static ProviderCall call(ChatRequest request) {
        return new ProviderCall("req-1", ModelSpec.of(MODEL), request, null);
    }

    /** A one-message request for {@link #MODEL}. */
    static ChatRequest.Builder hello() {
        return ChatRequest.builder().model(MODEL).addMessage(Message.user("Hello"));
    }

    /** A file of router-core's test fixtures ({@code /fixtures/...} in its test-jar). */
    static String fixture(String path) {
        try (InputStream in = Upstreams.class.getResourceAsStream("/fixtures/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatRequest requestFixture(String path) {
        return WireCodec.readChatRequest(fixture(path).getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for a stage that must fail with a {@link ProviderException}, and returns it. */
    static ProviderException failure(CompletionStage<?> stage) throws Exception {
        try {
            Object value = stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return fail("expected a ProviderException but the call succeeded with " + value);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ProviderException.class);
            return (ProviderException) e.getCause();
        }
    }
}
