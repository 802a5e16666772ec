package dev.chatrouter.api;

import java.time.Duration;
import java.util.Optional;

/**
 * One call to one target, as the routing report and errors list it.
 *
 * @param target       {@code provider-id/model-id}
 * @param failure      why it failed, or {@code null} when it succeeded
 * @param status       the upstream's HTTP status, or 0 when there was none (connection failure, timeout)
 * @param message      what the upstream or the transport said when it failed, or {@code null}
 * @param waitedBefore the backoff or {@code Retry-After} delay honoured before this attempt started
 * @param firstToken   time from the attempt's start to its first token (streams) or answer, or {@code null}
 * @param latency      time from the attempt's start to its end
 * @param hedged       true when this attempt was started as a hedge beside another
 */
public record Attempt(String target, FailureKind failure, int status, String message, Duration waitedBefore,
                      Duration firstToken, Duration latency, boolean hedged) {

    /** True when the attempt produced the answer (or would have, had a hedge not won first). */
    public boolean succeeded() {
        return failure == null;
    }

    public Optional<FailureKind> failureKind() {
        return Optional.ofNullable(failure);
    }
}
