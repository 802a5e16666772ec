package dev.chatrouter.api.chat;

import java.util.Map;

/**
 * A tool the model may call: {@code {"type":"function","function":{...}}}.
 *
 * @param type     {@code function}
 * @param function the function, or {@code null} for tool types the model does not know (kept in extra)
 * @param extra    fields the model does not name
 */
public record Tool(String type, FunctionDefinition function, Map<String, Object> extra) {
    public Tool {
        extra = Extras.copy(extra);
    }

    public static Tool function(String name, String description, Map<String, Object> parameters) {
        return new Tool("function", new FunctionDefinition(name, description, parameters, null, Map.of()), Map.of());
    }
}
