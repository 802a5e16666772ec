package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Edits a few fields of a JSON document in one streaming pass, copying everything else token by token, so a
 * request or answer relayed as it is keeps its other fields, their order and the fields the router knows nothing
 * about, and no tree of the document is built. Values are plain Java JSON values, as {@link Json} reads and writes
 * them. Numbers are copied as they were written.
 *
 * <pre>{@code
 * byte[] upstream = JsonEdit.of(body).set("model", "claude-sonnet-4-5").remove("previous_response_id").apply();
 * byte[] event = JsonEdit.of(data).replace(List.of("message", "model"), "my-intent").apply();
 * }</pre>
 */
public final class JsonEdit {

    private enum Kind { SET, REPLACE, REMOVE }

    private record Edit(List<String> path, Kind kind, Object value) {
    }

    private final byte[] json;
    private final Map<List<String>, Edit> edits = new LinkedHashMap<>();

    private JsonEdit(byte[] json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    /** Starts editing {@code json}, which must be a JSON object. */
    public static JsonEdit of(byte[] json) {
        return new JsonEdit(json);
    }

    /** One field set in one pass: {@code JsonEdit.of(json).set(field, value).apply()}. */
    public static byte[] set(byte[] json, String field, Object value) {
        return of(json).set(field, value).apply();
    }

    /**
     * Sets the top-level {@code field} to {@code value}: where it is when the document has it, else as the last
     * field.
     */
    public JsonEdit set(String field, Object value) {
        return add(List.of(Objects.requireNonNull(field, "field")), Kind.SET, value);
    }

    /** Removes the top-level {@code field} when the document has it. */
    public JsonEdit remove(String field) {
        return add(List.of(Objects.requireNonNull(field, "field")), Kind.REMOVE, null);
    }

    /**
     * Replaces the value at {@code path} (field names from the top-level object down, through objects only) when the
     * document has it; adds nothing when it does not.
     *
     * @throws IllegalArgumentException if {@code path} is empty
     */
    public JsonEdit replace(List<String> path, Object value) {
        if (path.isEmpty()) {
            throw new IllegalArgumentException("path must name at least one field");
        }
        return add(List.copyOf(path), Kind.REPLACE, value);
    }

    private JsonEdit add(List<String> path, Kind kind, Object value) {
        edits.put(path, new Edit(path, kind, value));
        return this;
    }

    /**
     * The edited document.
     *
     * @throws IllegalArgumentException if the document is not valid JSON or not an object
     */
    public byte[] apply() {
        if (edits.isEmpty()) {
            return json;
        }
        ByteArrayBuilder out = new ByteArrayBuilder(json.length + 64);
        try (JsonParser p = Json.FACTORY.createParser(json); JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            g.writeStartObject();
            copyObject(p, g, new ArrayList<>(4));
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("unexpected content after the JSON value at "
                        + p.currentLocation().offsetDescription());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // byte arrays do no I/O
        }
        return out.toByteArray();
    }

    /** Copies the fields of the object whose start was just read (and written), up to and with its end. */
    private void copyObject(JsonParser p, JsonGenerator g, List<String> path) throws IOException {
        boolean top = path.isEmpty();
        List<String> seen = top ? new ArrayList<>(2) : null;
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            path.add(name);
            Edit edit = edits.get(path);
            JsonToken value = p.nextToken();
            if (edit != null) {
                if (top) {
                    seen.add(name);
                }
                p.skipChildren();
                if (edit.kind != Kind.REMOVE) {
                    g.writeFieldName(name);
                    Json.writeValue(g, edit.value);
                }
            } else {
                g.writeFieldName(name);
                if (value == JsonToken.START_OBJECT && reachesBelow(path)) {
                    g.writeStartObject();
                    copyObject(p, g, path);
                } else {
                    copy(p, g);
                }
            }
            path.remove(path.size() - 1);
        }
        if (token != JsonToken.END_OBJECT) {
            throw new IllegalArgumentException("malformed JSON object");
        }
        if (top) {
            for (Edit edit : edits.values()) {
                if (edit.kind == Kind.SET && !seen.contains(edit.path.get(0))) {
                    g.writeFieldName(edit.path.get(0));
                    Json.writeValue(g, edit.value);
                }
            }
        }
        g.writeEndObject();
    }

    /** Copies the value whose first token was just read; numbers keep their text (no float rounding). */
    private static void copy(JsonParser p, JsonGenerator g) throws IOException {
        int depth = 0;
        JsonToken token = p.currentToken();
        while (true) {
            switch (token) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                default -> {
                }
            }
            if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                g.writeNumber(p.getText());
            } else {
                g.copyCurrentEvent(p);
            }
            if (depth == 0) {
                return;
            }
            token = p.nextToken();
            if (token == null) {
                throw new IllegalArgumentException("the JSON document ends inside a value");
            }
        }
    }

    /** Whether an edit lies below {@code path}, so its object must be walked rather than copied whole. */
    private boolean reachesBelow(List<String> path) {
        for (List<String> target : edits.keySet()) {
            if (target.size() > path.size() && target.subList(0, path.size()).equals(path)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "JsonEdit" + Arrays.toString(edits.keySet().toArray());
    }
}
