package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The OpenAI wire format: Chat Completions requests, responses and stream chunks, embeddings, errors and model
 * lists, read into the {@code router-api} records and written back.
 *
 * <p><b>Nothing is lost.</b> A JSON field a record does not name goes to the nearest {@code extra} map, at every
 * level that has one; a content part of an unknown type becomes {@code ContentPart.Other}. A named field sent as
 * an explicit {@code null}, or holding a shape its record cannot represent exactly (a {@code response_format} or
 * {@code tool_choice} with fields of its own, a tool call's {@code function} whose arguments are not a string), is
 * left {@code null} in the record and kept raw in the nearest {@code extra}; an {@code input_audio} or {@code file}
 * part with fields the record has no room for becomes {@code ContentPart.Other}. Writing gives the same JSON back:
 * known fields in OpenAI's order, then extras in their original order. An extra entry named like a known field is
 * written only while that field is null in the record, so values set by the router win. Two defaults are not
 * written back: {@code created} 0 (an upstream that sent none) and, in embeddings usage, {@code completion_tokens}
 * 0 (OpenAI sends none).
 *
 * <p><b>Strict and lenient.</b> Requests from clients ({@link #readChatRequest}, {@link #readEmbeddingRequest}) are
 * read strictly and fail with a {@link ChatRouterException} whose code is {@code INVALID_JSON},
 * {@code MISSING_PARAMETER} or {@code INVALID_PARAMETER} and whose {@code param} names the field
 * ({@code messages[1].content[0].text}). Answers from upstreams are read leniently (missing {@code id},
 * {@code object}, {@code created}, {@code index} or token counts take defaults) and fail with an
 * {@link IllegalArgumentException} when they are not JSON or a field has the wrong type.
 *
 * <p>All methods are thread-safe.
 */
public final class WireCodec {

    /** The end of an OpenAI stream: {@code data: [DONE]\n\n}. Shared: do not modify. */
    public static final byte[] SSE_DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] SSE_DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SSE_END = {'\n', '\n'};

    private WireCodec() {
    }

    @FunctionalInterface
    private interface Read<T> {
        T read(WireReader r) throws IOException;
    }

    @FunctionalInterface
    private interface Write<T> {
        void write(JsonGenerator g, T value) throws IOException;
    }

    private static <T> T read(WireReader r, Read<T> reader) {
        try (r) {
            return reader.read(r);
        } catch (JsonProcessingException e) {
            throw r.syntax(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte-array parser does no I/O
        }
    }

    private static <T> T strict(byte[] json, Read<T> reader) {
        Objects.requireNonNull(json, "json");
        return read(WireReader.of(json, 0, json.length, true), reader);
    }

    private static <T> T lenient(byte[] json, Read<T> reader) {
        Objects.requireNonNull(json, "json");
        return read(WireReader.of(json, 0, json.length, false), reader);
    }

    private static <T> byte[] write(T value, Write<T> writer) {
        Objects.requireNonNull(value, "value");
        ExactBytes out = new ExactBytes();
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            writer.write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // ---- chat ----------------------------------------------------------------------------------------------

    /**
     * Reads a client's Chat Completions request.
     *
     * @throws ChatRouterException with code {@code INVALID_JSON}, {@code MISSING_PARAMETER} or
     *                             {@code INVALID_PARAMETER} (with {@code param}) when the request is malformed
     */
    public static ChatRequest readChatRequest(byte[] json) {
        return strict(json, ModelReader::chatRequest);
    }

    public static byte[] writeChatRequest(ChatRequest request) {
        return write(request, ModelWriter::chatRequest);
    }

    /**
     * Reads an upstream's completion, leniently.
     *
     * @throws IllegalArgumentException if the body is not JSON or a field has the wrong type
     */
    public static ChatResponse readChatResponse(byte[] json) {
        return lenient(json, ModelReader::chatResponse);
    }

    public static byte[] writeChatResponse(ChatResponse response) {
        return write(response, ModelWriter::chatResponse);
    }

    /**
     * Reads one stream chunk (the data of one event), leniently.
     *
     * @throws IllegalArgumentException if the data is not JSON or a field has the wrong type
     */
    public static ChatChunk readChatChunk(byte[] json) {
        return lenient(json, ModelReader::chatChunk);
    }

    /**
     * Reads one stream chunk from an {@link SseEvent#data()}, leniently.
     *
     * @throws IllegalArgumentException if the data is not JSON or a field has the wrong type
     */
    public static ChatChunk readChatChunk(String data) {
        Objects.requireNonNull(data, "data");
        return read(WireReader.of(data, false), ModelReader::chatChunk);
    }

    public static byte[] writeChatChunk(ChatChunk chunk) {
        return write(chunk, ModelWriter::chatChunk);
    }

    /**
     * Appends one chunk as one SSE event, {@code data: <json>\n\n}, to {@code out}, without an intermediate array:
     * what {@code sseData(writeChatChunk(chunk))} gives. {@code out} is not closed.
     */
    public static void writeSseChunk(ChatChunk chunk, java.io.OutputStream out) {
        Objects.requireNonNull(chunk, "chunk");
        try {
            out.write(SSE_DATA);
            try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                ModelWriter.chatChunk(g, chunk);
            }
            out.write(SSE_END);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- embeddings ----------------------------------------------------------------------------------------

    /**
     * Reads a client's embeddings request; {@code input} is a string or an array of strings.
     *
     * @throws ChatRouterException like {@link #readChatRequest}; token-array inputs are {@code INVALID_PARAMETER}
     */
    public static EmbeddingRequest readEmbeddingRequest(byte[] json) {
        return strict(json, ModelReader::embeddingRequest);
    }

    public static byte[] writeEmbeddingRequest(EmbeddingRequest request) {
        return write(request, ModelWriter::embeddingRequest);
    }

    /**
     * Reads an upstream's embeddings, leniently; each embedding is an array of numbers or a base64 string.
     *
     * @throws IllegalArgumentException if the body is not JSON or a field has the wrong type
     */
    public static EmbeddingResponse readEmbeddingResponse(byte[] json) {
        return lenient(json, ModelReader::embeddingResponse);
    }

    public static byte[] writeEmbeddingResponse(EmbeddingResponse response) {
        return write(response, ModelWriter::embeddingResponse);
    }

    // ---- errors --------------------------------------------------------------------------------------------

    /**
     * The OpenAI error envelope: {@code {"error":{"message","type","param","code"[,"metadata"]}}}. {@code param} and
     * {@code code} are written as JSON null when null; {@code metadata} (plain Java values) is left out when null
     * or empty.
     */
    public static byte[] writeError(String message, String type, String param, String code,
                                    Map<String, Object> metadata) {
        ExactBytes out = new ExactBytes();
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message == null ? "" : message);
            g.writeStringField("type", type);
            g.writeStringField("param", param);
            g.writeStringField("code", code);
            if (metadata != null && !metadata.isEmpty()) {
                g.writeFieldName("metadata");
                Json.writeValue(g, metadata);
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads an upstream's error body: {@code {"error":{...}}} (OpenAI), {@code {"error":"text"}},
     * {@code {"message":...}} or {@code {"detail":...}} (FastAPI servers), and any of these wrapped in a one-element
     * array. A numeric {@code code} becomes its string.
     *
     * @return the error, or {@code null} when the body is not JSON or not one of these shapes
     */
    public static UpstreamError readError(byte[] body) {
        return ErrorReader.read(body);
    }

    // ---- models --------------------------------------------------------------------------------------------

    /** {@code {"object":"list","data":[{"id","object":"model","created","owned_by"}...]}} */
    public static byte[] writeModels(List<ModelInfo> models) {
        return write(models, (g, list) -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (ModelInfo m : list) {
                ModelWriter.model(g, m);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** {@code {"id","object":"model","created","owned_by"}} */
    public static byte[] writeModel(ModelInfo model) {
        return write(model, ModelWriter::model);
    }

    /**
     * Reads an upstream's model list ({@code GET /models}), leniently; fields other than id, created and owned_by
     * are ignored.
     *
     * @throws IllegalArgumentException if the body is not JSON or a model has no id
     */
    public static List<ModelInfo> readModels(byte[] json) {
        return lenient(json, ModelReader::models);
    }

    // ---- server-sent events --------------------------------------------------------------------------------

    /** One SSE event carrying {@code json}: {@code data: <json>\n\n}. {@code json} must not contain line breaks. */
    public static byte[] sseData(byte[] json) {
        byte[] out = new byte[SSE_DATA.length + json.length + 2];
        System.arraycopy(SSE_DATA, 0, out, 0, SSE_DATA.length);
        System.arraycopy(json, 0, out, SSE_DATA.length, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }
}
