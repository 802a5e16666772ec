package dev.chatrouter.api.spi;

import dev.chatrouter.api.chat.ChatRequest;

import java.time.Instant;
import java.util.Objects;

/**
 * One attempt's call to a provider.
 *
 * @param requestId the router's request id, for the upstream's logs
 * @param model     the target model
 * @param request   the request as the upstream should get it: {@code model} is already the upstream name
 * @param deadline  the instant by which the attempt must end, or {@code null} for the provider's own timeouts
 */
public record ProviderCall(String requestId, ModelSpec model, ChatRequest request, Instant deadline) {
    public ProviderCall {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(request, "request");
    }
}
