package dev.chatrouter.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One target's health as the router sees it (docs/routing.md#fallback): whether it is being sent requests, skipped while it
 * cools down after repeated failures, or being probed with one request to see whether it recovered.
 *
 * @param target              {@code provider-id/model-id}
 * @param state               its state
 * @param consecutiveFailures the failures of a health kind ({@code rate_limit}, {@code server}, {@code timeout},
 *                            {@code connection}) since its last success
 * @param coolingUntil        when its cooldown ends (after which the next request probes it), or {@code null} when
 *                            it is {@link State#HEALTHY}
 * @param latencyMillis       its observed total time for whole (not streamed) answers: the decaying average the
 *                            {@code latency} policy orders them by, or {@code NaN} when none has been measured
 * @param firstTokenMillis    its observed time to first token for streams: the decaying average the {@code latency}
 *                            policy orders them by, or {@code NaN} when none has been measured
 */
public record TargetHealth(String target, State state, int consecutiveFailures, Instant coolingUntil,
                           double latencyMillis, double firstTokenMillis) {

    public TargetHealth {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(state, "state");
    }

    /** Where a target stands in its cooldown cycle. */
    public enum State {
        /** Requests are sent to it. */
        HEALTHY,
        /** It failed repeatedly: requests skip it until {@code coolingUntil}; then the next request probes it. */
        COOLING_DOWN,
        /** Its cooldown ended and one request is probing it; other requests still skip it. */
        PROBING
    }
}
