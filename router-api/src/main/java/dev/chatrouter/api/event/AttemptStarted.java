package dev.chatrouter.api.event;

import java.time.Instant;
import java.util.Objects;

/**
 * One call to one target starts.
 *
 * @param at        when, on the router's clock
 * @param requestId the request's id
 * @param target    {@code provider-id/model-id}
 * @param attempt   the attempt's index in the request, from 0
 * @param hedged    true when it starts as a hedge beside an attempt that has shown nothing yet
 */
public record AttemptStarted(Instant at, String requestId, String target, int attempt, boolean hedged) {
    public AttemptStarted {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(target, "target");
    }

    /** The provider id: the part of the target before the first {@code /}. */
    public String provider() {
        return Targets.provider(target);
    }

    /** The model id at the provider: the part of the target after the first {@code /}. */
    public String providerModel() {
        return Targets.model(target);
    }
}
