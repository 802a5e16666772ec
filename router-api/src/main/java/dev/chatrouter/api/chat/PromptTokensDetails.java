package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * {@code usage.prompt_tokens_details}.
 *
 * @param cachedTokens     input tokens read from the provider's prompt cache, or {@code null}
 * @param cacheWriteTokens input tokens written to the provider's prompt cache, or {@code null}
 * @param extra            fields the model does not name ({@code audio_tokens}...)
 */
public record PromptTokensDetails(Long cachedTokens, Long cacheWriteTokens, Map<String, Object> extra) {
    public PromptTokensDetails {
        extra = Extras.copy(extra);
    }
}
