package dev.chatrouter.kit.wire;

import java.util.List;
import java.util.Map;

/** Reads the error bodies OpenAI and OpenAI-compatible servers send; see {@link WireCodec#readError}. */
final class ErrorReader {

    private ErrorReader() {
    }

    static UpstreamError read(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        Object root;
        try {
            root = Json.read(body);
        } catch (IllegalArgumentException notJson) {
            return null;
        }
        if (root instanceof List<?> list && list.size() == 1) {
            root = list.get(0); // Gemini's OpenAI endpoint wraps the envelope in an array
        }
        if (!(root instanceof Map<?, ?> map)) {
            return null;
        }
        Object error = map.get("error");
        if (error instanceof Map<?, ?> inner) {
            return new UpstreamError(message(inner.get("message"), inner), text(inner.get("type")),
                    text(inner.get("param")), text(inner.get("code")));
        }
        if (error instanceof String text) {
            return new UpstreamError(text, text(map.get("type")), text(map.get("param")), text(map.get("code")));
        }
        Object message = map.containsKey("message") ? map.get("message") : map.get("detail");
        if (message == null) {
            return null;
        }
        Object type = map.containsKey("type") ? map.get("type") : map.get("error_type");
        return new UpstreamError(message(message, map), text(type), text(map.get("param")), text(map.get("code")));
    }

    /** A message: a string, FastAPI's list of {msg} objects joined with "; ", or the JSON of anything else. */
    private static String message(Object value, Map<?, ?> envelope) {
        if (value == null) {
            return envelope.containsKey("detail") ? message(envelope.get("detail"), Map.of()) : "";
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof List<?> list) {
            StringBuilder sb = new StringBuilder();
            for (Object item : list) {
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                if (item instanceof Map<?, ?> m && m.get("msg") instanceof String msg) {
                    Object loc = m.get("loc");
                    sb.append(loc instanceof List<?> path ? join(path) + ": " : "").append(msg);
                } else {
                    sb.append(item instanceof String s ? s : new String(Json.write(item),
                            java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return sb.toString();
        }
        return new String(Json.write(value), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String join(List<?> path) {
        StringBuilder sb = new StringBuilder();
        for (Object segment : path) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(segment);
        }
        return sb.toString();
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Map || value instanceof List) {
            return new String(Json.write(value), java.nio.charset.StandardCharsets.UTF_8);
        }
        return String.valueOf(value);
    }
}
