package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Map;

/**
 * One chunk of a streamed completion ({@code object: chat.completion.chunk}).
 *
 * @param id                the completion id, the same on every chunk
 * @param object            {@code chat.completion.chunk}
 * @param created           creation time in seconds since the epoch
 * @param model             the model: the caller's intent when returned by the router
 * @param choices           the choices' increments (empty on a usage-only chunk)
 * @param usage             usage, on the final chunk when requested, else {@code null}
 * @param systemFingerprint {@code system_fingerprint}, or {@code null}
 * @param extra             fields the model does not name
 */
public record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                        Usage usage, String systemFingerprint, Map<String, Object> extra) {
    public ChatChunk {
        choices = List.copyOf(choices);
        extra = Extras.copy(extra);
    }

    /** A copy with another model id. */
    public ChatChunk withModel(String model) {
        return new ChatChunk(id, object, created, model, choices, usage, systemFingerprint, extra);
    }

    /** A copy with other usage. */
    public ChatChunk withUsage(Usage usage) {
        return new ChatChunk(id, object, created, model, choices, usage, systemFingerprint, extra);
    }

    /** True when any choice carries content the client would see. */
    public boolean hasContent() {
        for (ChunkChoice choice : choices) {
            if (choice.delta() != null && choice.delta().hasContent()) {
                return true;
            }
        }
        return false;
    }
}
