package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.FunctionDefinition;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Stop;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.kit.wire.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.chatrouter.http.surface.Fields.invalid;
import static dev.chatrouter.http.surface.Fields.list;
import static dev.chatrouter.http.surface.Fields.map;
import static dev.chatrouter.http.surface.Fields.object;
import static dev.chatrouter.http.surface.Fields.string;

/**
 * The Anthropic Messages surface ({@code POST /messages}): a Messages request read as the router's
 * {@link ChatRequest}, the router's answer written back as a message, its errors in Anthropic's envelope. The rules
 * are listed in {@code docs/operations.md} ("Anthropic Messages").
 *
 * <p>Request: {@code system} becomes a system message; user {@code text}, {@code image} (base64 or URL) and
 * {@code document} (base64 PDF) blocks become text, {@code image_url} and {@code file} parts (other document
 * sources stay Anthropic blocks); {@code tool_result} blocks become tool messages (an error result's text starts
 * with {@code Error: }); assistant {@code tool_use} blocks become tool calls and {@code thinking} blocks are dropped;
 * blocks of other types stay Anthropic blocks in user turns and tool results, and are dropped from assistant turns
 * (server tools' blocks); a {@code system} message among the turns stays a system message;
 * {@code tools} become function tools ({@code input_schema} as parameters; server tools with a {@code type} stay as
 * they are); {@code tool_choice} auto/any/tool/none become auto/required/the named function/none;
 * {@code stop_sequences} become {@code stop}; {@code top_k} and {@code thinking} are kept as fields of the request
 * (the router reads the effort from {@code thinking.budget_tokens}); {@code metadata.user_id} becomes {@code user}.
 */
public final class AnthropicMessages {

    private AnthropicMessages() {
    }

    /**
     * Reads a Messages request.
     *
     * @param countOnly true for {@code count_tokens}, which takes no {@code max_tokens}
     * @throws dev.chatrouter.api.ChatRouterException of an invalid-request code naming the field
     */
    public static ChatRequest readRequest(byte[] body, boolean countOnly) {
        Map<String, Object> in = Fields.body(body);
        ChatRequest.Builder b = ChatRequest.builder();
        b.model(string(in, "model", "model", true));
        Integer maxTokens = Fields.integer(in, "max_tokens", "max_tokens", !countOnly, 1);
        b.maxTokens(maxTokens);
        List<Message> messages = new ArrayList<>();
        Object system = in.get("system");
        if (system != null) {
            messages.add(new Message(Role.SYSTEM, systemContent(system, "system"), null, null, null, null, Map.of()));
        }
        Object turns = in.get("messages");
        if (turns == null) {
            throw Fields.missing("messages");
        }
        List<?> list = list(turns, "messages");
        if (list.isEmpty()) {
            throw invalid("messages", "at least one message is required");
        }
        for (int i = 0; i < list.size(); i++) {
            turn(object(list.get(i), "messages[" + i + "]"), "messages[" + i + "]", messages);
        }
        b.messages(messages);
        if (in.get("stop_sequences") != null) {
            List<String> stops = Fields.strings(list(in.get("stop_sequences"), "stop_sequences"), "stop_sequences");
            if (!stops.isEmpty()) {
                b.stop(Stop.of(stops));
            }
        }
        b.temperature(Fields.number(in, "temperature", "temperature"));
        b.topP(Fields.number(in, "top_p", "top_p"));
        // Other Messages fields (container, mcp_servers, service_tier...) mean nothing to the router's targets.
        Map<String, Object> extra = new LinkedHashMap<>();
        if (in.get("top_k") != null) {
            extra.put("top_k", Fields.integer(in, "top_k", "top_k", false, 0));
        }
        if (in.get("thinking") != null) {
            Map<String, Object> thinking = object(in.get("thinking"), "thinking");
            String type = string(thinking, "type", "thinking.type", true);
            if ("enabled".equals(type)) {
                Fields.integer(thinking, "budget_tokens", "thinking.budget_tokens", true, 1);
            } else if (!"disabled".equals(type) && !"adaptive".equals(type)) {
                throw invalid("thinking.type", "expected enabled, disabled or adaptive");
            }
            extra.put("thinking", thinking);
        }
        if (in.get("metadata") != null) {
            b.user(user(string(object(in.get("metadata"), "metadata"), "user_id", "metadata.user_id", false)));
        }
        if (in.get("tools") != null) {
            b.tools(tools(list(in.get("tools"), "tools")));
        }
        if (in.get("tool_choice") != null) {
            Map<String, Object> choice = object(in.get("tool_choice"), "tool_choice");
            String type = string(choice, "type", "tool_choice.type", true);
            b.toolChoice(switch (type) {
                case "auto" -> ToolChoice.auto();
                case "any" -> ToolChoice.required();
                case "none" -> ToolChoice.none();
                case "tool" -> ToolChoice.function(string(choice, "name", "tool_choice.name", true));
                default -> throw invalid("tool_choice.type", "expected auto, any, tool or none");
            });
            if (Boolean.TRUE.equals(Fields.bool(choice, "disable_parallel_tool_use",
                    "tool_choice.disable_parallel_tool_use"))) {
                b.parallelToolCalls(false);
            }
        }
        if (Boolean.TRUE.equals(Fields.bool(in, "stream", "stream"))) {
            b.stream(true).streamOptions(new StreamOptions(true, Map.of()));
        }
        return b.extra(extra).build();
    }

