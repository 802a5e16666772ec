package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A streaming parser that knows where it is ({@code messages[1].content[0]}) and how to fail: strict readers
 * (requests from clients) throw {@link ChatRouterException} with a code and a {@code param}; lenient readers
 * (upstream answers) throw {@link IllegalArgumentException}.
 */
final class WireReader implements Closeable {

    final JsonParser p;
    final boolean strict;
    private Object[] path = new Object[16];
    private int depth;

    private WireReader(JsonParser p, boolean strict) {
        this.p = p;
        this.strict = strict;
    }

    static WireReader of(byte[] json, int offset, int length, boolean strict) {
        try {
            return new WireReader(Json.FACTORY.createParser(json, offset, length), strict);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a byte-array parser does no I/O
        }
    }

    static WireReader of(String json, boolean strict) {
        try {
            return new WireReader(Json.FACTORY.createParser(json), strict);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Moves to the root value, which must be an object. */
    void startRoot() throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw syntax("the body is empty: expected a JSON object", "invalid JSON: the body is empty");
        }
        if (t != JsonToken.START_OBJECT) {
            throw syntax("the body must be a JSON object, found " + found(),
                    "invalid JSON: expected an object, found " + found());
        }
    }

    /** Checks nothing follows the root value. */
    void endRoot() throws IOException {
        if (p.nextToken() != null) {
            String where = "unexpected content after the JSON object at line " + p.currentLocation().getLineNr()
                    + ", column " + p.currentLocation().getColumnNr();
            throw syntax("the body is not valid JSON: " + where, "invalid JSON: " + where);
        }
    }

    /** A body that is no JSON object: told to a client ({@code strict}) or about an upstream's answer. */
    private RuntimeException syntax(String toClient, String aboutUpstream) {
        return strict ? ChatRouterException.invalid(ErrorCode.INVALID_JSON, null, toClient)
                : new IllegalArgumentException(aboutUpstream);
    }

    /** A parse failure, or a document over Jackson's limits (nesting depth, string length). */
    RuntimeException syntax(JsonProcessingException e) {
        if (strict) {
            return ChatRouterException.builder(ErrorCode.INVALID_JSON, "the body is not valid JSON: " + Json.describe(e))
                    .cause(e).build();
        }
        return new IllegalArgumentException("invalid JSON: " + Json.describe(e), e);
    }

    @Override
    public void close() {
        try {
            p.close();
        } catch (IOException ignored) {
            // a byte-array parser does no I/O
        }
    }

    // ---- position ------------------------------------------------------------------------------------------

    void push(Object segment) {
        if (depth == path.length) {
            path = java.util.Arrays.copyOf(path, depth * 2);
        }
        path[depth++] = segment;
    }

    void pop() {
        path[--depth] = null;
    }

    /** The path of {@code field} (or of the current position when null): {@code messages[1].content[0].text}. */
    String param(String field) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            append(sb, path[i]);
        }
        if (field != null) {
            append(sb, field);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static void append(StringBuilder sb, Object segment) {
        if (segment instanceof Integer index) {
            sb.append('[').append(index).append(']');
        } else {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(segment);
        }
    }

    // ---- failures ------------------------------------------------------------------------------------------

    RuntimeException missing(String field) {
        String param = param(field);
        String message = "missing required parameter '" + param + "'";
        return strict ? ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, param, message)
                : new IllegalArgumentException(message);
    }

    /** The current token is not what {@code field} needs. */
    RuntimeException invalid(String field, String expected) {
        return invalidMessage(field, "expected " + expected + ", found " + found());
    }

    /** {@code value} (plain Java) is not what {@code field} needs. */
    RuntimeException invalidValue(String field, String expected, Object value) {
        return invalidMessage(field, "expected " + expected + ", found " + describe(value));
    }

    RuntimeException invalidMessage(String field, String detail) {
        String param = param(field);
        String message = "invalid parameter '" + param + "': " + detail;
        return strict ? ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, param, message)
                : new IllegalArgumentException(message);
    }

    private String found() {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "nothing";
        }
        switch (t) {
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                try {
                    return "the string " + quote(p.getText());
                } catch (IOException e) {
                    return "a string";
                }
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                try {
                    return "the number " + p.getText();
                } catch (IOException e) {
                    return "a number";
                }
            case VALUE_TRUE:
                return "true";
            case VALUE_FALSE:
                return "false";
            case VALUE_NULL:
                return "null";
            default:
                return t.toString();
        }
    }

    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof String s) {
            return "the string " + quote(s);
        }
        if (value instanceof Number n) {
            return "the number " + n;
        }
        return String.valueOf(value);
    }

    static String quote(String s) {
        return s.length() > 40 ? "\"" + s.substring(0, 40) + "...\"" : "\"" + s + "\"";
    }

    // ---- tokens --------------------------------------------------------------------------------------------

    /** Advances to the value of the next field of the current object and returns its name, or null at the end. */
    String nextField() throws IOException {
        if (p.nextToken() != JsonToken.FIELD_NAME) {
            return null;
        }
        String name = p.currentName();
        p.nextToken();
        return name;
    }

    boolean isNull() {
        return p.currentToken() == JsonToken.VALUE_NULL;
    }

    JsonToken token() {
        return p.currentToken();
    }

    void startObject(String field, String expected) {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw invalid(field, expected);
        }
    }

    void startArray(String field, String expected) {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw invalid(field, expected);
        }
    }

    /** Advances to the next element of the current array; false at its end. */
    boolean nextElement() throws IOException {
        return p.nextToken() != JsonToken.END_ARRAY;
    }

    String string(String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw invalid(field, "a string");
        }
        return p.getText();
    }

    Boolean bool(String field) {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_TRUE) {
            return Boolean.TRUE;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return Boolean.FALSE;
        }
        throw invalid(field, "a boolean");
    }

    Double number(String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw invalid(field, "a number");
        }
        return p.getDoubleValue();
    }

    long longValue(String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            return p.getLongValue();
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
                return (long) d;
            }
        }
        throw invalid(field, "an integer");
    }

    int intValue(String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
            return p.getIntValue();
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw invalid(field, t == JsonToken.VALUE_NUMBER_INT ? "an integer of at most 32 bits" : "an integer");
    }

    /** The current value as plain Java values, consumed whole. */
    Object raw() throws IOException {
        return Json.readValue(p);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> rawObject(String field, String expected) throws IOException {
        startObject(field, expected);
        return (Map<String, Object>) Json.readValue(p);
    }

    // ---- plain-Java checks (for parts read whole) ---------------------------------------------------------

    String asString(Object value, String field) {
        if (value instanceof String s) {
            return s;
        }
        throw invalidValue(field, "a string", value);
    }

    Boolean asBoolean(Object value, String field) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw invalidValue(field, "a boolean", value);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> asObject(Object value, String field) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw invalidValue(field, "an object", value);
    }

    Long asLong(Object value, String field) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            return d.longValue();
        }
        if (value instanceof BigInteger) {
            throw invalidValue(field, "an integer of at most 64 bits", value);
        }
        throw invalidValue(field, "an integer", value);
    }

    static Map<String, Object> put(Map<String, Object> extra, String name, Object value) {
        if (extra == null) {
            extra = new LinkedHashMap<>();
        }
        extra.put(name, value);
        return extra;
    }
}
