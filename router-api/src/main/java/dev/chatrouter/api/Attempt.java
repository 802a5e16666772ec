package dev.chatrouter.api;

import java.time.Duration;
import java.util.Optional;

/**
 * One call to one target, as the routing report and errors list it. An attempt ended one of three ways: it
 * {@linkplain #succeeded() succeeded} ({@code failure} and {@code message} both {@code null}), it
 * {@linkplain #failureKind() failed} ({@code failure} set), or it was {@linkplain #cancelled() cancelled} before it
 * ended ({@code failure} {@code null} and {@code message} saying why: the caller went away, or a hedged attempt
 * beside it answered first).
 *
 * @param target       {@code provider-id/model-id}
 * @param failure      why it failed, or {@code null} when it succeeded or was cancelled
 * @param status       the upstream's HTTP status, or 0 when there was none (connection failure, timeout)
 * @param message      what the upstream or the transport said when it failed, why it was cancelled, or
 *                     {@code null} when it succeeded
 * @param waitedBefore the backoff or {@code Retry-After} delay honoured before this attempt started
 * @param firstToken   time from the attempt's start to its first token (streams) or answer, or {@code null}
 * @param latency      time from the attempt's start to its end
 * @param hedged       true when this attempt was started as a hedge beside another
 */
public record Attempt(String target, FailureKind failure, int status, String message, Duration waitedBefore,
                      Duration firstToken, Duration latency, boolean hedged) {

    /** True when the attempt produced the whole answer. */
    public boolean succeeded() {
        return failure == null && message == null;
    }

    /** True when the attempt was cancelled before it ended: by the caller, or because a hedge beside it won. */
    public boolean cancelled() {
        return failure == null && message != null;
    }

    public Optional<FailureKind> failureKind() {
        return Optional.ofNullable(failure);
    }
}
