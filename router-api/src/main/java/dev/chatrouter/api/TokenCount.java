package dev.chatrouter.api;

import java.util.Objects;

/**
 * The input tokens of a request, and who counted them.
 *
 * @param inputTokens the count, at least 0
 * @param source      who counted: the target's provider with its own API, or the router's tokenizer
 */
public record TokenCount(long inputTokens, Source source) {

    /** Who counted. */
    public enum Source {
        /** The upstream's counting API, for the target the request routes to. */
        PROVIDER,
        /** The router's own tokenizer. */
        ROUTER;

        /** {@code provider} or {@code router}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @throws IllegalArgumentException if {@code inputTokens} is negative
     */
    public TokenCount {
        if (inputTokens < 0) {
            throw new IllegalArgumentException("inputTokens must be at least 0 but was " + inputTokens);
        }
        Objects.requireNonNull(source, "source");
    }
}
