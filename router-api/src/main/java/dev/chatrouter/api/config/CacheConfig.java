package dev.chatrouter.api.config;

import java.util.Objects;

/**
 * The {@code cache} section.
 *
 * @param stickyPrefix sticky prefixes
 */
public record CacheConfig(StickyPrefixConfig stickyPrefix) {

    public static final CacheConfig DEFAULTS = new CacheConfig(StickyPrefixConfig.DEFAULTS);

    public CacheConfig {
        Objects.requireNonNull(stickyPrefix, "stickyPrefix");
    }
}
