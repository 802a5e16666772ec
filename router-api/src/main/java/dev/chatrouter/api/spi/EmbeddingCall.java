package dev.chatrouter.api.spi;

import dev.chatrouter.api.embed.EmbeddingRequest;

import java.time.Instant;
import java.util.Objects;

/**
 * One attempt's embeddings call to a provider.
 *
 * @param requestId the router's request id
 * @param model     the target model
 * @param request   the request as the upstream should get it: {@code model} is already the upstream name
 * @param deadline  the instant by which the attempt must end, or {@code null}
 */
public record EmbeddingCall(String requestId, ModelSpec model, EmbeddingRequest request, Instant deadline) {
    public EmbeddingCall {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(request, "request");
    }
}
