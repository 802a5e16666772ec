package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * Token usage and cost of a completion or embedding.
 *
 * @param promptTokens            input tokens
 * @param completionTokens        output tokens (0 for embeddings)
 * @param totalTokens             their sum as the upstream reported it
 * @param promptTokensDetails     cache detail, or {@code null}
 * @param completionTokensDetails reasoning detail, or {@code null}
 * @param cost                    the cost in US dollars, or {@code null} when not computed
 * @param extra                   fields the model does not name ({@code estimated_cost}...)
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens,
                    PromptTokensDetails promptTokensDetails, CompletionTokensDetails completionTokensDetails,
                    Double cost, Map<String, Object> extra) {
    public Usage {
        extra = Extras.copy(extra);
    }

    public static Usage of(long promptTokens, long completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens, null, null, null, Map.of());
    }

    /** Input tokens read from the prompt cache, 0 when not reported. */
    public long cachedTokens() {
        return promptTokensDetails == null || promptTokensDetails.cachedTokens() == null
                ? 0 : promptTokensDetails.cachedTokens();
    }

    /** Input tokens written to the prompt cache, 0 when not reported. */
    public long cacheWriteTokens() {
        return promptTokensDetails == null || promptTokensDetails.cacheWriteTokens() == null
                ? 0 : promptTokensDetails.cacheWriteTokens();
    }

    /** A copy with the given cost. */
    public Usage withCost(Double cost) {
        return new Usage(promptTokens, completionTokens, totalTokens, promptTokensDetails, completionTokensDetails,
                cost, extra);
    }
}
