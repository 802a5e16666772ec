package dev.chatrouter.api.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Sticky prefixes (docs/routing.md#routing): requests that share a prompt prefix go to the target that served it last,
 * within the TTL, so that upstream prompt caches hit.
 *
 * @param enabled    whether requests stick (default true)
 * @param ttl        how long a prefix stays with its target after it was last served (default 5 minutes)
 * @param maxEntries how many prefixes are remembered at most (default 100,000)
 */
public record StickyPrefixConfig(boolean enabled, Duration ttl, long maxEntries) {

    public static final StickyPrefixConfig DEFAULTS = new StickyPrefixConfig(true, Duration.ofMinutes(5), 100_000);

    public StickyPrefixConfig {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive but was " + ttl);
        }
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive but was " + maxEntries);
        }
    }
}
