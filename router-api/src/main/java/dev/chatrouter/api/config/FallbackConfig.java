package dev.chatrouter.api.config;

import dev.chatrouter.api.FailureKind;

import java.util.EnumSet;
import java.util.Set;

/**
 * How a route retries and falls back.
 *
 * @param maxAttempts      attempts in all, across targets and retries (default 3)
 * @param retriesPerTarget retries on the same target before moving on (default 1)
 * @param on               the failure kinds that are retried or fall back (default rate_limit, server, timeout,
 *                         connection, context_length); bad_request and auth never are
 */
public record FallbackConfig(int maxAttempts, int retriesPerTarget, Set<FailureKind> on) {

    public static final FallbackConfig DEFAULTS = new FallbackConfig(3, 1, EnumSet.of(FailureKind.RATE_LIMIT,
            FailureKind.SERVER, FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.CONTEXT_LENGTH));

    public FallbackConfig {
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
