package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * {@code stream_options}.
 *
 * @param includeUsage whether the stream ends with a usage chunk, or {@code null}
 * @param extra        fields the model does not name
 */
public record StreamOptions(Boolean includeUsage, Map<String, Object> extra) {
    public StreamOptions {
        extra = Extras.copy(extra);
    }
}
