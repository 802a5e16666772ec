package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.FunctionDefinition;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.WireCodec;
import dev.chatrouter.kit.wire.JsonEdit;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static dev.chatrouter.http.surface.Fields.invalid;
import static dev.chatrouter.http.surface.Fields.list;
import static dev.chatrouter.http.surface.Fields.map;
import static dev.chatrouter.http.surface.Fields.object;
import static dev.chatrouter.http.surface.Fields.string;
import static dev.chatrouter.http.surface.Fields.unsupported;

/**
 * The Responses surface ({@code POST /responses}), translated to Chat Completions: {@code instructions} become a
 * system message; {@code input} (a string, or message, {@code function_call}, {@code function_call_output},
 * {@code custom_tool_call} and {@code custom_tool_call_output} items) becomes the conversation, after the turns of
 * {@code previous_response_id} from the {@link ResponseStore}; function tools pass as they are, {@code custom} tools
 * become function tools taking one string argument {@code input} (and their calls come back as custom tool calls),
 * hosted tools (web_search, file_search...) are dropped and named; {@code max_output_tokens},
 * {@code reasoning.effort} and {@code text.format} become {@code max_completion_tokens}, {@code reasoning_effort}
 * and {@code response_format}.
 */
public final class OpenAiResponses {

    /** The argument a custom tool's function takes. */
    static final String CUSTOM_INPUT = "input";
    private static final Map<String, Object> CUSTOM_PARAMETERS = map("type", "object",
            "properties", map(CUSTOM_INPUT, map("type", "string")), "required", List.of(CUSTOM_INPUT),
            "additionalProperties", false);

    private OpenAiResponses() {
    }

    /**
     * One Responses request, translated.
     *
     * @param id           the response id this request will answer with
     * @param chat         the chat request to route
     * @param conversation the turns to store with the answer: the previous response's and this input (without
     *                     {@code instructions}, which a follow-up does not inherit)
     * @param echo         the request's fields the response object repeats (model, instructions, tools...)
     * @param customTools  the names of the custom tools
     * @param droppedTools the types of the hosted tools that were dropped
     * @param store        whether to store the response
     * @param createdAt    the creation time, seconds since the epoch
     * @param inherited    how many of the {@code conversation}'s first messages came from
     *                     {@code previous_response_id}
     */
    public record Turn(String id, ChatRequest chat, List<Message> conversation, Map<String, Object> echo,
                       Set<String> customTools, List<String> droppedTools, boolean store, long createdAt,
                       int inherited) {

        /** This turn after the {@code earlier} turns of a stored response: they come first, after instructions. */
        Turn after(List<Message> earlier) {
            List<Message> all = new ArrayList<>(earlier);
            all.addAll(conversation);
            List<Message> messages = new ArrayList<>();
            if (echo.get("instructions") instanceof String instructions) {
                messages.add(Message.system(instructions));
            }
            messages.addAll(all);
            return new Turn(id, chat.toBuilder().messages(messages).build(), List.copyOf(all), echo, customTools,
                    droppedTools, store, createdAt, earlier.size());
        }
    }

