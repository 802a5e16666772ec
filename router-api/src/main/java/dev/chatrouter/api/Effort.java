package dev.chatrouter.api;

import java.util.Locale;

/** How hard the caller wants the model to work (docs/routing.md#effort). {@link #AUTO} lets the router decide. */
public enum Effort {
    FAST, MINIMAL, LOW, MEDIUM, HIGH, XHIGH, MAX, AUTO;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used on the wire: {@code X-DI-Effort}, {@code reasoning_effort}, model suffixes. */
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
     * @throws IllegalArgumentException if {@code name} is not an effort
     */
    public static Effort fromWireName(String name) {
        for (Effort effort : values()) {
            if (effort.wireName().equals(name)) {
                return effort;
            }
        }
        throw new IllegalArgumentException("unknown effort '" + name + "'");
    }
}
