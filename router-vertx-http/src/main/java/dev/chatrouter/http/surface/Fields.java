package dev.chatrouter.http.surface;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.kit.wire.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a client's JSON body field by field, failing with a {@link ChatRouterException} whose {@code param} is the
 * field's path ({@code messages[2].content[0].source}) and whose message starts with it.
 */
final class Fields {

    private Fields() {
    }

    /** The body as a JSON object. */
    static Map<String, Object> body(byte[] json) {
        Object value;
        try {
            value = Json.read(json);
        } catch (IllegalArgumentException e) {
            throw ChatRouterException.invalid(ErrorCode.INVALID_JSON, null,
                    "the body is not valid JSON: " + e.getMessage());
        }
        if (!(value instanceof Map<?, ?>)) {
            throw ChatRouterException.invalid(ErrorCode.INVALID_JSON, null, "the body must be a JSON object");
        }
        return object(value, "body");
    }

    static ChatRouterException missing(String path) {
        return ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, path, path + ": field required");
    }

    static ChatRouterException invalid(String path, String expected) {
        return ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, path, path + ": " + expected);
    }

    static ChatRouterException unsupported(String path, String why) {
        return ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, path, path + ": not supported: " + why);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String path) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw invalid(path, "expected an object");
    }

    static List<?> list(Object value, String path) {
        if (value instanceof List<?> list) {
            return list;
        }
        throw invalid(path, "expected an array");
    }

    static String string(Map<String, Object> in, String key, String path, boolean required) {
        Object value = in.get(key);
        if (value == null) {
            if (required) {
                throw missing(path);
            }
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        throw invalid(path, "expected a string");
    }

    static Double number(Map<String, Object> in, String key, String path) {
        Object value = in.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw invalid(path, "expected a number");
    }

    static Integer integer(Map<String, Object> in, String key, String path, boolean required, int min) {
        Object value = in.get(key);
        if (value == null) {
            if (required) {
                throw missing(path);
            }
            return null;
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && n.doubleValue() >= min && n.doubleValue() <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw invalid(path, "expected an integer of at least " + min);
    }

    /** A 64-bit integer ({@code seed}), or {@code null} when absent. */
    static Long longInteger(Map<String, Object> in, String key, String path) {
        Object value = in.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof java.math.BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        throw invalid(path, "expected a 64-bit integer");
    }

    static Boolean bool(Map<String, Object> in, String key, String path) {
        Object value = in.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw invalid(path, "expected true or false");
    }

    /** A string or a list of strings, as a list. */
    static List<String> strings(Object value, String path) {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        List<?> list = list(value, path);
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw invalid(path + "[" + i + "]", "expected a string");
            }
            out.add(s);
        }
        return out;
    }

    /** The fields of {@code in} other than {@code known}, in order. */
    static Map<String, Object> rest(Map<String, Object> in, java.util.Set<String> known) {
        Map<String, Object> rest = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            if (!known.contains(k)) {
                rest.put(k, v);
            }
        });
        return rest;
    }

    /** A JSON text of a tool call's arguments as a value; an object that is not valid JSON becomes {@code {}}. */
    static Object arguments(String arguments) {
        if (arguments == null || arguments.isBlank()) {
            return Map.of();
        }
        try {
            return Json.read(arguments.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    static String json(Object value) {
        return new String(Json.write(value), StandardCharsets.UTF_8);
    }

    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
