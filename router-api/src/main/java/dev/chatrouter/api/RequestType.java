package dev.chatrouter.api;

import java.util.Locale;

/** What a request needs, inferred from its shape (docs/routing.md#classification). */
public enum RequestType {
    DOCUMENT, VISION, LONG, CODE, JSON, REASON, FLASH, PRO, EMBEDDING;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in configuration and in the {@code X-DI-Request-Type} header. */
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
     * @throws IllegalArgumentException if {@code name} is not a request type
     */
    public static RequestType fromWireName(String name) {
        for (RequestType type : values()) {
            if (type.wireName().equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown request type '" + name + "'");
    }
}
