package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * One choice of a stream chunk.
 *
 * @param index        the choice's index
 * @param delta        the increment
 * @param finishReason set on the choice's last chunk, else {@code null}
 * @param logprobs     log probabilities as plain Java values, or {@code null}
 * @param extra        fields the model does not name
 */
public record ChunkChoice(int index, Delta delta, String finishReason, Object logprobs, Map<String, Object> extra) {
    public ChunkChoice {
        extra = Extras.copy(extra);
    }
}
