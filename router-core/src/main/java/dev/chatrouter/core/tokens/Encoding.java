package dev.chatrouter.core.tokens;

/**
 * The two OpenAI byte-pair encodings the router counts with (see docs/routing.md#token-counting). Which one a
 * model uses is {@link Tokens#encodingOf(String)}.
 */
public enum Encoding {
    /** {@code cl100k_base}: gpt-3.5, gpt-4, the embeddings models, and the fallback for every other family. */
    CL100K_BASE("cl100k_base"),
    /** {@code o200k_base}: gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and later, the o-series, gpt-oss. */
    O200K_BASE("o200k_base");

    private final String wireName;

    Encoding(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
