package dev.chatrouter.api.spi;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.FailureKind;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * One configured provider: calls its upstream for chat, streams and embeddings. Every failure is a
 * {@link ProviderException} with the {@link FailureKind} the router's fallback acts on. Methods must not block.
 */
public interface Provider extends AutoCloseable {

    /**
     * Sends a chat request. Cancelling the returned stage's {@code toCompletableFuture()} cancels the upstream call.
     */
    CompletionStage<ChatResponse> chat(ProviderCall call);

    /**
     * Streams a chat request. Nothing is sent before a subscriber subscribes and requests; chunks are delivered
     * as they arrive, honouring demand; the stream completes only when the upstream finished the answer
     * ({@code [DONE]} or its equivalent), else fails with a {@link ProviderException}. Cancelling the
     * subscription cancels the upstream call.
     */
    Flow.Publisher<ChatChunk> stream(ProviderCall call);

    /** Creates embeddings; by default fails with {@link FailureKind#BAD_REQUEST}: not supported. */
    default CompletionStage<EmbeddingResponse> embed(EmbeddingCall call) {
        return CompletableFuture.failedFuture(new ProviderException(FailureKind.BAD_REQUEST,
                "this provider does not support embeddings", null));
    }

    /**
     * Counts the input tokens of {@code call}'s request with the upstream's own counting API, for a request whose
     * {@link dev.chatrouter.api.chat.ChatRequest#nativeRequest() native form} this provider speaks (Anthropic's
     * {@code count_tokens}, OpenAI's {@code input_tokens}). Nothing is generated and nothing is charged. By default
     * the provider has no such API: the stage completes with an empty value and the router counts itself.
     *
     * @return the upstream's count, or empty when this provider cannot count this request; fails with a
     *         {@link ProviderException} when the upstream's count call failed
     */
    default CompletionStage<OptionalLong> countTokens(ProviderCall call) {
        return CompletableFuture.completedFuture(OptionalLong.empty());
    }

    /** Releases the provider's connections. */
    @Override
    void close();
}
