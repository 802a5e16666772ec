package dev.chatrouter.api.chat;

import java.util.Map;
import java.util.Objects;

/**
 * A function the model may call.
 *
 * @param name        the function's name
 * @param description what it does, or {@code null}
 * @param parameters  its JSON Schema as plain Java values (maps, lists, strings, numbers, booleans), or {@code null}
 * @param strict      whether the schema must be followed exactly, or {@code null}
 * @param extra       fields the model does not name
 */
public record FunctionDefinition(String name, String description, Map<String, Object> parameters, Boolean strict,
                                 Map<String, Object> extra) {
    public FunctionDefinition {
        Objects.requireNonNull(name, "name");
        parameters = parameters == null ? null : Extras.copy(parameters);
        extra = Extras.copy(extra);
    }
}