    /**
     * Reads a Responses request; the turns of {@code previous_response_id} are read from {@code store} without
     * blocking.
     *
     * @return the turn; fails with a {@link dev.chatrouter.api.ChatRouterException} naming
     *         {@code previous_response_id} when it is unknown or expired (400), or naming the store when it cannot
     *         be read (503)
     * @throws dev.chatrouter.api.ChatRouterException of an invalid-request code naming the field
     */
    public static CompletionStage<Turn> readRequest(byte[] body, ResponseStore store, Clock clock) {
        Map<String, Object> in = Fields.body(body);
        String model = string(in, "model", "model", true);
        for (String refused : List.of("conversation", "prompt")) {
            if (in.get(refused) != null) {
                throw unsupported(refused, "the router keeps no " + refused + " objects; send input"
                        + ("conversation".equals(refused) ? " and previous_response_id" : ""));
            }
        }
        if (Boolean.TRUE.equals(Fields.bool(in, "background", "background"))) {
            throw unsupported("background", "responses are answered while the request waits");
        }
        List<Message> conversation = new ArrayList<>();
        String previous = string(in, "previous_response_id", "previous_response_id", false);
        Object input = in.get("input");
        if (input == null) {
            throw Fields.missing("input");
        }
        Set<String> customTools = new LinkedHashSet<>();
        List<String> dropped = new ArrayList<>();
        List<Tool> tools = in.get("tools") == null ? null : tools(list(in.get("tools"), "tools"), customTools, dropped);
        if (input instanceof String text) {
            conversation.add(Message.user(text));
        } else {
            items(list(input, "input"), customTools, conversation);
        }
        ChatRequest.Builder b = ChatRequest.builder().model(model);
        List<Message> messages = new ArrayList<>();
        String instructions = string(in, "instructions", "instructions", false);
        if (instructions != null) {
            messages.add(Message.system(instructions));
        }
        messages.addAll(conversation);
        if (messages.isEmpty() && previous == null) {
            throw invalid("input", "at least one input item is required");
        }
        b.messages(messages);
        if (tools != null && !tools.isEmpty()) {
            b.tools(tools);
            b.toolChoice(toolChoice(in.get("tool_choice")));
            b.parallelToolCalls(Fields.bool(in, "parallel_tool_calls", "parallel_tool_calls"));
        }
        b.maxCompletionTokens(Fields.integer(in, "max_output_tokens", "max_output_tokens", false, 1));
        b.temperature(Fields.number(in, "temperature", "temperature"));
        b.topP(Fields.number(in, "top_p", "top_p"));
        String user = string(in, "safety_identifier", "safety_identifier", false);
        b.user(user != null ? user : string(in, "user", "user", false));
        Map<String, Object> reasoning = in.get("reasoning") == null ? null : object(in.get("reasoning"), "reasoning");
        if (reasoning != null) {
            b.reasoningEffort(string(reasoning, "effort", "reasoning.effort", false));
        }
        Map<String, Object> text = in.get("text") == null ? null : object(in.get("text"), "text");
        if (text != null && text.get("format") != null) {
            b.responseFormat(format(object(text.get("format"), "text.format")));
        }
        if (Boolean.TRUE.equals(Fields.bool(in, "stream", "stream"))) {
            b.stream(true).streamOptions(new StreamOptions(true, Map.of()));
        }
        boolean keep = !Boolean.FALSE.equals(Fields.bool(in, "store", "store"));
        Map<String, Object> echo = new LinkedHashMap<>();
        echo.put("instructions", instructions);
        echo.put("max_output_tokens", in.get("max_output_tokens"));
        echo.put("metadata", in.get("metadata") == null ? Map.of() : object(in.get("metadata"), "metadata"));
        echo.put("parallel_tool_calls", !Boolean.FALSE.equals(in.get("parallel_tool_calls")));
        echo.put("previous_response_id", previous);
        echo.put("reasoning", reasoning == null ? map("effort", null, "summary", null) : reasoning);
        echo.put("store", keep);
        echo.put("temperature", in.get("temperature"));
        echo.put("text", text == null ? map("format", map("type", "text")) : text);
        echo.put("tool_choice", in.get("tool_choice") == null ? "auto" : in.get("tool_choice"));
        echo.put("tools", in.get("tools") == null ? List.of() : in.get("tools"));
        echo.put("top_p", in.get("top_p"));
        echo.put("truncation", "disabled");
        echo.put("user", in.get("user"));
        Turn turn = new Turn("resp_" + UUID.randomUUID().toString().replace("-", ""), b.build(), conversation, echo,
                customTools, dropped, keep, clock.instant().getEpochSecond(), 0);
        if (previous == null) {
            return CompletableFuture.completedFuture(turn);
        }
        return store.get(previous).thenApply(found -> turn.after(storedTurns(found.orElseThrow(() ->
                invalid("previous_response_id", "no stored response '" + previous
                        + "' (unknown, expired, or created with store false)")))));
    }

