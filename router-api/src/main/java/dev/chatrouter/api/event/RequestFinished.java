package dev.chatrouter.api.event;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RoutingReport;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A request ended: answered ({@code error} {@code null}, {@code cancelled} false), failed, or cancelled by the
 * caller. A stream ends when its upstream's answer ends (its last chunks may still be on their way to the caller).
 *
 * @param at           when, on the router's clock
 * @param requestId    the request's id
 * @param key          the caller's key name (never the key itself), or {@code null}
 * @param report       how it was routed (also for a response-cache hit), or {@code null} when it failed before it
 *                     could be routed (an unknown model, a rate limit)
 * @param error        why it failed, or {@code null}
 * @param cancelled    true when the caller gave up before the end
 * @param inputTokens  the input tokens of the answer (the serving attempt's charge), 0 when none
 * @param outputTokens the output tokens of the answer, 0 when none
 * @param total        from the request's arrival at the router to its end
 * @param overhead     the router's own share of {@code total}: the total less the time upstream calls were under
 *                     way (hedged calls that overlap count once)
 */
public record RequestFinished(Instant at, String requestId, String key, RoutingReport report,
                              ChatRouterException error, boolean cancelled, long inputTokens, long outputTokens,
                              Duration total, Duration overhead) {
    public RequestFinished {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(total, "total");
        Objects.requireNonNull(overhead, "overhead");
    }

    /** True when the caller got a whole answer. */
    public boolean succeeded() {
        return error == null && !cancelled;
    }

    public Optional<RoutingReport> routingReport() {
        return Optional.ofNullable(report);
    }

    /** The error's code, or empty when the request succeeded or was cancelled. */
    public Optional<ErrorCode> errorCode() {
        return error == null ? Optional.empty() : Optional.of(error.code());
    }
}
