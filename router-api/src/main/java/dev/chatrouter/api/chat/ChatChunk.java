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
 * @param nativeAnswer      the upstream's event this chunk was read from, in the client surface's own format, when
 *                          the request went upstream as its {@link NativeRequest}; else {@code null}. One event may
 *                          give several chunks: the first carries it
 */
public record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                        Usage usage, String systemFingerprint, Map<String, Object> extra, NativeAnswer nativeAnswer) {
    public ChatChunk {
        choices = List.copyOf(choices);
        extra = Extras.copy(extra);
    }

    /** A chunk without a native event. */
    public ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                     Usage usage, String systemFingerprint, Map<String, Object> extra) {
        this(id, object, created, model, choices, usage, systemFingerprint, extra, null);
    }

    /** A copy with another model id. */
    public ChatChunk withModel(String model) {
        return new ChatChunk(id, object, created, model, choices, usage, systemFingerprint, extra, nativeAnswer);
    }

    /** A copy with other usage. */
    public ChatChunk withUsage(Usage usage) {
        return new ChatChunk(id, object, created, model, choices, usage, systemFingerprint, extra, nativeAnswer);
    }

    /** A copy with another native event ({@code null}: none). */
    public ChatChunk withNativeAnswer(NativeAnswer nativeAnswer) {
        return new ChatChunk(id, object, created, model, choices, usage, systemFingerprint, extra, nativeAnswer);
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
