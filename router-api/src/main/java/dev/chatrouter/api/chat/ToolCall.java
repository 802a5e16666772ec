package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * A tool call made by the assistant.
 *
 * @param index    the call's position, present in stream deltas, else {@code null}
 * @param id       the call id the tool result refers to
 * @param type     {@code function}
 * @param function the function and its arguments
 * @param extra    fields the model does not name
 */
public record ToolCall(Integer index, String id, String type, FunctionCall function, Map<String, Object> extra) {
    public ToolCall {
        extra = Extras.copy(extra);
    }

    public static ToolCall function(String id, String name, String arguments) {
        return new ToolCall(null, id, "function", new FunctionCall(name, arguments), Map.of());
    }
}