    /**
     * The request as a target serving the Responses API gets it: the client's body, with the turns of
     * {@code previous_response_id} written into {@code input} before the client's own input and
     * {@code previous_response_id} removed, so the upstream needs nothing stored.
     *
     * @param headers the client's headers to forward
     */
    public static NativeRequest nativeRequest(byte[] body, Turn turn, Map<String, String> headers) {
        byte[] sent = body;
        if (turn.echo().get("previous_response_id") != null) {
            List<Object> input = new ArrayList<>(inputItems(turn.conversation().subList(0, turn.inherited()),
                    turn.customTools()));
            Object own = Fields.body(body).get("input");
            if (own instanceof String text) {
                input.add(map("type", "message", "role", "user", "content", text));
            } else if (own instanceof List<?> items) {
                input.addAll(items);
            }
            sent = JsonEdit.of(body).set("input", input).remove("previous_response_id").apply();
        }
        return new NativeRequest(NativeRequest.Surface.RESPONSES, sent, headers);
    }

    /**
     * Chat messages as Responses input items: user, system and developer messages as message items
     * ({@code input_text}, {@code input_image}, {@code input_file} parts); an assistant's text as a message item of
     * {@code output_text} and its tool calls as {@code function_call} items ({@code custom_tool_call} for a custom
     * tool); tool results as {@code function_call_output} ({@code custom_tool_call_output}) items.
     */
    static List<Object> inputItems(List<Message> messages, Set<String> customTools) {
        List<Object> items = new ArrayList<>();
        Set<String> customCalls = new java.util.HashSet<>();
        for (Message message : messages) {
            switch (message.role()) {
                case ASSISTANT -> {
                    String text = message.content() == null ? "" : message.content().text();
                    if (!text.isEmpty()) {
                        items.add(map("type", "message", "role", "assistant", "content",
                                List.of(map("type", "output_text", "text", text))));
                    }
                    if (message.toolCalls() != null) {
                        for (ToolCall call : message.toolCalls()) {
                            String name = call.function() == null ? null : call.function().name();
                            String arguments = call.function() == null ? null : call.function().arguments();
                            if (name != null && customTools.contains(name)) {
                                customCalls.add(call.id());
                                Object input = Fields.arguments(arguments) instanceof Map<?, ?> m
                                        && m.get(CUSTOM_INPUT) instanceof String v ? v : "";
                                items.add(map("type", "custom_tool_call", "call_id", call.id(), "name", name,
                                        "input", input));
                            } else {
                                items.add(map("type", "function_call", "call_id", call.id(), "name", name,
                                        "arguments", arguments == null ? "" : arguments));
                            }
                        }
                    }
                }
                case TOOL -> items.add(map("type", customCalls.contains(message.toolCallId())
                                ? "custom_tool_call_output" : "function_call_output", "call_id", message.toolCallId(),
                        "output", message.content() == null ? "" : message.content().text()));
                default -> items.add(map("type", "message", "role", message.role() == Role.USER ? "user"
                        : message.role() == Role.DEVELOPER ? "developer" : "system", "content",
                        inputContent(message.content())));
            }
        }
        return items;
    }

    private static Object inputContent(Content content) {
        if (content == null) {
            return "";
        }
        if (content instanceof Content.Text text) {
            return text.text();
        }
        List<Object> parts = new ArrayList<>();
        for (ContentPart part : ((Content.Parts) content).parts()) {
            if (part instanceof ContentPart.Text text) {
                parts.add(map("type", "input_text", "text", text.text()));
            } else if (part instanceof ContentPart.Image image) {
                Map<String, Object> item = map("type", "input_image", "image_url", image.url());
                if (image.detail() != null) {
                    item.put("detail", image.detail());
                }
                parts.add(item);
            } else if (part instanceof ContentPart.File file && file.fileData() != null) {
                Map<String, Object> item = map("type", "input_file", "file_data", file.fileData());
                if (file.filename() != null) {
                    item.put("filename", file.filename());
                }
                parts.add(item);
            }
        }
        return parts;
    }

