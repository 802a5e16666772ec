package dev.chatrouter.plugin.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderSpec;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the mock's tests share: a fixed clock, providers made through the factory, bounded waits. */
final class Fixtures {

    static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    static final ProviderContext CONTEXT = new ProviderContext() {
        private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public <T> Optional<T> service(Class<T> type) {
            return Optional.empty();
        }
    };
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /** A mock provider made by the factory, with options given as key, value, key, value... */
    static Provider provider(Object... options) {
        ProviderSpec.Builder spec = ProviderSpec.builder("mock", "mock").model(ModelSpec.of("echo"));
        for (int i = 0; i < options.length; i += 2) {
            spec.option((String) options[i], options[i + 1]);
        }
        return new MockProviderFactory().create(spec.build(), CONTEXT);
    }

    static ChatRequest.Builder request(String userText) {
        return ChatRequest.builder().model("echo").addMessage(Message.user(userText));
    }

    static ProviderCall call(ChatRequest request) {
        return new ProviderCall("req-1", ModelSpec.of("echo"), request, null);
    }

    /** Waits at most 5 seconds. */
    static <T> T await(CompletionStage<T> stage) throws ExecutionException, InterruptedException, TimeoutException {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** The cause a failed stage failed with, waiting at most 5 seconds. */
    static Throwable failure(CompletionStage<?> stage) throws InterruptedException, TimeoutException {
        try {
            stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the stage succeeded");
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> schema(String json) {
        try {
            return JSON.readValue(json, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {
            });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
