package dev.chatrouter.plugin.mock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one value, as plain Java values, that fits a JSON Schema: what the mock answers for tool arguments and
 * {@code json_schema} replies.
 *
 * <p>Handled: {@code const}, {@code enum} (the first value), {@code anyOf} / {@code oneOf} (the first alternative
 * that is not {@code null}), {@code type} as a name or a list (the first that is not {@code null}), objects (every
 * required property, or every property when there is no {@code required} list), strings (with {@code format}
 * and length bounds), integers and numbers (with bounds), booleans, arrays ({@code minItems} items, at least one,
 * unless {@code maxItems} is 0; tuple {@code items} and {@code prefixItems} item by item), {@code null}.
 * Not handled: {@code $ref}, {@code allOf}, {@code pattern}, {@code multipleOf}, {@code uniqueItems}; a schema
 * using them, or with no type at all, gets the empty object.
 */
final class SchemaSampler {

    private static final Map<String, String> FORMATS = Map.ofEntries(
            Map.entry("date", "2024-01-01"),
            Map.entry("date-time", "2024-01-01T00:00:00Z"),
            Map.entry("time", "00:00:00Z"),
            Map.entry("duration", "P1D"),
            Map.entry("email", "mock@example.com"),
            Map.entry("idn-email", "mock@example.com"),
            Map.entry("hostname", "example.com"),
            Map.entry("idn-hostname", "example.com"),
            Map.entry("ipv4", "192.0.2.1"),
            Map.entry("ipv6", "2001:db8::1"),
            Map.entry("uri", "https://example.com/"),
            Map.entry("uri-reference", "https://example.com/"),
            Map.entry("iri", "https://example.com/"),
            Map.entry("url", "https://example.com/"),
            Map.entry("uuid", "00000000-0000-4000-8000-000000000000"));

    private SchemaSampler() {
    }

    /** A value that fits {@code schema} (a map, or {@code true} / {@code null} for "anything"). */
    static Object sample(Object schema) {
        if (!(schema instanceof Map<?, ?> s)) {
            return new LinkedHashMap<String, Object>();
        }
        if (s.containsKey("const")) {
            return s.get("const");
        }
        if (s.get("enum") instanceof List<?> values && !values.isEmpty()) {
            return values.get(0);
        }
        if (s.containsKey("$ref")) {
            return new LinkedHashMap<String, Object>();
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (s.get(key) instanceof List<?> alternatives && !alternatives.isEmpty()) {
                return sample(firstNotNull(alternatives));
            }
        }
        switch (type(s)) {
            case "object":
                return object(s);
            case "array":
                return array(s);
            case "string":
                return string(s);
            case "integer":
                return integer(s);
            case "number":
                return number(s);
            case "boolean":
                return Boolean.TRUE;
            case "null":
                return null;
            default:
                return new LinkedHashMap<String, Object>();
        }
    }

    private static Object firstNotNull(List<?> alternatives) {
        for (Object alternative : alternatives) {
            if (!(alternative instanceof Map<?, ?> m && "null".equals(m.get("type")))) {
                return alternative;
            }
        }
        return alternatives.get(0);
    }

    private static String type(Map<?, ?> s) {
        Object type = s.get("type");
        if (type instanceof String name) {
            return name;
        }
        if (type instanceof List<?> names && !names.isEmpty()) {
            for (Object name : names) {
                if (!"null".equals(name)) {
                    return String.valueOf(name);
                }
            }
            return "null";
        }
        return s.containsKey("properties") ? "object" : s.containsKey("items") ? "array" : "";
    }

    private static Map<String, Object> object(Map<?, ?> s) {
        Map<?, ?> properties = s.get("properties") instanceof Map<?, ?> p ? p : Map.of();
        List<?> required = s.get("required") instanceof List<?> r ? r : null;
        Map<String, Object> value = new LinkedHashMap<>();
        for (Map.Entry<?, ?> property : properties.entrySet()) {
            if (required == null || required.contains(property.getKey())) {
                value.put(String.valueOf(property.getKey()), sample(property.getValue()));
            }
        }
        if (required != null) {
            for (Object name : required) {
                value.computeIfAbsent(String.valueOf(name), k -> new LinkedHashMap<String, Object>());
            }
        }
        return value;
    }

    private static List<Object> array(Map<?, ?> s) {
        List<Object> value = new ArrayList<>();
        Object tuple = s.get("prefixItems") instanceof List<?> p ? p : s.get("items");
        if (tuple instanceof List<?> items) {
            items.forEach(item -> value.add(sample(item)));
            return value;
        }
        long count = Math.max(1, number(s, "minItems", 0));
        count = Math.min(count, number(s, "maxItems", count));
        for (long i = 0; i < count; i++) {
            value.add(sample(tuple));
        }
        return value;
    }

    private static String string(Map<?, ?> s) {
        String value = FORMATS.getOrDefault(String.valueOf(s.get("format")), "mock");
        int min = (int) Math.min(number(s, "minLength", 0), 1 << 20);
        int max = (int) Math.min(number(s, "maxLength", Integer.MAX_VALUE), Integer.MAX_VALUE);
        StringBuilder padded = new StringBuilder(value);
        while (padded.length() < min) {
            padded.append('x');
        }
        return padded.length() > max ? padded.substring(0, max) : padded.toString();
    }

    private static long integer(Map<?, ?> s) {
        long value = 0;
        Double min = bound(s, "minimum");
        Double exclusiveMin = bound(s, "exclusiveMinimum");
        Double max = bound(s, "maximum");
        Double exclusiveMax = bound(s, "exclusiveMaximum");
        if (min != null && value < min) {
            value = (long) Math.ceil(min);
        }
        if (exclusiveMin != null && value <= exclusiveMin) {
            value = (long) Math.floor(exclusiveMin) + 1;
        }
        if (max != null && value > max) {
            value = (long) Math.floor(max);
        }
        if (exclusiveMax != null && value >= exclusiveMax) {
            value = (long) Math.ceil(exclusiveMax) - 1;
        }
        return value;
    }

    private static double number(Map<?, ?> s) {
        Double min = bound(s, "minimum");
        Double exclusiveMin = bound(s, "exclusiveMinimum");
        Double max = bound(s, "maximum");
        Double exclusiveMax = bound(s, "exclusiveMaximum");
        Double low = min != null ? min : exclusiveMin;
        Double high = max != null ? max : exclusiveMax;
        double value = 0;
        boolean tooLow = (min != null && value < min) || (exclusiveMin != null && value <= exclusiveMin);
        boolean tooHigh = (max != null && value > max) || (exclusiveMax != null && value >= exclusiveMax);
        if ((tooLow || tooHigh) && low != null && high != null) {
            value = (low + high) / 2;
        } else if (tooLow) {
            value = min != null ? min : exclusiveMin + 1;
        } else if (tooHigh) {
            value = max != null ? max : exclusiveMax - 1;
        }
        return value;
    }

    /** A numeric keyword; draft-4 boolean {@code exclusiveMinimum} / {@code exclusiveMaximum} are ignored. */
    private static Double bound(Map<?, ?> s, String key) {
        return s.get(key) instanceof Number n ? n.doubleValue() : null;
    }

    private static long number(Map<?, ?> s, String key, long otherwise) {
        return s.get(key) instanceof Number n ? Math.max(0, n.longValue()) : otherwise;
    }
}