    private static void items(List<?> items, Set<String> customTools, List<Message> out) {
        for (int i = 0; i < items.size(); i++) {
            String at = "input[" + i + "]";
            Map<String, Object> item = object(items.get(i), at);
            String type = string(item, "type", at + ".type", false);
            if (type == null || "message".equals(type)) {
                out.add(message(item, at));
                continue;
            }
            switch (type) {
                case "function_call" -> call(out, ToolCall.function(string(item, "call_id", at + ".call_id", true),
                        string(item, "name", at + ".name", true), string(item, "arguments", at + ".arguments", true)));
                case "custom_tool_call" -> call(out, ToolCall.function(string(item, "call_id", at + ".call_id", true),
                        string(item, "name", at + ".name", true),
                        Fields.json(map(CUSTOM_INPUT, string(item, "input", at + ".input", true)))));
                case "function_call_output", "custom_tool_call_output" -> out.add(new Message(Role.TOOL,
                        output(item.get("output"), at + ".output"), null, null,
                        string(item, "call_id", at + ".call_id", true), null, Map.of()));
                case "reasoning" -> {
                    // reasoning items carry nothing a Chat Completions upstream takes back
                }
                default -> throw invalid(at + ".type", "expected message, function_call, function_call_output, "
                        + "custom_tool_call, custom_tool_call_output or reasoning but was '" + type + "'");
            }
        }
    }

    /** Adds a tool call to the assistant message just before it, or to a new one. */
    private static void call(List<Message> out, ToolCall call) {
        Message last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (last != null && last.role() == Role.ASSISTANT) {
            List<ToolCall> calls = new ArrayList<>(last.toolCalls() == null ? List.of() : last.toolCalls());
            calls.add(call);
            out.set(out.size() - 1, new Message(Role.ASSISTANT, last.content(), null, calls, null, null, Map.of()));
        } else {
            out.add(Message.assistantToolCalls(List.of(call)));
        }
    }

    private static Content output(Object output, String at) {
        if (output == null) {
            throw Fields.missing(at);
        }
        if (output instanceof String s) {
            return Content.of(s);
        }
        return Content.of(parts(list(output, at), at));
    }

    private static Message message(Map<String, Object> item, String at) {
        String roleName = string(item, "role", at + ".role", true);
        Role role = switch (roleName) {
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            case "system" -> Role.SYSTEM;
            case "developer" -> Role.DEVELOPER;
            default -> throw invalid(at + ".role", "expected user, assistant, system or developer");
        };
        Object content = item.get("content");
        if (content == null) {
            throw Fields.missing(at + ".content");
        }
        Content c = content instanceof String s ? Content.of(s)
                : Content.of(parts(list(content, at + ".content"), at + ".content"));
        return new Message(role, c, null, null, null, null, Map.of());
    }

    private static List<ContentPart> parts(List<?> parts, String at) {
        List<ContentPart> out = new ArrayList<>();
        for (int j = 0; j < parts.size(); j++) {
            String where = at + "[" + j + "]";
            Map<String, Object> part = object(parts.get(j), where);
            String type = string(part, "type", where + ".type", true);
            switch (type) {
                case "input_text", "output_text", "text" -> out.add(ContentPart.text(
                        string(part, "text", where + ".text", true)));
                case "refusal" -> out.add(ContentPart.text(string(part, "refusal", where + ".refusal", true)));
                case "input_image" -> {
                    String url = string(part, "image_url", where + ".image_url", false);
                    if (url == null) {
                        throw unsupported(where + ".file_id", "send the image as image_url (an http(s) or data: URL)");
                    }
                    out.add(new ContentPart.Image(url, string(part, "detail", where + ".detail", false), null,
                            Map.of()));
                }
                case "input_file" -> {
                    String data = string(part, "file_data", where + ".file_data", false);
                    if (data == null) {
                        throw unsupported(where + ".file_id", "send the file inline as file_data");
                    }
                    out.add(new ContentPart.File(null, string(part, "filename", where + ".filename", false), data,
                            null, Map.of()));
                }
                default -> throw invalid(where + ".type", "expected input_text, input_image, input_file or "
                        + "output_text but was '" + type + "'");
            }
        }
        return out;
    }

