package dev.chatrouter.plugin.mock;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small JSON Schema checker for the tests, independent of the sampler: type, required, properties, items,
 * enum, const, anyOf / oneOf, minimum / maximum, minLength / maxLength, minItems / maxItems.
 */
final class SchemaCheck {

    private SchemaCheck() {
    }

    /** The places where {@code value} breaks {@code schema}; empty when it fits. */
    static List<String> errors(JsonNode value, Object schema) {
        List<String> errors = new ArrayList<>();
        check(value, schema, "$", errors);
        return errors;
    }

    private static void check(JsonNode value, Object schema, String path, List<String> errors) {
        if (!(schema instanceof Map<?, ?> s)) {
            return;
        }
        if (s.containsKey("const") && !value.equals(Fixtures.JSON.valueToTree(s.get("const")))) {
            errors.add(path + ": not the const " + s.get("const"));
        }
        if (s.get("enum") instanceof List<?> values
                && values.stream().noneMatch(v -> value.equals(Fixtures.JSON.valueToTree(v)))) {
            errors.add(path + ": " + value + " not in enum " + values);
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (s.get(key) instanceof List<?> alternatives
                    && alternatives.stream().noneMatch(a -> errors(value, a).isEmpty())) {
                errors.add(path + ": fits no alternative of " + key);
            }
        }
        Object type = s.get("type");
        List<?> types = type instanceof List<?> list ? list : type == null ? List.of() : List.of(type);
        if (!types.isEmpty() && types.stream().noneMatch(t -> hasType(value, String.valueOf(t)))) {
            errors.add(path + ": " + value.getNodeType() + " is not " + types);
            return;
        }
        if (value.isObject()) {
            if (s.get("required") instanceof List<?> required) {
                required.stream().filter(name -> !value.has(String.valueOf(name)))
                        .forEach(name -> errors.add(path + ": missing required " + name));
            }
            if (s.get("properties") instanceof Map<?, ?> properties) {
                properties.forEach((name, sub) -> {
                    if (value.has(String.valueOf(name))) {
                        check(value.get(String.valueOf(name)), sub, path + "." + name, errors);
                    }
                });
            }
        }
        if (value.isArray()) {
            if (s.get("items") instanceof Map<?, ?> items) {
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), items, path + "[" + i + "]", errors);
                }
            }
            bound(value.size(), s.get("minItems"), s.get("maxItems"), path + " size", errors);
        }
        if (value.isNumber()) {
            bound(value.doubleValue(), s.get("minimum"), s.get("maximum"), path, errors);
            if (s.get("exclusiveMinimum") instanceof Number min && value.doubleValue() <= min.doubleValue()
                    || s.get("exclusiveMaximum") instanceof Number max && value.doubleValue() >= max.doubleValue()) {
                errors.add(path + ": " + value + " outside the exclusive bounds");
            }
        }
        if (value.isTextual()) {
            bound(value.textValue().length(), s.get("minLength"), s.get("maxLength"), path + " length", errors);
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> false;
        };
    }

    private static void bound(double actual, Object min, Object max, String what, List<String> errors) {
        if (min instanceof Number n && actual < n.doubleValue() || max instanceof Number x && actual > x.doubleValue()) {
            errors.add(what + " " + actual + " outside [" + min + ", " + max + "]");
        }
    }
}
