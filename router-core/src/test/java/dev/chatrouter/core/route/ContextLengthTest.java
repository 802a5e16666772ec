package dev.chatrouter.core.route;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A prompt that fits no target's context window is the caller's error (400 {@code context_length_exceeded}, as
 * OpenAI answers), not the router's (503, which SDKs retry); when other reasons dropped targets too, it stays 503.
 */
class ContextLengthTest {

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter router() {
        router = ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted")
                        .model(new ModelSpec("small", null, Price.of(1, 2), 8_000, 0, EnumSet.allOf(Capability.class)))
                        .model(new ModelSpec("big", null, Price.of(1, 2), 16_000, 0, EnumSet.allOf(Capability.class)))
                        .model(new ModelSpec("nostream", null, Price.of(1, 2), 100_000, 0, Set.of()))
                        .build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/small", "a/big")).build())
                .route(RouteConfig.builder("mixed").pool("*", PoolConfig.of("priority", "a/small", "a/nostream"))
                        .build())
                .build();
        return router;
    }

    /** About 20,000 tokens of prompt (19,985 by the estimate): 80,000 characters and one message. */
    private static ChatRequest.Builder longPrompt(String model) {
        return ChatRequest.builder().model(model).addMessage(Message.user("x".repeat(80_000)));
    }

    private ChatRouterException streamError(ChatRequest request) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(request).subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        return error(subscriber.error());
    }

    private static ChatRouterException error(Throwable t) {
        Throwable cause = t instanceof CompletionException ? t.getCause() : t;
        assertThat(cause).isInstanceOf(ChatRouterException.class);
        return (ChatRouterException) cause;
    }

    /** Too long for every target: context_length_exceeded on messages, naming the estimate and the largest window. */
    @Test
    void promptLongerThanEveryWindowIsContextLengthExceeded() {
        router();
        ChatRouterException e = error(catchThrowable(() -> router.chat(longPrompt("di").build())
                .toCompletableFuture().join()));

        assertThat(e.code()).isEqualTo(ErrorCode.CONTEXT_LENGTH_EXCEEDED);
        assertThat(e.code().wireName()).isEqualTo("context_length_exceeded");
        assertThat(e.param()).contains("messages");
        assertThat(e.getMessage()).contains("19,985", "16,000");
        assertThat(e.metadata()).containsEntry("estimated_input_tokens", 19_985L)
                .containsEntry("largest_context_window", 16_000L);
        assertThat(scripted.calls("a")).isEmpty();
    }

    /** The requested output counts: a prompt that fits, with a max_tokens that does not, names max_tokens. */
    @Test
    void requestedOutputThatDoesNotFitNamesMaxTokens() {
        router();
        ChatRouterException e = error(catchThrowable(() -> router.chat(ChatRequest.builder().model("di")
                .addMessage(Message.user("Hello")).maxTokens(20_000).build()).toCompletableFuture().join()));

        assertThat(e.code()).isEqualTo(ErrorCode.CONTEXT_LENGTH_EXCEEDED);
        assertThat(e.getMessage()).contains("20,000 output tokens", "max_tokens", "16,000");
        assertThat(e.metadata()).containsEntry("requested_output_tokens", 20_000L);
    }

    /** Streams get the same error, before anything is sent. */
    @Test
    void streamsToo() {
        router();
        ChatRouterException e = streamError(longPrompt("di").build());

        assertThat(e.code()).isEqualTo(ErrorCode.CONTEXT_LENGTH_EXCEEDED);
        assertThat(e.param()).contains("messages");
    }

    /** When another reason dropped a target too (here a missing capability), it stays no_target_available. */
    @Test
    void otherDropReasonsKeepNoTargetAvailable() {
        router();
        ChatRouterException e = streamError(longPrompt("mixed").build());

        assertThat(e.code()).isEqualTo(ErrorCode.NO_TARGET_AVAILABLE);
        assertThat(e.getMessage()).contains("context_window", "missing_capability:streaming");
    }
}
