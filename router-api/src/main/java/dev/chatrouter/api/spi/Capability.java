package dev.chatrouter.api.spi;

import java.util.Locale;

/** What a model can take or do; a target lacking a capability the request needs is not tried. */
public enum Capability {
    TOOLS, VISION, DOCUMENT, JSON_SCHEMA, STREAMING, PROMPT_CACHE, REASONING, EMBEDDINGS,
    /**
     * The upstream serves OpenAI's Responses API ({@code POST /responses}): a Responses request routed to the model
     * goes upstream as it is instead of translated to Chat Completions. Never required by a request.
     */
    RESPONSES;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException if {@code name} is not a capability
     */
    public static Capability fromWireName(String name) {
        for (Capability c : values()) {
            if (c.wireName().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown capability '" + name + "'");
    }
}
