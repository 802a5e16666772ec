package dev.chatrouter.api.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The response cache (docs/routing.md#caching): identical requests of the same key are answered from memory.
 *
 * @param enabled           whether responses are cached (default false)
 * @param ttl               how long an answer is kept (default 10 minutes)
 * @param maxEntries        how many answers are kept at most (default 10,000)
 * @param deterministicOnly cache only requests with {@code temperature} 0 or a {@code seed} (default true)
 */
public record ResponseCacheConfig(boolean enabled, Duration ttl, long maxEntries, boolean deterministicOnly) {

    public static final ResponseCacheConfig DEFAULTS =
            new ResponseCacheConfig(false, Duration.ofMinutes(10), 10_000, true);

    public ResponseCacheConfig {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive but was " + ttl);
        }
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive but was " + maxEntries);
        }
    }
}
