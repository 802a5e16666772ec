package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.CompletionTokensDetails;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.FunctionDefinition;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.PromptTokensDetails;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.embed.Embedding;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Writes the model records with a {@link JsonGenerator}: known fields in OpenAI's order, then {@code extra} in its
 * own order. A null known field is not written; an {@code extra} entry named like a known field is written only
 * when that field is null in the record (this is how {@link ModelReader} keeps explicit nulls and shapes the
 * records cannot hold), so a value set on the record always wins and no name is written twice.
 */
final class ModelWriter {

    private ModelWriter() {
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static void string(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static void number(JsonGenerator g, String name, Double value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            g.writeNumber(value);
        }
    }

    private static void number(JsonGenerator g, String name, Integer value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            g.writeNumber(value);
        }
    }

    private static void number(JsonGenerator g, String name, Long value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            g.writeNumber(value);
        }
    }

    private static void bool(JsonGenerator g, String name, Boolean value) throws IOException {
        if (value != null) {
            g.writeBooleanField(name, value);
        }
    }

    private static void value(JsonGenerator g, String name, Object value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            Json.writeValue(g, value);
        }
    }

    /** Writes the extra entries but those whose name is a field already written ({@code written}). */
    private static void extras(JsonGenerator g, Map<String, Object> extra, Predicate<String> written)
            throws IOException {
        for (Map.Entry<String, Object> e : extra.entrySet()) {
            String key = e.getKey();
            if (!written.test(key)) {
                g.writeFieldName(key);
                Json.writeValue(g, e.getValue());
            }
        }
    }

    /** {@code created}: 0 stands for an upstream that sent none, and is not written. */
    private static void created(JsonGenerator g, long created) throws IOException {
        if (created != 0) {
            g.writeNumberField("created", created);
        }
    }

    // ---- requests ------------------------------------------------------------------------------------------

    static void chatRequest(JsonGenerator g, ChatRequest q) throws IOException {
        g.writeStartObject();
        string(g, "model", q.model());
        g.writeFieldName("messages");
        g.writeStartArray();
        for (Message m : q.messages()) {
            message(g, m);
        }
        g.writeEndArray();
        if (q.tools() != null) {
            g.writeFieldName("tools");
            g.writeStartArray();
            for (Tool t : q.tools()) {
                tool(g, t);
            }
            g.writeEndArray();
        }
        toolChoice(g, q.toolChoice());
        bool(g, "parallel_tool_calls", q.parallelToolCalls());
        responseFormat(g, q.responseFormat());
        bool(g, "stream", q.stream());
        streamOptions(g, q.streamOptions());
        number(g, "temperature", q.temperature());
        number(g, "top_p", q.topP());
        number(g, "max_tokens", q.maxTokens());
        number(g, "max_completion_tokens", q.maxCompletionTokens());
        number(g, "n", q.n());
        if (q.stop() != null) {
            g.writeFieldName("stop");
            if (q.stop().single()) {
                g.writeString(q.stop().sequences().get(0));
            } else {
                g.writeStartArray();
                for (String s : q.stop().sequences()) {
                    g.writeString(s);
                }
                g.writeEndArray();
            }
        }
        number(g, "seed", q.seed());
        number(g, "presence_penalty", q.presencePenalty());
        number(g, "frequency_penalty", q.frequencyPenalty());
        bool(g, "logprobs", q.logprobs());
        number(g, "top_logprobs", q.topLogprobs());
        string(g, "user", q.user());
        value(g, "metadata", q.metadata());
        string(g, "reasoning_effort", q.reasoningEffort());
        if (!q.extra().isEmpty()) {
            extras(g, q.extra(), key -> requestHas(q, key));
        }
        g.writeEndObject();
    }

    private static boolean requestHas(ChatRequest q, String key) {
        return switch (key) {
            case "model" -> q.model() != null;
            case "messages" -> true;
            case "tools" -> q.tools() != null;
            case "tool_choice" -> q.toolChoice() != null;
            case "parallel_tool_calls" -> q.parallelToolCalls() != null;
            case "response_format" -> q.responseFormat() != null;
            case "stream" -> q.stream() != null;
            case "stream_options" -> q.streamOptions() != null;
            case "temperature" -> q.temperature() != null;
            case "top_p" -> q.topP() != null;
            case "max_tokens" -> q.maxTokens() != null;
            case "max_completion_tokens" -> q.maxCompletionTokens() != null;
            case "n" -> q.n() != null;
            case "stop" -> q.stop() != null;
            case "seed" -> q.seed() != null;
            case "presence_penalty" -> q.presencePenalty() != null;
            case "frequency_penalty" -> q.frequencyPenalty() != null;
            case "logprobs" -> q.logprobs() != null;
            case "top_logprobs" -> q.topLogprobs() != null;
            case "user" -> q.user() != null;
            case "metadata" -> q.metadata() != null;
            case "reasoning_effort" -> q.reasoningEffort() != null;
            default -> false;
        };
    }

    static void message(JsonGenerator g, Message m) throws IOException {
        g.writeStartObject();
        g.writeStringField("role", m.role().wireName());
        Content content = m.content();
        if (content instanceof Content.Text text) {
            JsonStrings.field(g, "content", text.text());
        } else if (content instanceof Content.Parts parts) {
            g.writeFieldName("content");
            g.writeStartArray();
            for (ContentPart part : parts.parts()) {
                part(g, part);
            }
            g.writeEndArray();
        }
        string(g, "name", m.name());
        string(g, "refusal", m.refusal());
        toolCalls(g, m.toolCalls());
        string(g, "tool_call_id", m.toolCallId());
        if (!m.extra().isEmpty()) {
            extras(g, m.extra(), key -> switch (key) {
                case "role" -> true;
                case "content" -> m.content() != null;
                case "name" -> m.name() != null;
                case "refusal" -> m.refusal() != null;
                case "tool_calls" -> m.toolCalls() != null;
                case "tool_call_id" -> m.toolCallId() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    private static void part(JsonGenerator g, ContentPart part) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", part.type());
        String named;
        if (part instanceof ContentPart.Text text) {
            JsonStrings.field(g, "text", text.text());
            named = "text";
        } else if (part instanceof ContentPart.Image image) {
            g.writeObjectFieldStart("image_url");
            g.writeStringField("url", image.url());
            string(g, "detail", image.detail());
            if (!image.imageExtra().isEmpty()) {
                extras(g, image.imageExtra(), key -> key.equals("url")
                        || (key.equals("detail") && image.detail() != null));
            }
            g.writeEndObject();
            named = "image_url";
        } else if (part instanceof ContentPart.Audio audio) {
            g.writeObjectFieldStart("input_audio");
            g.writeStringField("data", audio.data());
            string(g, "format", audio.format());
            g.writeEndObject();
            named = "input_audio";
        } else if (part instanceof ContentPart.File file) {
            g.writeObjectFieldStart("file");
            string(g, "file_id", file.fileId());
            string(g, "filename", file.filename());
            string(g, "file_data", file.fileData());
            g.writeEndObject();
            named = "file";
        } else {
            named = null;
        }
        CacheControl cc = part.cacheControl();
        // An unknown part keeps its fields in their order, before cache_control; known parts write theirs first.
        if (!part.extra().isEmpty()) {
            extras(g, part.extra(), key -> key.equals("type") || key.equals(named)
                    || (key.equals("cache_control") && cc != null));
        }
        if (cc != null) {
            g.writeObjectFieldStart("cache_control");
            string(g, "type", cc.type());
            string(g, "ttl", cc.ttl());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void toolCalls(JsonGenerator g, List<ToolCall> calls) throws IOException {
        if (calls == null) {
            return;
        }
        g.writeFieldName("tool_calls");
        g.writeStartArray();
        for (ToolCall call : calls) {
            g.writeStartObject();
            number(g, "index", call.index());
            string(g, "id", call.id());
            string(g, "type", call.type());
            FunctionCall f = call.function();
            if (f != null) {
                g.writeObjectFieldStart("function");
                string(g, "name", f.name());
                string(g, "arguments", f.arguments());
                g.writeEndObject();
            }
            if (!call.extra().isEmpty()) {
                extras(g, call.extra(), key -> switch (key) {
                    case "index" -> call.index() != null;
                    case "id" -> call.id() != null;
                    case "type" -> call.type() != null;
                    case "function" -> call.function() != null;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void tool(JsonGenerator g, Tool t) throws IOException {
        g.writeStartObject();
        string(g, "type", t.type());
        FunctionDefinition f = t.function();
        if (f != null) {
            g.writeObjectFieldStart("function");
            g.writeStringField("name", f.name());
            string(g, "description", f.description());
            value(g, "parameters", f.parameters());
            bool(g, "strict", f.strict());
            if (!f.extra().isEmpty()) {
                extras(g, f.extra(), key -> switch (key) {
                    case "name" -> true;
                    case "description" -> f.description() != null;
                    case "parameters" -> f.parameters() != null;
                    case "strict" -> f.strict() != null;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        if (!t.extra().isEmpty()) {
            extras(g, t.extra(), key -> (key.equals("type") && t.type() != null) || (key.equals("function") && f != null));
        }
        g.writeEndObject();
    }

    private static void toolChoice(JsonGenerator g, ToolChoice choice) throws IOException {
        if (choice == null) {
            return;
        }
        if (choice.mode() != null) {
            g.writeStringField("tool_choice", choice.mode());
        } else {
            g.writeObjectFieldStart("tool_choice");
            g.writeStringField("type", "function");
            g.writeObjectFieldStart("function");
            g.writeStringField("name", choice.functionName());
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void responseFormat(JsonGenerator g, ResponseFormat format) throws IOException {
        if (format == null) {
            return;
        }
        g.writeObjectFieldStart("response_format");
        g.writeStringField("type", format.type());
        ResponseFormat.JsonSchema s = format.jsonSchema();
        if (s != null) {
            g.writeObjectFieldStart("json_schema");
            string(g, "name", s.name());
            string(g, "description", s.description());
            bool(g, "strict", s.strict());
            value(g, "schema", s.schema());
            if (!s.extra().isEmpty()) {
                extras(g, s.extra(), key -> switch (key) {
                    case "name" -> s.name() != null;
                    case "description" -> s.description() != null;
                    case "strict" -> s.strict() != null;
                    case "schema" -> s.schema() != null;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void streamOptions(JsonGenerator g, StreamOptions options) throws IOException {
        if (options == null) {
            return;
        }
        g.writeObjectFieldStart("stream_options");
        bool(g, "include_usage", options.includeUsage());
        if (!options.extra().isEmpty()) {
            extras(g, options.extra(), key -> key.equals("include_usage") && options.includeUsage() != null);
        }
        g.writeEndObject();
    }

    // ---- responses and chunks ------------------------------------------------------------------------------

    static void chatResponse(JsonGenerator g, ChatResponse r) throws IOException {
        g.writeStartObject();
        string(g, "id", r.id());
        string(g, "object", r.object());
        created(g, r.created());
        string(g, "model", r.model());
        g.writeFieldName("choices");
        g.writeStartArray();
        for (Choice c : r.choices()) {
            g.writeStartObject();
            g.writeNumberField("index", c.index());
            if (c.message() != null) {
                g.writeFieldName("message");
                message(g, c.message());
            }
            value(g, "logprobs", c.logprobs());
            string(g, "finish_reason", c.finishReason());
            if (!c.extra().isEmpty()) {
                extras(g, c.extra(), key -> switch (key) {
                    case "index" -> true;
                    case "message" -> c.message() != null;
                    case "logprobs" -> c.logprobs() != null;
                    case "finish_reason" -> c.finishReason() != null;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        usage(g, r.usage(), false);
        string(g, "service_tier", r.serviceTier());
        string(g, "system_fingerprint", r.systemFingerprint());
        if (!r.extra().isEmpty()) {
            extras(g, r.extra(), key -> switch (key) {
                case "id" -> r.id() != null;
                case "object" -> r.object() != null;
                case "created" -> r.created() != 0;
                case "choices" -> true;
                case "model" -> r.model() != null;
                case "usage" -> r.usage() != null;
                case "service_tier" -> r.serviceTier() != null;
                case "system_fingerprint" -> r.systemFingerprint() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    /** Usage; for embeddings {@code completion_tokens} is left out when 0, as OpenAI does. */
    static void usage(JsonGenerator g, Usage u, boolean embedding) throws IOException {
        if (u == null) {
            return;
        }
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", u.promptTokens());
        boolean completion = !embedding || u.completionTokens() != 0;
        if (completion) {
            g.writeNumberField("completion_tokens", u.completionTokens());
        }
        g.writeNumberField("total_tokens", u.totalTokens());
        PromptTokensDetails pd = u.promptTokensDetails();
        if (pd != null) {
            g.writeObjectFieldStart("prompt_tokens_details");
            number(g, "cached_tokens", pd.cachedTokens());
            number(g, "cache_write_tokens", pd.cacheWriteTokens());
            if (!pd.extra().isEmpty()) {
                extras(g, pd.extra(), key -> (key.equals("cached_tokens") && pd.cachedTokens() != null)
                        || (key.equals("cache_write_tokens") && pd.cacheWriteTokens() != null));
            }
            g.writeEndObject();
        }
        CompletionTokensDetails cd = u.completionTokensDetails();
        if (cd != null) {
            g.writeObjectFieldStart("completion_tokens_details");
            number(g, "reasoning_tokens", cd.reasoningTokens());
            if (!cd.extra().isEmpty()) {
                extras(g, cd.extra(), key -> key.equals("reasoning_tokens") && cd.reasoningTokens() != null);
            }
            g.writeEndObject();
        }
        if (u.cost() != null) {
            g.writeFieldName("cost");
            g.writeNumber(Decimals.usd(u.cost())); // fixed decimals: never 2.2E-5 nor binary noise
        }
        if (!u.extra().isEmpty()) {
            extras(g, u.extra(), key -> switch (key) {
                case "prompt_tokens", "total_tokens" -> true;
                case "completion_tokens" -> completion;
                case "prompt_tokens_details" -> pd != null;
                case "completion_tokens_details" -> cd != null;
                case "cost" -> u.cost() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    static void chatChunk(JsonGenerator g, ChatChunk c) throws IOException {
        g.writeStartObject();
        string(g, "id", c.id());
        string(g, "object", c.object());
        created(g, c.created());
        string(g, "model", c.model());
        string(g, "system_fingerprint", c.systemFingerprint());
        g.writeFieldName("choices");
        g.writeStartArray();
        for (ChunkChoice choice : c.choices()) {
            g.writeStartObject();
            g.writeNumberField("index", choice.index());
            Delta d = choice.delta();
            if (d != null) {
                delta(g, d);
            }
            value(g, "logprobs", choice.logprobs());
            string(g, "finish_reason", choice.finishReason());
            if (!choice.extra().isEmpty()) {
                extras(g, choice.extra(), key -> switch (key) {
                    case "index" -> true;
                    case "delta" -> d != null;
                    case "logprobs" -> choice.logprobs() != null;
                    case "finish_reason" -> choice.finishReason() != null;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        usage(g, c.usage(), false);
        if (!c.extra().isEmpty()) {
            extras(g, c.extra(), key -> switch (key) {
                case "id" -> c.id() != null;
                case "object" -> c.object() != null;
                case "created" -> c.created() != 0;
                case "choices" -> true;
                case "model" -> c.model() != null;
                case "usage" -> c.usage() != null;
                case "system_fingerprint" -> c.systemFingerprint() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    private static void delta(JsonGenerator g, Delta d) throws IOException {
        g.writeObjectFieldStart("delta");
        if (d.role() != null) {
            g.writeStringField("role", d.role().wireName());
        }
        string(g, "content", d.content());
        string(g, "refusal", d.refusal());
        toolCalls(g, d.toolCalls());
        if (!d.extra().isEmpty()) {
            extras(g, d.extra(), key -> switch (key) {
                case "role" -> d.role() != null;
                case "content" -> d.content() != null;
                case "refusal" -> d.refusal() != null;
                case "tool_calls" -> d.toolCalls() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    // ---- embeddings and models -----------------------------------------------------------------------------

    static void embeddingRequest(JsonGenerator g, EmbeddingRequest q) throws IOException {
        g.writeStartObject();
        string(g, "model", q.model());
        g.writeFieldName("input");
        if (q.singleInput()) {
            g.writeString(q.input().get(0));
        } else {
            g.writeStartArray();
            for (String s : q.input()) {
                g.writeString(s);
            }
            g.writeEndArray();
        }
        string(g, "encoding_format", q.encodingFormat());
        number(g, "dimensions", q.dimensions());
        string(g, "user", q.user());
        if (!q.extra().isEmpty()) {
            extras(g, q.extra(), key -> switch (key) {
                case "model" -> q.model() != null;
                case "input" -> true;
                case "encoding_format" -> q.encodingFormat() != null;
                case "dimensions" -> q.dimensions() != null;
                case "user" -> q.user() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    static void embeddingResponse(JsonGenerator g, EmbeddingResponse r) throws IOException {
        g.writeStartObject();
        string(g, "object", r.object());
        g.writeFieldName("data");
        g.writeStartArray();
        for (Embedding e : r.data()) {
            g.writeStartObject();
            // OpenAI writes object first; it is an extra field here, so keep it in front.
            Object object = e.extra().get("object");
            if (object != null) {
                g.writeFieldName("object");
                Json.writeValue(g, object);
            }
            g.writeNumberField("index", e.index());
            if (e.vector() != null) {
                g.writeFieldName("embedding");
                List<Double> v = e.vector();
                g.writeStartArray();
                for (int i = 0, n = v.size(); i < n; i++) {
                    g.writeNumber(v.get(i));
                }
                g.writeEndArray();
            } else if (e.base64() != null) {
                g.writeStringField("embedding", e.base64());
            }
            if (!e.extra().isEmpty()) {
                boolean hasEmbedding = e.vector() != null || e.base64() != null;
                extras(g, e.extra(), key -> switch (key) {
                    case "object" -> object != null;
                    case "index" -> true;
                    case "embedding" -> hasEmbedding;
                    default -> false;
                });
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        string(g, "model", r.model());
        usage(g, r.usage(), true);
        if (!r.extra().isEmpty()) {
            extras(g, r.extra(), key -> switch (key) {
                case "object" -> r.object() != null;
                case "data" -> true;
                case "model" -> r.model() != null;
                case "usage" -> r.usage() != null;
                default -> false;
            });
        }
        g.writeEndObject();
    }

    static void model(JsonGenerator g, ModelInfo m) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", m.id());
        g.writeStringField("object", "model");
        g.writeNumberField("created", m.created());
        string(g, "owned_by", m.ownedBy());
        g.writeEndObject();
    }
}
