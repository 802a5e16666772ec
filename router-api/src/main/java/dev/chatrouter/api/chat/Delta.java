package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Map;

/**
 * The increment a stream chunk carries for one choice.
 *
 * @param role      the role, on the first chunk only, or {@code null}
 * @param content   a text fragment, or {@code null}
 * @param toolCalls tool-call fragments (with {@code index}), or {@code null}
 * @param refusal   a refusal fragment, or {@code null}
 * @param extra     fields the model does not name ({@code reasoning_content}...)
 */
public record Delta(Role role, String content, List<ToolCall> toolCalls, String refusal, Map<String, Object> extra) {
    public Delta {
        toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
        extra = Extras.copy(extra);
    }

    /**
     * True when the delta carries content the client would see: text, a tool call, a refusal, or a non-empty
     * field the model does not name (such as {@code reasoning_content}).
     */
    public boolean hasContent() {
        if ((content != null && !content.isEmpty()) || (toolCalls != null && !toolCalls.isEmpty())
                || (refusal != null && !refusal.isEmpty())) {
            return true;
        }
        for (Object value : extra.values()) {
            if (value != null && !"".equals(value)) {
                return true;
            }
        }
        return false;
    }
}
