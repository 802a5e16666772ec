package dev.chatrouter.api.config;

import dev.chatrouter.api.FailureKind;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * How a route retries and falls back.
 *
 * @param maxAttempts      attempts in all, across targets and retries (default 3)
 * @param retriesPerTarget retries on the same target before moving on (default 1)
 * @param on               the failure kinds that are retried or fall back (default rate_limit, server, timeout,
 *                         connection, context_length); bad_request and auth never are
 * @param maxRetryWait     the longest upstream retry delay ({@code Retry-After}) a retry on the same target waits
 *                         for (default 10 s); a longer one moves on to the next target instead of holding the request
 */
public record FallbackConfig(int maxAttempts, int retriesPerTarget, Set<FailureKind> on, Duration maxRetryWait) {

    /** The longest upstream retry delay waited for, by default. */
    public static final Duration DEFAULT_MAX_RETRY_WAIT = Duration.ofSeconds(10);

    public static final FallbackConfig DEFAULTS = new FallbackConfig(3, 1, EnumSet.of(FailureKind.RATE_LIMIT,
            FailureKind.SERVER, FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.CONTEXT_LENGTH));

    /** A fallback with the default {@link #DEFAULT_MAX_RETRY_WAIT}. */
    public FallbackConfig(int maxAttempts, int retriesPerTarget, Set<FailureKind> on) {
        this(maxAttempts, retriesPerTarget, on, DEFAULT_MAX_RETRY_WAIT);
    }

    public FallbackConfig {
        if (maxRetryWait == null || maxRetryWait.isNegative()) {
            throw new IllegalArgumentException("maxRetryWait must not be negative but was " + maxRetryWait);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1 but was " + maxAttempts);
        }
        if (retriesPerTarget < 0) {
            throw new IllegalArgumentException("retriesPerTarget must not be negative but was " + retriesPerTarget);
        }
        for (FailureKind kind : on) {
            if (!kind.retryable()) {
                throw new IllegalArgumentException(kind.wireName() + " is never retried");
            }
        }
        on = on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
    }
}
