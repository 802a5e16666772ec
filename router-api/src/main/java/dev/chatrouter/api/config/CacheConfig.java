package dev.chatrouter.api.config;

import java.util.Objects;

/**
 * The {@code cache} section.
 *
 * @param responses    the response cache
 * @param stickyPrefix sticky prefixes
 */
public record CacheConfig(ResponseCacheConfig responses, StickyPrefixConfig stickyPrefix) {

    public static final CacheConfig DEFAULTS = new CacheConfig(ResponseCacheConfig.DEFAULTS, StickyPrefixConfig.DEFAULTS);

    public CacheConfig {
        Objects.requireNonNull(responses, "responses");
        Objects.requireNonNull(stickyPrefix, "stickyPrefix");
    }
}