    /**
     * The {@code user} of the translated request: {@code metadata.user_id} as it is when it has at most 64
     * characters, else its SHA-256 in 64 hexadecimal digits (OpenAI refuses a longer {@code user}, and Claude Code's
     * id, a JSON text, has about 150). The same id always gives the same value.
     */
    static String user(String userId) {
        if (userId == null || userId.length() <= 64) {
            return userId;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(userId.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A system prompt's content, a string or text blocks, at {@code path} ({@code system}, {@code messages[2].content}). */
    private static Content systemContent(Object system, String path) {
        if (system instanceof String s) {
            return Content.of(s);
        }
        List<?> blocks = list(system, path);
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            String at = path + "[" + i + "]";
            Map<String, Object> block = object(blocks.get(i), at);
            if (!"text".equals(block.get("type"))) {
                throw invalid(at + ".type", "a system block must be text");
            }
            parts.add(new ContentPart.Text(string(block, "text", at + ".text", true), cache(block, at), Map.of()));
        }
        return Content.of(parts);
    }

    private static void turn(Map<String, Object> turn, String at, List<Message> out) {
        String role = string(turn, "role", at + ".role", true);
        if (!"user".equals(role) && !"assistant".equals(role) && !"system".equals(role)) {
            throw invalid(at + ".role", "expected user, assistant or system");
        }
        Object content = turn.get("content");
        if (content == null) {
            throw Fields.missing(at + ".content");
        }
        if ("system".equals(role)) {
            // Claude Code sends one among the turns with its default model: it stays where it is
            out.add(new Message(Role.SYSTEM, systemContent(content, at + ".content"), null, null, null, null,
                    Map.of()));
            return;
        }
        boolean user = "user".equals(role);
        if (content instanceof String text) {
            out.add(new Message(user ? Role.USER : Role.ASSISTANT, Content.of(text), null, null, null, null,
                    Map.of()));
            return;
        }
        List<?> blocks = list(content, at + ".content");
        List<ContentPart> parts = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        for (int j = 0; j < blocks.size(); j++) {
            String where = at + ".content[" + j + "]";
            Map<String, Object> block = object(blocks.get(j), where);
            String type = string(block, "type", where + ".type", true);
            switch (type) {
                case "text" -> parts.add(new ContentPart.Text(string(block, "text", where + ".text", true),
                        cache(block, where), Map.of()));
                case "image" -> parts.add(userOnly(user, where, type, image(block, where)));
                case "document" -> parts.add(userOnly(user, where, type, document(block, where)));
                case "tool_result" -> {
                    if (!user) {
                        throw invalid(where + ".type", "tool_result blocks belong in user messages");
                    }
                    out.add(toolResult(block, where));
                }
                case "tool_use" -> {
                    if (user) {
                        throw invalid(where + ".type", "tool_use blocks belong in assistant messages");
                    }
                    Object input = block.get("input") == null ? Map.of() : object(block.get("input"), where + ".input");
                    calls.add(ToolCall.function(string(block, "id", where + ".id", true),
                            string(block, "name", where + ".name", true), Fields.json(input)));
                }
                case "thinking", "redacted_thinking" -> {
                    // the Chat Completions shape carries no signed thinking back upstream
                }
                default -> {
                    // a block the router does not translate (search_result, container_upload; server tools'
                    // server_tool_use and *_tool_result in assistant turns): an Anthropic target gets the body as
                    // sent; a translation keeps a user's block as it is and drops an assistant's, like thinking
                    if (user) {
                        parts.add(new ContentPart.Other(type, cache(block, where),
                                Fields.rest(block, Set.of("type", "cache_control"))));
                    }
                }
            }
        }
        if (user) {
            if (!parts.isEmpty()) {
                out.add(Message.user(parts));
            }
        } else if (!parts.isEmpty() || !calls.isEmpty()) {
            out.add(new Message(Role.ASSISTANT, parts.isEmpty() ? null : Content.of(parts), null,
                    calls.isEmpty() ? null : calls, null, null, Map.of()));
        }
    }

    private static ContentPart userOnly(boolean user, String where, String type, ContentPart part) {
        if (!user) {
            throw invalid(where + ".type", type + " blocks belong in user messages");
        }
        return part;
    }

    private static ContentPart image(Map<String, Object> block, String at) {
        Map<String, Object> source = object(block.get("source"), at + ".source");
        String type = string(source, "type", at + ".source.type", true);
        return switch (type) {
            case "base64" -> new ContentPart.Image("data:" + string(source, "media_type", at + ".source.media_type",
                    true) + ";base64," + string(source, "data", at + ".source.data", true), null, cache(block, at),
                    Map.of());
            case "url" -> new ContentPart.Image(string(source, "url", at + ".source.url", true), null,
                    cache(block, at), Map.of());
            default -> throw invalid(at + ".source.type", "expected base64 or url");
        };
    }

    private static ContentPart document(Map<String, Object> block, String at) {
        Map<String, Object> source = object(block.get("source"), at + ".source");
        String type = string(source, "type", at + ".source.type", true);
        if ("base64".equals(type) && "application/pdf".equals(source.get("media_type"))) {
            return new ContentPart.File(null, string(block, "title", at + ".title", false),
                    "data:application/pdf;base64," + string(source, "data", at + ".source.data", true),
                    cache(block, at), Map.of());
        }
        Map<String, Object> fields = Fields.rest(block, Set.of("type", "cache_control"));
        return new ContentPart.Other("document", cache(block, at), fields);
    }

    private static Message toolResult(Map<String, Object> block, String at) {
        String id = string(block, "tool_use_id", at + ".tool_use_id", true);
        boolean error = Boolean.TRUE.equals(Fields.bool(block, "is_error", at + ".is_error"));
        Object content = block.get("content");
        Content result;
        if (content == null) {
            result = Content.of(error ? "Error" : "");
        } else if (content instanceof String text) {
            result = Content.of(error ? "Error: " + text : text);
        } else {
            List<?> inner = list(content, at + ".content");
            List<ContentPart> parts = new ArrayList<>();
            for (int k = 0; k < inner.size(); k++) {
                String where = at + ".content[" + k + "]";
                Map<String, Object> part = object(inner.get(k), where);
                String type = string(part, "type", where + ".type", true);
                switch (type) {
                    case "text" -> {
                        String text = string(part, "text", where + ".text", true);
                        parts.add(ContentPart.text(error && parts.isEmpty() ? "Error: " + text : text));
                    }
                    case "image" -> parts.add(image(part, where));
                    case "document" -> parts.add(document(part, where));
                    // search_result, tool_reference...: kept as Anthropic blocks, as in a user turn
                    default -> parts.add(new ContentPart.Other(type, cache(part, where),
                            Fields.rest(part, Set.of("type", "cache_control"))));
                }
            }
            result = Content.of(parts);
        }
        return new Message(Role.TOOL, result, null, null, id, null, Map.of());
    }

    private static List<Tool> tools(List<?> tools) {
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            Map<String, Object> tool = object(tools.get(i), at);
            Object type = tool.get("type");
            Map<String, Object> extra = new LinkedHashMap<>();
            if (tool.get("cache_control") != null) {
                extra.put("cache_control", object(tool.get("cache_control"), at + ".cache_control"));
            }
            if (type == null || "custom".equals(type)) {
                Map<String, Object> schema = tool.get("input_schema") == null ? null
                        : object(tool.get("input_schema"), at + ".input_schema");
                if (schema == null) {
                    throw Fields.missing(at + ".input_schema");
                }
                out.add(new Tool("function", new FunctionDefinition(string(tool, "name", at + ".name", true),
                        string(tool, "description", at + ".description", false), schema, null, Map.of()), extra));
            } else if (type instanceof String serverTool) {
                // an Anthropic server tool (web_search_..., bash_...): only Anthropic targets take it
                Map<String, Object> fields = Fields.rest(tool, Set.of("type"));
                out.add(new Tool(serverTool, null, fields));
            } else {
                throw invalid(at + ".type", "expected a string");
            }
        }
        return out;
    }

    private static CacheControl cache(Map<String, Object> block, String at) {
        Object value = block.get("cache_control");
        if (value == null) {
            return null;
        }
        Map<String, Object> cc = object(value, at + ".cache_control");
        return new CacheControl(string(cc, "type", at + ".cache_control.type", true),
                string(cc, "ttl", at + ".cache_control.ttl", false));
    }

    // ---- answers -------------------------------------------------------------------------------------------

    /** The message for a chat answer; {@code model} is the one the client sent. */
    public static byte[] writeResponse(ChatResponse response) {
        Choice choice = response.choices().isEmpty() ? null : response.choices().get(0);
        List<Object> content = new ArrayList<>();
        String finish = null;
        Map<String, Object> choiceExtra = Map.of();
        if (choice != null) {
            Message message = choice.message();
            if (message.extra().get("reasoning_content") instanceof String reasoning && !reasoning.isEmpty()) {
                content.add(map("type", "thinking", "thinking", reasoning, "signature", ""));
            }
            String text = message.text();
            boolean calls = message.toolCalls() != null && !message.toolCalls().isEmpty();
            if (!text.isEmpty() || (!calls && content.isEmpty())) {
                content.add(map("type", "text", "text", text));
            }
            if (calls) {
                for (ToolCall call : message.toolCalls()) {
                    content.add(map("type", "tool_use", "id", call.id(),
                            "name", call.function() == null ? null : call.function().name(),
                            "input", Fields.arguments(call.function() == null ? null : call.function().arguments())));
                }
            }
            finish = choice.finishReason();
            choiceExtra = choice.extra();
        } else {
            content.add(map("type", "text", "text", ""));
        }
        String stopSequence = stopSequence(finish, choiceExtra);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", messageId(response.id()));
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", response.model());
        out.put("content", content);
        out.put("stop_reason", stopSequence != null ? "stop_sequence" : stopReason(finish));
        out.put("stop_sequence", stopSequence);
        out.put("usage", usage(response.usage()));
        return Json.write(out);
    }

    static String messageId(String id) {
        if (id == null || id.isEmpty()) {
            return "msg_chatrouter";
        }
        return id.startsWith("msg_") ? id : "msg_" + id;
    }

    /** Anthropic's stop reason for a finish reason: length is max_tokens, tool_calls tool_use, else end_turn. */
    static String stopReason(String finishReason) {
        if (finishReason == null) {
            return "end_turn";
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    /**
     * The stop sequence that ended the answer, when the upstream named it: an Anthropic target's
     * {@code stop_sequence}, or the {@code stop_reason} string vLLM-style servers put on the choice.
     */
    static String stopSequence(String finishReason, Map<String, Object> choiceExtra) {
        if (!"stop".equals(finishReason)) {
            return null;
        }
        if (choiceExtra.get("stop_sequence") instanceof String s) {
            return s;
        }
        return choiceExtra.get("stop_reason") instanceof String s ? s : null;
    }

    /**
     * Anthropic usage: {@code input_tokens} are the prompt tokens neither read from nor written to the cache, as
     * Anthropic counts them; the router's cost is added as {@code cost}.
     */
    static Map<String, Object> usage(Usage usage) {
        if (usage == null) {
            return map("input_tokens", 0L, "output_tokens", 0L, "cache_creation_input_tokens", 0L,
                    "cache_read_input_tokens", 0L);
        }
        long cached = usage.cachedTokens();
        long written = usage.cacheWriteTokens();
        Map<String, Object> out = map("input_tokens", Math.max(0, usage.promptTokens() - cached - written),
                "output_tokens", usage.completionTokens(), "cache_creation_input_tokens", written,
                "cache_read_input_tokens", cached);
        if (usage.cost() != null) {
            out.put("cost", usage.cost());
        }
        return out;
    }

    /** {@code {"input_tokens": N}} */
    public static byte[] writeTokenCount(long inputTokens) {
        return Json.write(map("input_tokens", inputTokens));
    }

    /** The events of a Messages stream. */
    public static SseEncoder streamEncoder() {
        return new AnthropicStreamEncoder();
    }

    // ---- errors --------------------------------------------------------------------------------------------

    /** The Messages request's name for a field of the Chat Completions request it becomes. */
    public static String fieldName(String chatField) {
        return "stop".equals(chatField) ? "stop_sequences" : chatField;
    }

    /** Anthropic's error type for a status. */
    public static String errorType(int status) {
        return switch (status) {
            case 400, 405, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
        };
    }

    /** {@code {"type":"error","error":{"type":...,"message":...}}} */
    public static byte[] errorBody(int status, String message) {
        return Json.write(map("type", "error", "error", map("type", errorType(status), "message", message)));
    }
}
