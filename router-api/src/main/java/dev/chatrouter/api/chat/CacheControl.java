package dev.chatrouter.api.chat;

/**
 * A prompt-cache breakpoint on a content part, as Anthropic defines it: {@code {"type":"ephemeral","ttl":"5m"}}.
 *
 * @param type the breakpoint type, {@code ephemeral}
 * @param ttl  the cache lifetime such as {@code 5m} or {@code 1h}, or {@code null} for the provider's default
 */
public record CacheControl(String type, String ttl) {
    public static CacheControl ephemeral() {
        return new CacheControl("ephemeral", null);
    }
}
