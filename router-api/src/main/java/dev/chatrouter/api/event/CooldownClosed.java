package dev.chatrouter.api.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A cooling target's probe succeeded: it is healthy and takes requests again.
 *
 * @param at     when, on the router's clock
 * @param target {@code provider-id/model-id}
 */
public record CooldownClosed(Instant at, String target) {
    public CooldownClosed {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(target, "target");
    }
}
