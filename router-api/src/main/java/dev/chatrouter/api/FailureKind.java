package dev.chatrouter.api;

import java.util.Locale;

/**
 * Why one attempt at one target failed (docs/routing.md#fallback). Routes name these in {@code fallback.on};
 * {@link #BAD_REQUEST} and {@link #AUTH} are never retried.
 */
public enum FailureKind {
    /** The upstream answered 429. */
    RATE_LIMIT,
    /** The upstream answered 5xx, or a body or stream that could not be read. */
    SERVER,
    /** No answer, or no first token, within the time allowed. */
    TIMEOUT,
    /** The connection was refused, reset or could not be secured. */
    CONNECTION,
    /** The upstream said the prompt does not fit the model's context window. */
    CONTEXT_LENGTH,
    /** The upstream refused the content. */
    CONTENT_FILTER,
    /** The upstream answered 401 or 403. */
    AUTH,
    /** Any other 4xx: the request itself is wrong. */
    BAD_REQUEST;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The name used in configuration files and reports: {@code rate_limit}, {@code context_length}... */
    public String wireName() {
        return wireName;
    }

    /** The {@link #wireName()}, so that reports, attempts and logs print what headers and configuration say. */
    @Override
    public String toString() {
        return wireName;
    }

    /**
     * Parses a {@link #wireName()}.
     *
     * @throws IllegalArgumentException if {@code name} is not a failure kind
     */
    public static FailureKind fromWireName(String name) {
        for (FailureKind kind : values()) {
            if (kind.wireName().equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown failure kind '" + name + "'");
    }

    /** True for the kinds the router may retry or fall back on (all but bad_request and auth). */
    public boolean retryable() {
        return this != BAD_REQUEST && this != AUTH;
    }
}
