package dev.chatrouter.api.chat;

import java.util.Map;
import java.util.Objects;

/**
 * The shape the answer must take: {@code text}, {@code json_object}, or {@code json_schema} with a schema.
 *
 * @param type       {@code text}, {@code json_object} or {@code json_schema}
 * @param jsonSchema the schema for {@code json_schema}, else {@code null}
 */
public record ResponseFormat(String type, JsonSchema jsonSchema) {

    public ResponseFormat {
        Objects.requireNonNull(type, "type");
    }

    public static ResponseFormat jsonObject() {
        return new ResponseFormat("json_object", null);
    }

    public static ResponseFormat jsonSchema(String name, Map<String, Object> schema) {
        return new ResponseFormat("json_schema", new JsonSchema(name, null, schema, true, Map.of()));
    }

    /**
     * The {@code json_schema} object.
     *
     * @param schema the JSON Schema as plain Java values
     */
    public record JsonSchema(String name, String description, Map<String, Object> schema, Boolean strict,
                             Map<String, Object> extra) {
        public JsonSchema {
            schema = schema == null ? null : Extras.copy(schema);
            extra = Extras.copy(extra);
        }
    }
}
