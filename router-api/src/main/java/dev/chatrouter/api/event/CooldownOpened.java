package dev.chatrouter.api.event;

import dev.chatrouter.api.FailureKind;

import java.time.Instant;
import java.util.Objects;

/**
 * A target cools down after repeated failures (or a failed probe): requests skip it until {@code until}, then one
 * request probes it.
 *
 * @param at     when, on the router's clock
 * @param target {@code provider-id/model-id}
 * @param cause  the kind of the failure that opened it
 * @param until  when the cooldown ends and a probe may go
 */
public record CooldownOpened(Instant at, String target, FailureKind cause, Instant until) {
    public CooldownOpened {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(until, "until");
    }
}
