package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * One choice of a completion.
 *
 * @param index        the choice's index
 * @param message      the assistant's message
 * @param finishReason {@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}..., or {@code null}
 * @param logprobs     the log probabilities as plain Java values, or {@code null}
 * @param extra        fields the model does not name
 */
public record Choice(int index, Message message, String finishReason, Object logprobs, Map<String, Object> extra) {
    public Choice {
        extra = Extras.copy(extra);
    }
}