    private static List<Tool> tools(List<?> tools, Set<String> customTools, List<String> dropped) {
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            Map<String, Object> tool = object(tools.get(i), at);
            String type = string(tool, "type", at + ".type", true);
            switch (type) {
                case "function" -> {
                    Map<String, Object> parameters = tool.get("parameters") == null ? null
                            : object(tool.get("parameters"), at + ".parameters");
                    out.add(new Tool("function", new FunctionDefinition(string(tool, "name", at + ".name", true),
                            string(tool, "description", at + ".description", false), parameters,
                            Fields.bool(tool, "strict", at + ".strict"), Map.of()), Map.of()));
                }
                case "custom" -> {
                    String name = string(tool, "name", at + ".name", true);
                    customTools.add(name);
                    out.add(new Tool("function", new FunctionDefinition(name,
                            string(tool, "description", at + ".description", false), CUSTOM_PARAMETERS, null,
                            Map.of()), Map.of()));
                }
                default -> dropped.add(type); // hosted tools run at OpenAI: no upstream here can run them
            }
        }
        return out;
    }

    private static ToolChoice toolChoice(Object choice) {
        if (choice == null) {
            return null;
        }
        if (choice instanceof String mode) {
            return switch (mode) {
                case "auto" -> ToolChoice.auto();
                case "none" -> ToolChoice.none();
                case "required" -> ToolChoice.required();
                default -> throw invalid("tool_choice", "expected auto, none, required or an object");
            };
        }
        Map<String, Object> named = object(choice, "tool_choice");
        String type = string(named, "type", "tool_choice.type", true);
        if ("function".equals(type) || "custom".equals(type)) {
            return ToolChoice.function(string(named, "name", "tool_choice.name", true));
        }
        return ToolChoice.auto(); // a hosted tool or allowed_tools: the model chooses among what is left
    }

    private static ResponseFormat format(Map<String, Object> format) {
        String type = string(format, "type", "text.format.type", true);
        return switch (type) {
            case "text" -> null;
            case "json_object" -> ResponseFormat.jsonObject();
            case "json_schema" -> new ResponseFormat("json_schema", new ResponseFormat.JsonSchema(
                    string(format, "name", "text.format.name", true),
                    string(format, "description", "text.format.description", false),
                    object(format.get("schema"), "text.format.schema"),
                    Fields.bool(format, "strict", "text.format.strict"), Map.of()));
            default -> throw invalid("text.format.type", "expected text, json_object or json_schema");
        };
    }

    // ---- answers -------------------------------------------------------------------------------------------

    /** The response object for a chat answer. */
    public static byte[] writeResponse(Turn turn, ChatResponse response) {
        Choice choice = response.choices().isEmpty() ? null : response.choices().get(0);
        List<Object> output = new ArrayList<>();
        if (choice != null) {
            Message message = choice.message();
            if (message.extra().get("reasoning_content") instanceof String reasoning && !reasoning.isEmpty()) {
                output.add(map("type", "reasoning", "id", "rs_" + suffix(turn), "summary",
                        List.of(map("type", "summary_text", "text", reasoning))));
            }
            if (!message.text().isEmpty()) {
                output.add(messageItem("msg_" + suffix(turn), message.text(), "completed"));
            }
            if (message.toolCalls() != null) {
                int n = 0;
                for (ToolCall call : message.toolCalls()) {
                    output.add(callItem(turn, call.id(), call.function().name(), call.function().arguments(),
                            n++, "completed"));
                }
            }
        }
        String finish = choice == null ? null : choice.finishReason();
        return Json.write(envelope(turn, response.model(), "length".equals(finish) ? "incomplete" : "completed",
                output, response.usage()));
    }

    static String suffix(Turn turn) {
        return turn.id().substring("resp_".length());
    }

    static Map<String, Object> messageItem(String id, String text, String status) {
        List<Object> content = status.equals("in_progress") ? List.of()
                : List.of(map("type", "output_text", "text", text, "annotations", List.of(), "logprobs", List.of()));
        return map("type", "message", "id", id, "status", status, "role", "assistant", "content", content);
    }

    /** A function call item, or a custom tool call item when the function stands for a custom tool. */
    static Map<String, Object> callItem(Turn turn, String callId, String name, String arguments, int n,
                                        String status) {
        String id = suffix(turn) + "_" + n;
        if (turn.customTools().contains(name)) {
            Object input = Fields.arguments(arguments) instanceof Map<?, ?> m && m.get(CUSTOM_INPUT) instanceof String s
                    ? s : "";
            return map("type", "custom_tool_call", "id", "ctc_" + id, "call_id", callId, "name", name,
                    "input", input, "status", status);
        }
        return map("type", "function_call", "id", "fc_" + id, "call_id", callId, "name", name,
                "arguments", arguments == null ? "" : arguments, "status", status);
    }

    static Map<String, Object> envelope(Turn turn, String model, String status, List<Object> output, Usage usage) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", turn.id());
        out.put("object", "response");
        out.put("created_at", turn.createdAt());
        out.put("status", status);
        out.put("error", null);
        out.put("incomplete_details", "incomplete".equals(status) ? map("reason", "max_output_tokens") : null);
        out.put("model", model);
        out.put("output", output);
        out.putAll(turn.echo());
        out.put("usage", usage == null ? null : usage(usage));
        if (!turn.droppedTools().isEmpty()) {
            out.put("dropped_tools", turn.droppedTools());
        }
        return out;
    }

    static Map<String, Object> usage(Usage usage) {
        long reasoning = usage.completionTokensDetails() == null
                || usage.completionTokensDetails().reasoningTokens() == null
                ? 0 : usage.completionTokensDetails().reasoningTokens();
        Map<String, Object> out = map("input_tokens", usage.promptTokens(),
                "input_tokens_details", map("cached_tokens", usage.cachedTokens()),
                "output_tokens", usage.completionTokens(),
                "output_tokens_details", map("reasoning_tokens", reasoning),
                "total_tokens", usage.promptTokens() + usage.completionTokens());
        if (usage.cost() != null) {
            out.put("cost", usage.cost());
        }
        return out;
    }

    /**
     * What to store after an answer, as JSON: the conversation (the turn's and the assistant's message) as the
     * {@code messages} of a Chat Completions request whose {@code model} is the response id.
     */
    public static String stored(Turn turn, Message answer) {
        List<Message> all = new ArrayList<>(turn.conversation());
        all.add(new Message(Role.ASSISTANT, answer.text().isEmpty() ? null : Content.of(answer.text()), null,
                answer.toolCalls() == null || answer.toolCalls().isEmpty() ? null : answer.toolCalls(), null, null,
                Map.of()));
        return new String(WireCodec.writeChatRequest(ChatRequest.builder().model(turn.id()).messages(all).build()),
                StandardCharsets.UTF_8);
    }

    /** The conversation of what {@link #stored} wrote. */
    static List<Message> storedTurns(String json) {
        return WireCodec.readChatRequest(json.getBytes(StandardCharsets.UTF_8)).messages();
    }

    /** {@code {"object":"response.input_tokens","input_tokens":N}} */
    public static byte[] writeTokenCount(long inputTokens) {
        return Json.write(map("object", "response.input_tokens", "input_tokens", inputTokens));
    }

    /**
     * The events of a Responses stream; when it completes, {@code onComplete} gets the assembled assistant message
     * (to store), and the stream's last event waits for the stage it returns ({@link SseEncoder#settled()}).
     */
    public static SseEncoder streamEncoder(Turn turn,
                                           java.util.function.Function<Message, CompletionStage<Void>> onComplete) {
        return new ResponsesStreamEncoder(turn, onComplete);
    }
}
