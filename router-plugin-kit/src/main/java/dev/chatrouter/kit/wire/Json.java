package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Plain-Java JSON values, the representation of every {@code extra} map, schema, metadata and logprobs of the model
 * records: {@link LinkedHashMap} for objects, {@link ArrayList} for arrays, {@link String}, {@link Long} (or
 * {@link BigInteger} beyond 64 bits), {@link Double} (or {@link BigDecimal} when a double would not give back the
 * same decimal), {@link Boolean} and {@code null}.
 *
 * <p>One {@link ObjectMapper} is shared by the whole codec; it allows strings up to 256 MiB (inline images and
 * documents) and otherwise keeps Jackson's defaults.
 */
public final class Json {

    /** Longest JSON string accepted: inline base64 images, audio and PDFs are big. */
    static final int MAX_STRING_LENGTH = 256 * 1024 * 1024;

    private static final ObjectMapper MAPPER;
    static final JsonFactory FACTORY;

    static {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_STRING_LENGTH).build())
                .build();
        MAPPER = new ObjectMapper(factory);
        FACTORY = MAPPER.getFactory();
    }

    private Json() {
    }

    /** The shared mapper. Do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Converts a tree to plain Java values; a {@code null} node or a JSON null gives {@code null}. */
    public static Object toJava(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        switch (node.getNodeType()) {
            case OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> e = fields.next();
                    map.put(e.getKey(), toJava(e.getValue()));
                }
                return map;
            }
            case ARRAY: {
                List<Object> list = new ArrayList<>(node.size());
                for (JsonNode element : node) {
                    list.add(toJava(element));
                }
                return list;
            }
            case STRING:
                return node.textValue();
            case BOOLEAN:
                return node.booleanValue();
            case NUMBER:
                if (node.isIntegralNumber()) {
                    return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
                }
                if (node.isBigDecimal()) {
                    return decimal(node.decimalValue());
                }
                return node.doubleValue();
            case BINARY:
                return node.asText();
            default:
                // POJO nodes: let the mapper render them, then read back.
                return toJava(MAPPER.valueToTree(node));
        }
    }

    /** Converts plain Java values (and anything the mapper can serialise) to a tree. */
    public static JsonNode toNode(Object value) {
        JsonNodeFactory nf = MAPPER.getNodeFactory();
        if (value == null) {
            return nf.nullNode();
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof String s) {
            return nf.textNode(s);
        }
        if (value instanceof Boolean b) {
            return nf.booleanNode(b);
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = nf.objectNode();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                object.set(String.valueOf(e.getKey()), toNode(e.getValue()));
            }
            return object;
        }
        if (value instanceof Iterable<?> iterable) {
            ArrayNode array = nf.arrayNode();
            for (Object element : iterable) {
                array.add(toNode(element));
            }
            return array;
        }
        if (value instanceof Long l) {
            return nf.numberNode(l);
        }
        if (value instanceof Integer i) {
            return nf.numberNode(i);
        }
        if (value instanceof Double d) {
            return nf.numberNode(d);
        }
        if (value instanceof BigInteger bi) {
            return nf.numberNode(bi);
        }
        if (value instanceof BigDecimal bd) {
            return nf.numberNode(bd);
        }
        if (value instanceof Decimals.Usd usd) {
            return nf.numberNode(new BigDecimal(usd.text()));
        }
        return MAPPER.valueToTree(value);
    }

    /** Writes plain Java values as compact JSON. */
    public static byte[] write(Object value) {
        ExactBytes out = new ExactBytes();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeValue(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads JSON into plain Java values.
     *
     * @throws IllegalArgumentException if {@code json} is not one valid JSON value
     */
    public static Object read(byte[] json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("no JSON value: the input is empty");
            }
            Object value = readValue(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("unexpected content after the JSON value at "
                        + p.currentLocation().offsetDescription());
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte-array parser does no I/O
        }
    }

    /** {@code [Source: ...; line: 1, column: 27]}, as Jackson places a location inside its messages. */
    private static final Pattern SOURCE_LOCATION = Pattern.compile(
            "\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]");
    /** {@code , from `StreamReadConstraints.getMaxStringLength()`}: a Jackson API name in a limit's message. */
    private static final Pattern API_NAME = Pattern.compile(",? from `[^`]*`");

    /**
     * What is wrong with a document, for the person who sent it: Jackson's message without Jackson's class and
     * feature names and without any source excerpt (which could hold a secret from the request), then where:
     * {@code Unexpected character ('#' (code 35)): expected a valid value (...) at line 1, column 11}.
     */
    public static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        message = SOURCE_LOCATION.matcher(message).replaceAll("line $1, column $2");
        message = API_NAME.matcher(message).replaceAll("");
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            message += " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        }
        return message;
    }

    /** Reads the value at the parser's current token (already advanced to), leaving the parser on its last token. */
    static Object readValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    map.put(name, readValue(p));
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue() : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return floatValue(p);
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            case VALUE_EMBEDDED_OBJECT:
                return p.getEmbeddedObject();
            default:
                throw new IllegalStateException("unexpected token " + t);
        }
    }

    /** A float as a Double, unless the double would not give back the same decimal value. */
    private static Object floatValue(JsonParser p) throws IOException {
        String text = p.getText();
        int digits = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c == 'e' || c == 'E') {
                break;
            }
            if (c >= '0' && c <= '9') {
                digits++;
            }
        }
        double d = p.getDoubleValue();
        // Any decimal of at most 15 significant digits survives a trip through a double.
        if (digits <= 15 && Double.isFinite(d) && (d != 0.0 || isZero(text))) {
            return d;
        }
        return decimal(new BigDecimal(text));
    }

    private static boolean isZero(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c == 'e' || c == 'E') {
                return true;
            }
            if (c >= '1' && c <= '9') {
                return false;
            }
        }
        return true;
    }

    private static Object decimal(BigDecimal value) {
        double d = value.doubleValue();
        if (Double.isFinite(d) && new BigDecimal(Double.toString(d)).compareTo(value) == 0) {
            return d;
        }
        return value;
    }

    /** Writes a plain Java value; anything else is handed to the shared mapper. */
    static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> list) {
            g.writeStartArray();
            for (int i = 0, n = list.size(); i < n; i++) {
                writeValue(g, list.get(i));
            }
            g.writeEndArray();
        } else if (value instanceof Long l) {
            g.writeNumber(l);
        } else if (value instanceof Integer i) {
            g.writeNumber(i);
        } else if (value instanceof Double d) {
            g.writeNumber(d);
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof BigInteger bi) {
            g.writeNumber(bi);
        } else if (value instanceof BigDecimal bd) {
            g.writeNumber(bd);
        } else if (value instanceof Decimals.Usd usd) {
            g.writeNumber(usd.text());
        } else if (value instanceof Float f) {
            g.writeNumber(f);
        } else if (value instanceof Short || value instanceof Byte) {
            g.writeNumber(((Number) value).intValue());
        } else if (value instanceof JsonNode node) {
            MAPPER.writeTree(g, node); // before Iterable: an ObjectNode iterates over its values
        } else if (value instanceof Iterable<?> iterable) {
            g.writeStartArray();
            for (Object element : iterable) {
                writeValue(g, element);
            }
            g.writeEndArray();
        } else {
            MAPPER.writeValue(g, value);
        }
    }
}
