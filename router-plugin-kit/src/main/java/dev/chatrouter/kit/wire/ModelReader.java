package dev.chatrouter.kit.wire;

import com.fasterxml.jackson.core.JsonToken;
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
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Stop;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.embed.Embedding;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.kit.wire.WireReader.put;

/**
 * Reads the model records from a {@link WireReader}, field by field.
 *
 * <p>Two rules keep the wire form whole: a field the record does not name goes to the nearest {@code extra}; and
 * a named field whose JSON the record cannot hold exactly (an explicit {@code null}, or an object with fields the
 * record has no room for) is left {@code null} in the record and kept raw in the nearest {@code extra}, from where
 * {@link ModelWriter} writes it back. A content part the record cannot hold becomes {@link ContentPart.Other}.
 */
final class ModelReader {

    private static final String ROLES = "one of system, developer, user, assistant, tool, function";

    private ModelReader() {
    }

    // ---- requests ------------------------------------------------------------------------------------------

    static ChatRequest chatRequest(WireReader r) throws IOException {
        r.startRoot();
        ChatRequest.Builder b = ChatRequest.builder();
        String model = null;
        List<Message> messages = null;
        Map<String, Object> extra = null;
        String name;
        while ((name = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, name, null);
                continue;
            }
            switch (name) {
                case "model" -> model = r.string(name);
                case "messages" -> messages = messages(r);
                case "tools" -> b.tools(tools(r));
                case "tool_choice" -> {
                    Object raw = r.raw();
                    ToolChoice choice = toolChoice(r, raw);
                    if (choice == null) {
                        extra = put(extra, name, raw);
                    }
                    b.toolChoice(choice);
                }
                case "parallel_tool_calls" -> b.parallelToolCalls(r.bool(name));
                case "response_format" -> {
                    Map<String, Object> raw = r.rawObject(name, "an object");
                    ResponseFormat format = responseFormat(r, raw);
                    if (format == null) {
                        extra = put(extra, name, raw);
                    }
                    b.responseFormat(format);
                }
                case "stream" -> b.stream(r.bool(name));
                case "stream_options" -> b.streamOptions(streamOptions(r));
                case "temperature" -> b.temperature(r.number(name));
                case "top_p" -> b.topP(r.number(name));
                case "max_tokens" -> b.maxTokens(r.intValue(name));
                case "max_completion_tokens" -> b.maxCompletionTokens(r.intValue(name));
                case "n" -> b.n(r.intValue(name));
                case "stop" -> b.stop(stop(r));
                case "seed" -> b.seed(r.longValue(name));
                case "presence_penalty" -> b.presencePenalty(r.number(name));
                case "frequency_penalty" -> b.frequencyPenalty(r.number(name));
                case "logprobs" -> b.logprobs(r.bool(name));
                case "top_logprobs" -> b.topLogprobs(r.intValue(name));
                case "user" -> b.user(r.string(name));
                case "metadata" -> b.metadata(r.rawObject(name, "an object"));
                case "reasoning_effort" -> b.reasoningEffort(r.string(name));
                default -> extra = put(extra, name, r.raw());
            }
        }
        r.endRoot();
        if (model == null) {
            throw r.missing("model");
        }
        if (model.isEmpty()) {
            throw r.invalidMessage("model", "expected a model id, found the empty string");
        }
        if (messages == null) {
            throw r.missing("messages");
        }
        if (messages.isEmpty()) {
            throw r.invalidMessage("messages", "expected at least one message, found an empty array");
        }
        return b.model(model).messages(messages).extra(extra).build();
    }

    private static List<Message> messages(WireReader r) throws IOException {
        r.startArray("messages", "an array of messages");
        r.push("messages");
        List<Message> messages = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            messages.add(message(r));
            r.pop();
        }
        r.pop();
        return messages;
    }

    /** A message; strict readers require role, and content for every role but assistant. */
    static Message message(WireReader r) throws IOException {
        r.startObject(null, "a message object");
        Role role = null;
        Content content = null;
        boolean contentNull = false;
        String name = null;
        List<ToolCall> toolCalls = null;
        String toolCallId = null;
        String refusal = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                contentNull |= field.equals("content");
                continue;
            }
            switch (field) {
                case "role" -> role = role(r, field);
                case "content" -> content = content(r);
                case "name" -> name = r.string(field);
                case "tool_calls" -> toolCalls = toolCalls(r, field);
                case "tool_call_id" -> toolCallId = r.string(field);
                case "refusal" -> refusal = r.string(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        if (role == null) {
            if (r.strict) {
                throw r.missing("role");
            }
            role = Role.ASSISTANT;
        }
        if (r.strict && content == null && role != Role.ASSISTANT) {
            throw contentNull ? r.invalidMessage("content", "expected a string or an array of content parts, found null")
                    : r.missing("content");
        }
        return new Message(role, content, name, toolCalls, toolCallId, refusal, extra);
    }

    private static Role role(WireReader r, String field) throws IOException {
        String wire = r.string(field);
        switch (wire) {
            case "system":
                return Role.SYSTEM;
            case "developer":
                return Role.DEVELOPER;
            case "user":
                return Role.USER;
            case "assistant":
                return Role.ASSISTANT;
            case "tool":
                return Role.TOOL;
            case "function":
                return Role.FUNCTION;
            default:
                throw r.invalid(field, ROLES);
        }
    }

    private static Content content(WireReader r) throws IOException {
        JsonToken t = r.token();
        if (t == JsonToken.VALUE_STRING) {
            return new Content.Text(r.p.getText());
        }
        if (t != JsonToken.START_ARRAY) {
            throw r.invalid("content", "a string or an array of content parts");
        }
        r.push("content");
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            parts.add(part(r, r.rawObject(null, "a content part object")));
            r.pop();
        }
        r.pop();
        return new Content.Parts(parts);
    }

    private static ContentPart part(WireReader r, Map<String, Object> fields) {
        Object typeValue = fields.get("type");
        if (typeValue == null) {
            throw r.missing("type");
        }
        String type = r.asString(typeValue, "type");
        CacheControl cacheControl = null;
        Object cc = fields.get("cache_control");
        if (cc != null) {
            Map<String, Object> ccFields = r.asObject(cc, "cache_control");
            r.push("cache_control");
            Object ccType = ccFields.get("type");
            Object ttl = ccFields.get("ttl");
            cacheControl = new CacheControl(ccType == null ? null : r.asString(ccType, "type"),
                    ttl == null ? null : r.asString(ttl, "ttl"));
            r.pop();
        }
        ContentPart part = switch (type) {
            case "text" -> textPart(r, fields, cacheControl);
            case "image_url" -> imagePart(r, fields, cacheControl);
            case "input_audio" -> audioPart(r, fields, cacheControl);
            case "file" -> filePart(r, fields, cacheControl);
            default -> null;
        };
        return part != null ? part : new ContentPart.Other(type, cacheControl, rest(fields, null));
    }

    /** The part's fields but type, cache_control (when set) and {@code named}. */
    private static Map<String, Object> rest(Map<String, Object> fields, String named) {
        Map<String, Object> rest = null;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            String key = e.getKey();
            if (key.equals("type") || key.equals(named) || (key.equals("cache_control") && e.getValue() != null)) {
                continue;
            }
            rest = put(rest, key, e.getValue());
        }
        return rest;
    }

    private static ContentPart textPart(WireReader r, Map<String, Object> fields, CacheControl cacheControl) {
        Object text = fields.get("text");
        if (text == null) {
            throw r.missing("text");
        }
        return new ContentPart.Text(r.asString(text, "text"), cacheControl, rest(fields, "text"));
    }

    private static ContentPart imagePart(WireReader r, Map<String, Object> fields, CacheControl cacheControl) {
        Object value = fields.get("image_url");
        if (value == null) {
            throw r.missing("image_url");
        }
        Map<String, Object> image = r.asObject(value, "image_url");
        r.push("image_url");
        Object url = image.get("url");
        if (url == null) {
            throw r.missing("url");
        }
        String urlText = r.asString(url, "url");
        String detail = null;
        Map<String, Object> imageExtra = null;
        for (Map.Entry<String, Object> e : image.entrySet()) {
            String key = e.getKey();
            if (key.equals("url")) {
                continue;
            }
            if (key.equals("detail") && e.getValue() != null) {
                detail = r.asString(e.getValue(), "detail");
                continue;
            }
            imageExtra = put(imageExtra, key, e.getValue());
        }
        r.pop();
        return new ContentPart.Image(urlText, detail, cacheControl, rest(fields, "image_url"), imageExtra);
    }

    /** An input_audio part, or null (kept as Other) when its object holds more than data and format. */
    private static ContentPart audioPart(WireReader r, Map<String, Object> fields, CacheControl cacheControl) {
        Object value = fields.get("input_audio");
        if (value == null) {
            throw r.missing("input_audio");
        }
        Map<String, Object> audio = r.asObject(value, "input_audio");
        r.push("input_audio");
        Object data = audio.get("data");
        if (data == null) {
            throw r.missing("data");
        }
        String dataText = r.asString(data, "data");
        Object format = audio.get("format");
        String formatText = format == null ? null : r.asString(format, "format");
        r.pop();
        if (audio.size() != (audio.containsKey("format") ? 2 : 1) || (format == null && audio.containsKey("format"))) {
            return null;
        }
        return new ContentPart.Audio(dataText, formatText, cacheControl, rest(fields, "input_audio"));
    }

    /** A file part, or null (kept as Other) when its object holds more than file_id, filename and file_data. */
    private static ContentPart filePart(WireReader r, Map<String, Object> fields, CacheControl cacheControl) {
        Object value = fields.get("file");
        if (value == null) {
            throw r.missing("file");
        }
        Map<String, Object> file = r.asObject(value, "file");
        r.push("file");
        String fileId = null;
        String filename = null;
        String fileData = null;
        boolean exact = true;
        for (Map.Entry<String, Object> e : file.entrySet()) {
            Object v = e.getValue();
            switch (e.getKey()) {
                case "file_id" -> fileId = v == null ? null : r.asString(v, "file_id");
                case "filename" -> filename = v == null ? null : r.asString(v, "filename");
                case "file_data" -> fileData = v == null ? null : r.asString(v, "file_data");
                default -> exact = false;
            }
            exact &= v != null;
        }
        r.pop();
        return exact ? new ContentPart.File(fileId, filename, fileData, cacheControl, rest(fields, "file")) : null;
    }

    private static List<ToolCall> toolCalls(WireReader r, String field) throws IOException {
        r.startArray(field, "an array of tool calls");
        r.push(field);
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            calls.add(toolCall(r));
            r.pop();
        }
        r.pop();
        return calls;
    }

    private static ToolCall toolCall(WireReader r) throws IOException {
        r.startObject(null, "a tool call object");
        Integer index = null;
        String id = null;
        String type = null;
        FunctionCall function = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "index" -> index = r.intValue(field);
                case "id" -> id = r.string(field);
                case "type" -> type = r.string(field);
                case "function" -> {
                    Map<String, Object> raw = r.rawObject(field, "an object");
                    function = functionCall(r, raw);
                    if (function == null) {
                        extra = put(extra, field, raw);
                    }
                }
                default -> extra = put(extra, field, r.raw());
            }
        }
        return new ToolCall(index, id, type, function, extra);
    }

    /** {name, arguments} as strings, or null (kept raw) for any other shape; strict readers reject non-strings. */
    private static FunctionCall functionCall(WireReader r, Map<String, Object> raw) {
        Object name = raw.get("name");
        Object arguments = raw.get("arguments");
        if (r.strict) {
            r.push("function");
            if (name != null) {
                r.asString(name, "name");
            }
            if (arguments != null) {
                r.asString(arguments, "arguments");
            }
            r.pop();
        }
        int known = (raw.containsKey("name") ? 1 : 0) + (raw.containsKey("arguments") ? 1 : 0);
        if (raw.size() != known || (raw.containsKey("name") && !(name instanceof String))
                || (raw.containsKey("arguments") && !(arguments instanceof String))) {
            return null;
        }
        return new FunctionCall((String) name, (String) arguments);
    }

    private static List<Tool> tools(WireReader r) throws IOException {
        r.startArray("tools", "an array of tools");
        r.push("tools");
        List<Tool> tools = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            tools.add(tool(r));
            r.pop();
        }
        r.pop();
        return tools;
    }

    private static Tool tool(WireReader r) throws IOException {
        r.startObject(null, "a tool object");
        String type = null;
        FunctionDefinition function = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "type" -> type = r.string(field);
                case "function" -> {
                    r.push(field);
                    function = functionDefinition(r);
                    r.pop();
                }
                default -> extra = put(extra, field, r.raw());
            }
        }
        if (function == null && "function".equals(type)) {
            throw r.missing("function");
        }
        return new Tool(type, function, extra);
    }

    private static FunctionDefinition functionDefinition(WireReader r) throws IOException {
        r.startObject(null, "a function object");
        String name = null;
        String description = null;
        Map<String, Object> parameters = null;
        Boolean strict = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "name" -> name = r.string(field);
                case "description" -> description = r.string(field);
                case "parameters" -> parameters = r.rawObject(field, "a JSON Schema object");
                case "strict" -> strict = r.bool(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        if (name == null) {
            throw r.missing("name");
        }
        return new FunctionDefinition(name, description, parameters, strict, extra);
    }

    /** A tool choice, or null when its object holds fields ToolChoice has no room for (then kept raw). */
    private static ToolChoice toolChoice(WireReader r, Object raw) {
        String expected = "\"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}";
        if (raw instanceof String mode) {
            if (mode.equals("none") || mode.equals("auto") || mode.equals("required")) {
                return new ToolChoice(mode, null);
            }
            throw r.invalidValue("tool_choice", expected, raw);
        }
        if (!(raw instanceof Map<?, ?> object) || !"function".equals(object.get("type"))
                || !(object.get("function") instanceof Map<?, ?> function)) {
            throw r.invalidValue("tool_choice", expected, raw);
        }
        r.push("tool_choice");
        r.push("function");
        Object name = function.get("name");
        if (name == null) {
            throw r.missing("name");
        }
        r.asString(name, "name");
        r.pop();
        r.pop();
        return object.size() == 2 && function.size() == 1 ? new ToolChoice(null, (String) name) : null;
    }

    /** A response format, or null when it holds fields ResponseFormat has no room for (then kept raw). */
    private static ResponseFormat responseFormat(WireReader r, Map<String, Object> raw) {
        r.push("response_format");
        Object type = raw.get("type");
        if (type == null) {
            throw r.missing("type");
        }
        String typeText = r.asString(type, "type");
        ResponseFormat.JsonSchema schema = null;
        boolean exact = true;
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            switch (e.getKey()) {
                case "type" -> {
                }
                case "json_schema" -> {
                    if (e.getValue() == null) {
                        exact = false;
                    } else {
                        r.push("json_schema");
                        schema = jsonSchema(r, r.asObject(e.getValue(), null));
                        r.pop();
                    }
                }
                default -> exact = false;
            }
        }
        if (schema == null && typeText.equals("json_schema")) {
            throw r.missing("json_schema");
        }
        r.pop();
        return exact ? new ResponseFormat(typeText, schema) : null;
    }

    private static ResponseFormat.JsonSchema jsonSchema(WireReader r, Map<String, Object> raw) {
        String name = null;
        String description = null;
        Map<String, Object> schema = null;
        Boolean strict = null;
        Map<String, Object> extra = null;
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (v == null) {
                extra = put(extra, key, null);
                continue;
            }
            switch (key) {
                case "name" -> name = r.asString(v, key);
                case "description" -> description = r.asString(v, key);
                case "schema" -> schema = r.asObject(v, key);
                case "strict" -> strict = r.asBoolean(v, key);
                default -> extra = put(extra, key, v);
            }
        }
        if (name == null && r.strict) {
            throw r.missing("name");
        }
        return new ResponseFormat.JsonSchema(name, description, schema, strict, extra);
    }

    private static StreamOptions streamOptions(WireReader r) throws IOException {
        r.startObject("stream_options", "an object");
        r.push("stream_options");
        Boolean includeUsage = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (!r.isNull() && field.equals("include_usage")) {
                includeUsage = r.bool(field);
            } else {
                extra = put(extra, field, r.raw());
            }
        }
        r.pop();
        return new StreamOptions(includeUsage, extra);
    }

    private static Stop stop(WireReader r) throws IOException {
        JsonToken t = r.token();
        if (t == JsonToken.VALUE_STRING) {
            return Stop.of(r.p.getText());
        }
        if (t != JsonToken.START_ARRAY) {
            throw r.invalid("stop", "a string or an array of strings");
        }
        r.push("stop");
        List<String> sequences = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            if (r.token() != JsonToken.VALUE_STRING) {
                r.push(i);
                throw r.invalid(null, "a string");
            }
            sequences.add(r.p.getText());
        }
        r.pop();
        return Stop.of(sequences);
    }

    // ---- responses and chunks (lenient) --------------------------------------------------------------------

    static ChatResponse chatResponse(WireReader r) throws IOException {
        r.startRoot();
        String id = null;
        String object = null;
        long created = 0;
        String model = null;
        List<Choice> choices = List.of();
        Usage usage = null;
        String systemFingerprint = null;
        String serviceTier = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "id" -> id = r.string(field);
                case "object" -> object = r.string(field);
                case "created" -> created = r.longValue(field);
                case "model" -> model = r.string(field);
                case "choices" -> choices = choices(r);
                case "usage" -> usage = usage(r);
                case "system_fingerprint" -> systemFingerprint = r.string(field);
                case "service_tier" -> serviceTier = r.string(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.endRoot();
        return new ChatResponse(id, object == null ? "chat.completion" : object, created, model, choices, usage,
                systemFingerprint, serviceTier, extra);
    }

    private static List<Choice> choices(WireReader r) throws IOException {
        r.startArray("choices", "an array of choices");
        r.push("choices");
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            r.startObject(null, "a choice object");
            int index = i;
            Message message = null;
            String finishReason = null;
            Object logprobs = null;
            Map<String, Object> extra = null;
            String field;
            while ((field = r.nextField()) != null) {
                if (r.isNull()) {
                    extra = put(extra, field, null);
                    continue;
                }
                switch (field) {
                    case "index" -> index = r.intValue(field);
                    case "message" -> {
                        r.push(field);
                        message = message(r);
                        r.pop();
                    }
                    case "finish_reason" -> finishReason = r.string(field);
                    case "logprobs" -> logprobs = r.raw();
                    default -> extra = put(extra, field, r.raw());
                }
            }
            choices.add(new Choice(index, message, finishReason, logprobs, extra));
            r.pop();
        }
        r.pop();
        return choices;
    }

    static Usage usage(WireReader r) throws IOException {
        r.startObject("usage", "an object");
        r.push("usage");
        long prompt = 0;
        Long completion = null;
        Long total = null;
        PromptTokensDetails promptDetails = null;
        CompletionTokensDetails completionDetails = null;
        Double cost = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "prompt_tokens" -> prompt = r.longValue(field);
                case "completion_tokens" -> completion = r.longValue(field);
                case "total_tokens" -> total = r.longValue(field);
                case "prompt_tokens_details" -> promptDetails = promptDetails(r, field);
                case "completion_tokens_details" -> completionDetails = completionDetails(r, field);
                case "cost" -> cost = r.number(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.pop();
        long completionTokens = completion == null ? 0 : completion;
        return new Usage(prompt, completionTokens, total == null ? prompt + completionTokens : total,
                promptDetails, completionDetails, cost, extra);
    }

    private static PromptTokensDetails promptDetails(WireReader r, String name) throws IOException {
        r.startObject(name, "an object");
        r.push(name);
        Long cached = null;
        Long cacheWrite = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "cached_tokens" -> cached = r.longValue(field);
                case "cache_write_tokens" -> cacheWrite = r.longValue(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.pop();
        return new PromptTokensDetails(cached, cacheWrite, extra);
    }

    private static CompletionTokensDetails completionDetails(WireReader r, String name) throws IOException {
        r.startObject(name, "an object");
        r.push(name);
        Long reasoning = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (!r.isNull() && field.equals("reasoning_tokens")) {
                reasoning = r.longValue(field);
            } else {
                extra = put(extra, field, r.raw());
            }
        }
        r.pop();
        return new CompletionTokensDetails(reasoning, extra);
    }

    static ChatChunk chatChunk(WireReader r) throws IOException {
        r.startRoot();
        String id = null;
        String object = null;
        long created = 0;
        String model = null;
        List<ChunkChoice> choices = List.of();
        Usage usage = null;
        String systemFingerprint = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "id" -> id = r.string(field);
                case "object" -> object = r.string(field);
                case "created" -> created = r.longValue(field);
                case "model" -> model = r.string(field);
                case "choices" -> choices = chunkChoices(r);
                case "usage" -> usage = usage(r);
                case "system_fingerprint" -> systemFingerprint = r.string(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.endRoot();
        return new ChatChunk(id, object == null ? "chat.completion.chunk" : object, created, model, choices, usage,
                systemFingerprint, extra);
    }

    private static List<ChunkChoice> chunkChoices(WireReader r) throws IOException {
        r.startArray("choices", "an array of choices");
        r.push("choices");
        List<ChunkChoice> choices = new ArrayList<>(1);
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            r.startObject(null, "a choice object");
            int index = i;
            Delta delta = null;
            String finishReason = null;
            Object logprobs = null;
            Map<String, Object> extra = null;
            String field;
            while ((field = r.nextField()) != null) {
                if (r.isNull()) {
                    extra = put(extra, field, null);
                    continue;
                }
                switch (field) {
                    case "index" -> index = r.intValue(field);
                    case "delta" -> {
                        r.push(field);
                        delta = delta(r);
                        r.pop();
                    }
                    case "finish_reason" -> finishReason = r.string(field);
                    case "logprobs" -> logprobs = r.raw();
                    default -> extra = put(extra, field, r.raw());
                }
            }
            choices.add(new ChunkChoice(index, delta, finishReason, logprobs, extra));
            r.pop();
        }
        r.pop();
        return choices;
    }

    private static Delta delta(WireReader r) throws IOException {
        r.startObject(null, "a delta object");
        Role role = null;
        String content = null;
        List<ToolCall> toolCalls = null;
        String refusal = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "role" -> role = role(r, field);
                case "content" -> content = r.string(field);
                case "tool_calls" -> toolCalls = toolCalls(r, field);
                case "refusal" -> refusal = r.string(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        return new Delta(role, content, toolCalls, refusal, extra);
    }

    // ---- embeddings ----------------------------------------------------------------------------------------

    static EmbeddingRequest embeddingRequest(WireReader r) throws IOException {
        r.startRoot();
        String model = null;
        List<String> input = null;
        boolean single = false;
        String encodingFormat = null;
        Integer dimensions = null;
        String user = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "model" -> model = r.string(field);
                case "input" -> {
                    if (r.token() == JsonToken.VALUE_STRING) {
                        input = List.of(r.p.getText());
                        single = true;
                    } else {
                        input = inputs(r);
                        single = false;
                    }
                }
                case "encoding_format" -> encodingFormat = r.string(field);
                case "dimensions" -> dimensions = r.intValue(field);
                case "user" -> user = r.string(field);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.endRoot();
        if (model == null) {
            throw r.missing("model");
        }
        if (model.isEmpty()) {
            throw r.invalidMessage("model", "expected a model id, found the empty string");
        }
        if (input == null) {
            throw r.missing("input");
        }
        return new EmbeddingRequest(model, input, single, encodingFormat, dimensions, user, extra);
    }

    private static List<String> inputs(WireReader r) throws IOException {
        String expected = "a string or an array of strings";
        r.startArray("input", expected);
        List<String> input = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            JsonToken t = r.token();
            if (t == JsonToken.VALUE_STRING) {
                input.add(r.p.getText());
            } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.START_ARRAY) {
                throw r.invalidMessage("input", "token-array inputs are not supported; send the text");
            } else {
                r.push("input");
                r.push(i);
                throw r.invalid(null, "a string");
            }
        }
        if (input.isEmpty()) {
            throw r.invalidMessage("input", "expected at least one text, found an empty array");
        }
        return input;
    }

    static EmbeddingResponse embeddingResponse(WireReader r) throws IOException {
        r.startRoot();
        String object = null;
        List<Embedding> data = List.of();
        String model = null;
        Usage usage = null;
        Map<String, Object> extra = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                extra = put(extra, field, null);
                continue;
            }
            switch (field) {
                case "object" -> object = r.string(field);
                case "data" -> data = embeddings(r);
                case "model" -> model = r.string(field);
                case "usage" -> usage = usage(r);
                default -> extra = put(extra, field, r.raw());
            }
        }
        r.endRoot();
        return new EmbeddingResponse(object == null ? "list" : object, data, model, usage, frozen(extra));
    }

    private static List<Embedding> embeddings(WireReader r) throws IOException {
        r.startArray("data", "an array of embeddings");
        r.push("data");
        List<Embedding> data = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            r.push(i);
            r.startObject(null, "an embedding object");
            int index = i;
            List<Double> vector = null;
            String base64 = null;
            Map<String, Object> extra = null;
            String field;
            while ((field = r.nextField()) != null) {
                if (r.isNull()) {
                    extra = put(extra, field, null);
                    continue;
                }
                switch (field) {
                    case "index" -> index = r.intValue(field);
                    case "embedding" -> {
                        if (r.token() == JsonToken.VALUE_STRING) {
                            base64 = r.p.getText();
                        } else {
                            vector = vector(r);
                        }
                    }
                    default -> extra = put(extra, field, r.raw());
                }
            }
            data.add(new Embedding(index, vector, base64, frozen(extra)));
            r.pop();
        }
        r.pop();
        return data;
    }

    private static List<Double> vector(WireReader r) throws IOException {
        r.startArray("embedding", "an array of numbers or a base64 string");
        r.push("embedding");
        List<Double> vector = new ArrayList<>();
        for (int i = 0; r.nextElement(); i++) {
            JsonToken t = r.token();
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                r.push(i);
                throw r.invalid(null, "a number");
            }
            vector.add(r.p.getDoubleValue());
        }
        r.pop();
        return vector;
    }

    /** The embedding records keep their extra map as given, so hand them an unmodifiable one. */
    private static Map<String, Object> frozen(Map<String, Object> extra) {
        return extra == null ? Map.of() : java.util.Collections.unmodifiableMap(extra);
    }

    // ---- models --------------------------------------------------------------------------------------------

    static List<ModelInfo> models(WireReader r) throws IOException {
        r.startRoot();
        List<ModelInfo> models = new ArrayList<>();
        String field;
        while ((field = r.nextField()) != null) {
            if (field.equals("data") && !r.isNull()) {
                r.startArray(field, "an array of models");
                r.push(field);
                for (int i = 0; r.nextElement(); i++) {
                    r.push(i);
                    models.add(model(r));
                    r.pop();
                }
                r.pop();
            } else {
                r.p.skipChildren();
            }
        }
        r.endRoot();
        return models;
    }

    static ModelInfo model(WireReader r) throws IOException {
        r.startObject(null, "a model object");
        String id = null;
        long created = 0;
        String ownedBy = null;
        String field;
        while ((field = r.nextField()) != null) {
            if (r.isNull()) {
                continue;
            }
            switch (field) {
                case "id" -> id = r.string(field);
                case "created" -> created = r.longValue(field);
                case "owned_by" -> ownedBy = r.string(field);
                default -> r.p.skipChildren();
            }
        }
        if (id == null) {
            throw r.missing("id");
        }
        return new ModelInfo(id, created, ownedBy);
    }
}
