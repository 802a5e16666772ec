package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates a Chat Completions request into a Messages API body (plain Java values for {@link Json#write}). The
 * rules are listed on {@link AnthropicProviderFactory}; a request that cannot be expressed fails with
 * {@link FailureKind#BAD_REQUEST}, naming the message and part.
 */
final class MessagesRequest {

    /** The system instruction that stands in for {@code response_format: json_object}. */
    static final String JSON_OBJECT_INSTRUCTION =
            "Answer with a single valid JSON object and nothing else: no prose before or after it, no code fences.";
    /** The answer tool's description when the json_schema gives none. */
    static final String ANSWER_TOOL_DESCRIPTION = "Give the final answer as the input of this tool.";
    /** Anthropic's smallest thinking budget. */
    static final int MIN_BUDGET = 1024;

    /**
     * A translated request.
     *
     * @param body       the Messages API body
     * @param answerTool the tool that carries a {@code json_schema} answer, or {@code null}
     */
    record Translated(Map<String, Object> body, String answerTool) {
    }

    private final ChatRequest request;
    private final ModelSpec model;
    private final boolean promptCache;
    private String where = "request";

    private MessagesRequest(ChatRequest request, ModelSpec model) {
        this.request = request;
        this.model = model;
        this.promptCache = model.has(Capability.PROMPT_CACHE);
    }

    /**
     * Translates a request.
     *
     * @throws ProviderException of kind bad_request if the request has content the Messages API cannot take
     */
    static Translated translate(ChatRequest request, ModelSpec model, int defaultMaxTokens, boolean stream) {
        return new MessagesRequest(request, model).build(defaultMaxTokens, stream);
    }

    /** The thinking budget for a {@code reasoning_effort}: low 1024, medium 8192, high 24576; 0 for none. */
    static int budgetFor(String reasoningEffort) {
        if (reasoningEffort == null) {
            return 0;
        }
        return switch (reasoningEffort.strip().toLowerCase(Locale.ROOT)) {
            case "low" -> 1024;
            case "medium" -> 8192;
            case "high", "xhigh", "max" -> 24576;
            default -> 0; // minimal, fast, auto: no thinking
        };
    }

    private Translated build(int defaultMaxTokens, boolean stream) {
        for (String legacy : List.of("functions", "function_call")) {
            if (request.extra().get(legacy) != null) {
                throw bad(": " + legacy + " (the legacy function-call protocol) is not supported; send tools and"
                        + " tool_choice");
            }
        }
        List<Map<String, Object>> system = new ArrayList<>();
        List<Map<String, Object>> turns = new ArrayList<>();
        List<Message> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            Message message = messages.get(i);
            where = "messages[" + i + "]";
            switch (message.role()) {
                case SYSTEM, DEVELOPER -> system.addAll(systemBlocks(message.content()));
                case USER -> addTurn(turns, "user", blocks(message.content()));
                case ASSISTANT -> addTurn(turns, "assistant", assistantBlocks(message));
                case TOOL -> addTurn(turns, "user", List.of(toolResult(message)));
                case FUNCTION -> throw bad(": role function (the legacy function-call protocol) is not supported; "
                        + "send tool messages with tool_call_id");
            }
        }
        where = "request";

        String answerTool = null;
        ResponseFormat format = request.responseFormat();
        if (format != null && "json_object".equals(format.type())) {
            system.add(textBlock(JSON_OBJECT_INSTRUCTION, null));
        } else if (format != null && "json_schema".equals(format.type())) {
            answerTool = format.jsonSchema() == null || format.jsonSchema().name() == null
                    ? "json_response" : format.jsonSchema().name();
        }

        List<Map<String, Object>> tools = tools();
        Map<String, Object> choice = toolChoice(tools, answerTool, format);

        // A translated assistant turn carries no thinking, so a tool loop cannot go on with it (ThinkingReplay).
        Map<String, Object> thinking = ThinkingReplay.continuesLoopWithoutThinking(turns)
                ? null : thinking(forces(choice));
        boolean derived = thinking != null && !(request.extra().get("thinking") instanceof Map);
        boolean thinks = thinking != null && !"disabled".equals(thinking.get("type"));
        if (thinks && forces(choice)) {
            // Anthropic takes only auto or none beside thinking.
            choice.put("type", "auto");
            choice.remove("name");
        }
        long maxTokens = maxTokens(defaultMaxTokens);
        if (thinks && thinking.get("budget_tokens") instanceof Number number && maxTokens <= number.longValue()) {
            long budget = number.longValue();
            long raised = budget + maxTokens;
            int cap = model.maxOutputTokens();
            maxTokens = cap > 0 ? Math.max(maxTokens, Math.min(raised, cap)) : raised;
            if (derived && budget >= maxTokens) {
                // Capped by the model's output limit: the derived budget shrinks to fit under it.
                budget = maxTokens - 1;
                if (budget < MIN_BUDGET) {
                    thinking = null;
                    thinks = false;
                } else {
                    thinking.put("budget_tokens", budget);
                }
            }
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", request.model());
        body.put("max_tokens", maxTokens);
        if (!system.isEmpty()) {
            body.put("system", system);
        }
        body.put("messages", turns);
        if (!tools.isEmpty()) {
            body.put("tools", tools);
            if (choice != null) {
                body.put("tool_choice", choice);
            }
        }
        if (request.stop() != null && !request.stop().sequences().isEmpty()) {
            body.put("stop_sequences", request.stop().sequences());
        }
        if (!thinks) {
            // Thinking takes no temperature, top_p below 0.95 or top_k: send none of them beside it.
            if (request.temperature() != null) {
                body.put("temperature", Math.max(0.0, Math.min(1.0, request.temperature())));
            }
            if (request.topP() != null) {
                body.put("top_p", request.topP());
            }
            if (request.extra().get("top_k") instanceof Number topK) {
                body.put("top_k", topK);
            }
        }
        if (thinking != null) {
            body.put("thinking", thinking);
        }
        if (request.user() != null) {
            body.put("metadata", Map.of("user_id", request.user()));
        }
        if (stream) {
            body.put("stream", true);
        }
        return new Translated(body, answerTool);
    }

    private long maxTokens(int defaultMaxTokens) {
        Integer limit = request.outputLimit();
        if (limit != null) {
            return limit;
        }
        int cap = model.maxOutputTokens();
        return cap > 0 ? Math.min(defaultMaxTokens, cap) : defaultMaxTokens;
    }

    /**
     * The thinking to send: the request's own Anthropic {@code thinking} object, else one derived from
     * {@code reasoning_effort} unless the tool choice forces a call; none for models without the reasoning
     * capability (as the router sends them no {@code reasoning_effort} either).
     */
    private Map<String, Object> thinking(boolean forcedTool) {
        if (!model.has(Capability.REASONING)) {
            return null;
        }
        if (request.extra().get("thinking") instanceof Map<?, ?> given) {
            Map<String, Object> copy = new LinkedHashMap<>();
            given.forEach((k, v) -> copy.put(String.valueOf(k), v));
            return copy;
        }
        int budget = budgetFor(request.reasoningEffort());
        if (budget == 0 || forcedTool) {
            return null;
        }
        Map<String, Object> thinking = new LinkedHashMap<>();
        thinking.put("type", "enabled");
        thinking.put("budget_tokens", budget);
        return thinking;
    }

    private static boolean forces(Map<String, Object> choice) {
        return choice != null && ("any".equals(choice.get("type")) || "tool".equals(choice.get("type")));
    }

    private List<Map<String, Object>> tools() {
        List<Map<String, Object>> tools = new ArrayList<>();
        if (request.tools() == null) {
            return tools;
        }
        for (int i = 0; i < request.tools().size(); i++) {
            Tool tool = request.tools().get(i);
            Map<String, Object> out = new LinkedHashMap<>();
            if (tool.function() == null) {
                // A tool type the model does not know: an Anthropic tool (web_search_...) sent as is.
                out.put("type", tool.type());
                tool.extra().forEach((k, v) -> {
                    if (!"cache_control".equals(k)) {
                        out.put(k, v);
                    }
                });
            } else {
                out.put("name", tool.function().name());
                if (tool.function().description() != null) {
                    out.put("description", tool.function().description());
                }
                out.put("input_schema", tool.function().parameters() != null ? tool.function().parameters()
                        : Map.of("type", "object", "properties", Map.of()));
            }
            if (promptCache && tool.extra().get("cache_control") instanceof Map<?, ?> cacheControl) {
                out.put("cache_control", cacheControl);
            }
            tools.add(out);
        }
        return tools;
    }

    /**
     * The tool choice. A json_schema answer adds its tool: forced when the request has no tools of its own (or
     * tool_choice none), else {@code any} (some tool must be called: one of the caller's, or the answer), unless the
     * caller names a tool.
     */
    private Map<String, Object> toolChoice(List<Map<String, Object>> tools, String answerTool,
                                           ResponseFormat format) {
        ToolChoice given = request.toolChoice();
        Map<String, Object> choice = null;
        if (answerTool != null) {
            boolean ownTools = !tools.isEmpty() && !(given != null && "none".equals(given.mode()));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("name", answerTool);
            String description = format.jsonSchema() == null ? null : format.jsonSchema().description();
            answer.put("description", description != null ? description : ANSWER_TOOL_DESCRIPTION);
            Map<String, Object> schema = format.jsonSchema() == null ? null : format.jsonSchema().schema();
            answer.put("input_schema", schema != null ? schema : Map.of("type", "object"));
            tools.add(answer);
            if (!ownTools) {
                choice = named(answerTool);
            } else if (given != null && given.functionName() != null) {
                choice = named(given.functionName());
            } else {
                choice = mode("any");
            }
        } else if (!tools.isEmpty() && given != null) {
            if (given.functionName() != null) {
                choice = named(given.functionName());
            } else {
                choice = mode(switch (given.mode()) {
                    case "none" -> "none";
                    case "required" -> "any";
                    default -> "auto";
                });
            }
        }
        if (!tools.isEmpty() && Boolean.FALSE.equals(request.parallelToolCalls())
                && (choice == null || !"none".equals(choice.get("type")))) {
            choice = choice == null ? mode("auto") : choice;
            choice.put("disable_parallel_tool_use", true);
        }
        return choice;
    }

    private static Map<String, Object> mode(String type) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("type", type);
        return choice;
    }

    private static Map<String, Object> named(String name) {
        Map<String, Object> choice = mode("tool");
        choice.put("name", name);
        return choice;
    }

    /** Appends a turn, merging it into the previous one when the role repeats: Anthropic requires alternation. */
    private static void addTurn(List<Map<String, Object>> turns, String role, List<Map<String, Object>> blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        if (!turns.isEmpty() && role.equals(turns.get(turns.size() - 1).get("role"))) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> content = (List<Map<String, Object>>) turns.get(turns.size() - 1).get("content");
            content.addAll(blocks);
            return;
        }
        Map<String, Object> turn = new LinkedHashMap<>();
        turn.put("role", role);
        turn.put("content", new ArrayList<>(blocks));
        turns.add(turn);
    }

    private List<Map<String, Object>> systemBlocks(Content content) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        if (content instanceof Content.Text text) {
            if (!text.text().isEmpty()) {
                blocks.add(textBlock(text.text(), null));
            }
        } else if (content instanceof Content.Parts parts) {
            for (int j = 0; j < parts.parts().size(); j++) {
                ContentPart part = parts.parts().get(j);
                if (!(part instanceof ContentPart.Text text)) {
                    throw bad(".content[" + j + "]: a system message takes text parts only, not " + part.type());
                }
                if (!text.text().isEmpty()) {
                    blocks.add(textBlock(text.text(), text.cacheControl()));
                }
            }
        }
        return blocks;
    }

    /** The blocks of user content (and of tool results): text, images, PDF documents. */
    private List<Map<String, Object>> blocks(Content content) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        if (content instanceof Content.Text text) {
            if (!text.text().isEmpty()) {
                blocks.add(textBlock(text.text(), null));
            }
        } else if (content instanceof Content.Parts parts) {
            for (int j = 0; j < parts.parts().size(); j++) {
                Map<String, Object> block = block(parts.parts().get(j), ".content[" + j + "]");
                if (block != null) {
                    blocks.add(block);
                }
            }
        }
        return blocks;
    }

    private Map<String, Object> block(ContentPart part, String at) {
        if (part instanceof ContentPart.Text text) {
            return text.text().isEmpty() ? null : textBlock(text.text(), text.cacheControl());
        }
        if (part instanceof ContentPart.Image image) {
            return imageBlock(image, at);
        }
        if (part instanceof ContentPart.File file) {
            return documentBlock(file, at);
        }
        if (part instanceof ContentPart.Other other && ("image".equals(other.type())
                || "document".equals(other.type()))) {
            // Already an Anthropic block: sent as is.
            Map<String, Object> block = new LinkedHashMap<>();
            block.put("type", other.type());
            block.putAll(other.fields());
            cache(block, other.cacheControl());
            return block;
        }
        throw bad(at + ": the Messages API takes no " + part.type() + " parts");
    }

    private Map<String, Object> imageBlock(ContentPart.Image image, String at) {
        String url = image.url();
        Map<String, Object> source = new LinkedHashMap<>();
        if (url.startsWith("data:")) {
            DataUrl data = DataUrl.parse(url);
            if (data == null) {
                throw bad(at + ": image_url: expected a base64 data: URL");
            }
            source.put("type", "base64");
            source.put("media_type", data.mediaType());
            source.put("data", data.data());
        } else if (url.startsWith("https://") || url.startsWith("http://")) {
            source.put("type", "url");
            source.put("url", url);
        } else {
            throw bad(at + ": image_url: expected an http(s) URL or a base64 data: URL");
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "image");
        block.put("source", source);
        cache(block, image.cacheControl());
        return block;
    }

    private Map<String, Object> documentBlock(ContentPart.File file, String at) {
        if (file.fileData() == null) {
            throw bad(at + ": file: only inline file_data is supported (a file_id names a file of another API)");
        }
        DataUrl data = DataUrl.parse(file.fileData());
        if (data == null || !"application/pdf".equals(data.mediaType())) {
            throw bad(at + ": file: expected file_data as data:application/pdf;base64,...");
        }
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("type", "base64");
        source.put("media_type", "application/pdf");
        source.put("data", data.data());
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "document");
        block.put("source", source);
        if (file.filename() != null && !file.filename().isEmpty()) {
            block.put("title", file.filename());
        }
        cache(block, file.cacheControl());
        return block;
    }

    private List<Map<String, Object>> assistantBlocks(Message message) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        Content content = message.content();
        if (content instanceof Content.Text text) {
            if (!text.text().isEmpty()) {
                blocks.add(textBlock(text.text(), null));
            }
        } else if (content instanceof Content.Parts parts) {
            for (int j = 0; j < parts.parts().size(); j++) {
                ContentPart part = parts.parts().get(j);
                if (!(part instanceof ContentPart.Text text)) {
                    throw bad(".content[" + j + "]: an assistant message takes text parts only, not " + part.type());
                }
                if (!text.text().isEmpty()) {
                    blocks.add(textBlock(text.text(), text.cacheControl()));
                }
            }
        }
        if (message.toolCalls() != null) {
            for (int j = 0; j < message.toolCalls().size(); j++) {
                ToolCall call = message.toolCalls().get(j);
                if (call.id() == null || call.function() == null || call.function().name() == null) {
                    throw bad(".tool_calls[" + j + "]: a tool call needs an id and a function name");
                }
                Map<String, Object> block = new LinkedHashMap<>();
                block.put("type", "tool_use");
                block.put("id", call.id());
                block.put("name", call.function().name());
                block.put("input", arguments(call.function().arguments(), ".tool_calls[" + j + "]"));
                blocks.add(block);
            }
        }
        return blocks;
    }

    private Object arguments(String arguments, String at) {
        if (arguments == null || arguments.isBlank()) {
            return Map.of();
        }
        Object input;
        try {
            input = Json.read(arguments.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw bad(at + ".function.arguments: not valid JSON (" + e.getMessage() + ")");
        }
        if (!(input instanceof Map)) {
            throw bad(at + ".function.arguments: expected a JSON object");
        }
        return input;
    }

    private Map<String, Object> toolResult(Message message) {
        if (message.toolCallId() == null) {
            throw bad(": a tool message needs tool_call_id");
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "tool_result");
        block.put("tool_use_id", message.toolCallId());
        if (message.content() instanceof Content.Text text) {
            if (!text.text().isEmpty()) {
                block.put("content", text.text());
            }
        } else if (message.content() != null) {
            List<Map<String, Object>> inner = blocks(message.content());
            if (!inner.isEmpty()) {
                block.put("content", inner);
            }
        }
        return block;
    }

    private Map<String, Object> textBlock(String text, CacheControl cacheControl) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "text");
        block.put("text", text);
        cache(block, cacheControl);
        return block;
    }

    /** Puts a part's cache breakpoint on its block, for models with the prompt_cache capability only. */
    private void cache(Map<String, Object> block, CacheControl cacheControl) {
        if (cacheControl == null || !promptCache) {
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", cacheControl.type() == null ? "ephemeral" : cacheControl.type());
        if (cacheControl.ttl() != null) {
            out.put("ttl", cacheControl.ttl());
        }
        block.put("cache_control", out);
    }

    private ProviderException bad(String detail) {
        return new ProviderException(FailureKind.BAD_REQUEST, where + detail, null);
    }

    /** A {@code data:<media type>;base64,<data>} URL. */
    record DataUrl(String mediaType, String data) {
        /** The parsed URL, or {@code null} if it is not a base64 data URL. */
        static DataUrl parse(String url) {
            if (!url.startsWith("data:")) {
                return null;
            }
            int comma = url.indexOf(',');
            if (comma < 0) {
                return null;
            }
            String[] meta = url.substring(5, comma).split(";");
            boolean base64 = false;
            for (int i = 1; i < meta.length; i++) {
                base64 |= "base64".equalsIgnoreCase(meta[i].strip());
            }
            String mediaType = meta[0].strip();
            if (!base64 || mediaType.isEmpty()) {
                return null;
            }
            return new DataUrl(mediaType, url.substring(comma + 1));
        }
    }
}
