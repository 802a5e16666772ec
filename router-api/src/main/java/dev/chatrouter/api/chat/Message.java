package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation, or the assistant's answer.
 *
 * @param role       the author
 * @param content    the content, or {@code null} (an assistant message that only calls tools)
 * @param name       an optional participant name
 * @param toolCalls  the tool calls of an assistant message, or {@code null}
 * @param toolCallId the call a {@code tool} message answers, or {@code null}
 * @param refusal    the assistant's refusal text, or {@code null}
 * @param extra      fields the model does not name ({@code reasoning_content}, {@code annotations}...)
 */
public record Message(Role role, Content content, String name, List<ToolCall> toolCalls, String toolCallId,
                      String refusal, Map<String, Object> extra) {

    public Message {
        Objects.requireNonNull(role, "role");
        toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
        extra = Extras.copy(extra);
    }

    public static Message system(String text) {
        return new Message(Role.SYSTEM, Content.of(text), null, null, null, null, Map.of());
    }

    public static Message user(String text) {
        return new Message(Role.USER, Content.of(text), null, null, null, null, Map.of());
    }

    public static Message user(List<ContentPart> parts) {
        return new Message(Role.USER, Content.of(parts), null, null, null, null, Map.of());
    }

    public static Message assistant(String text) {
        return new Message(Role.ASSISTANT, Content.of(text), null, null, null, null, Map.of());
    }

    public static Message assistantToolCalls(List<ToolCall> toolCalls) {
        return new Message(Role.ASSISTANT, null, null, toolCalls, null, null, Map.of());
    }

    public static Message tool(String toolCallId, String text) {
        return new Message(Role.TOOL, Content.of(text), null, null, toolCallId, null, Map.of());
    }

    /** The content's text, or the empty string when there is no content. */
    public String text() {
        return content == null ? "" : content.text();
    }
}
