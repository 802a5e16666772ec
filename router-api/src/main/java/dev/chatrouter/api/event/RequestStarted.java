package dev.chatrouter.api.event;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestType;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A request the router took.
 *
 * @param at        when, on the router's clock
 * @param requestId the request's id
 * @param model     the model id the client sent (the intent)
 * @param route     the route it resolved to, or {@code null} when it failed before (an unknown model, say)
 * @param type      the request type, or {@code null} when it failed before classification
 * @param effort    the effort applied, or {@code null} when it failed before it was resolved
 * @param stream    true for a streamed chat
 * @param key       the caller's key name (never the key itself), or {@code null}
 * @param user      the end user, or {@code null}
 * @param tags      the request's tags
 */
public record RequestStarted(Instant at, String requestId, String model, String route, RequestType type,
                             Effort effort, boolean stream, String key, String user, List<String> tags) {
    public RequestStarted {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(requestId, "requestId");
        tags = List.copyOf(tags);
    }
}
