package dev.chatrouter.api.event;

import dev.chatrouter.api.FailureKind;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One call to one target ended. It succeeded ({@code failure} {@code null}, {@code cancelled} false), failed
 * ({@code failure} set) or was cancelled (by the caller, the deadline's end of a sibling, or a hedge beside it that
 * answered first). Tokens and cost are what the attempt was charged: a cancelled hedge that had read the prompt is
 * charged too, a failed attempt is not.
 *
 * @param at           when, on the router's clock
 * @param requestId    the request's id
 * @param target       {@code provider-id/model-id}
 * @param attempt      the attempt's index in the request, from 0
 * @param hedged       true when it was started as a hedge
 * @param failure      why it failed, or {@code null}
 * @param cancelled    true when it was stopped before it ended
 * @param status       the upstream's HTTP status, or 0 when there was none (connection failure, timeout, cancel)
 * @param latency      from its start to its end
 * @param firstToken   for a stream, from its start to its first content; {@code null} otherwise or when none came
 * @param inputTokens  input tokens charged
 * @param outputTokens output tokens charged
 * @param cachedTokens input tokens read from the upstream's prompt cache
 * @param costUsd      what it cost, in US dollars
 */
public record AttemptFinished(Instant at, String requestId, String target, int attempt, boolean hedged,
                              FailureKind failure, boolean cancelled, int status, Duration latency,
                              Duration firstToken, long inputTokens, long outputTokens, long cachedTokens,
                              double costUsd) {
    public AttemptFinished {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(latency, "latency");
    }

    /** True when the attempt produced the whole answer. */
    public boolean succeeded() {
        return failure == null && !cancelled;
    }

    public Optional<FailureKind> failureKind() {
        return Optional.ofNullable(failure);
    }

    public Optional<Duration> timeToFirstToken() {
        return Optional.ofNullable(firstToken);
    }

    /** {@code success}, {@code cancelled}, or the failure kind's wire name ({@code server}, {@code timeout}...). */
    public String outcome() {
        return failure != null ? failure.wireName() : cancelled ? "cancelled" : "success";
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
