package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * {@code usage.completion_tokens_details}.
 *
 * @param reasoningTokens output tokens spent on reasoning, or {@code null}
 * @param extra           fields the model does not name
 */
public record CompletionTokensDetails(Long reasoningTokens, Map<String, Object> extra) {
    public CompletionTokensDetails {
        extra = Extras.copy(extra);
    }
}
