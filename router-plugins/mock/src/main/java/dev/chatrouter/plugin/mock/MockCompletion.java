package dev.chatrouter.plugin.mock;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.FunctionDefinition;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ProviderException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mock's answer to one chat request, worked out once and rendered either as a {@link ChatResponse} or as the
 * chunks of a stream, so that both always say the same thing.
 *
 * <p>What it answers, first rule that applies:
 * <ol>
 *   <li>the request has function tools, {@code tool_choice} is not {@code none} and the last message is not a
 *       tool result: one call ({@code call_mock_0}) to the named function or else the first, with arguments
 *       that fit its parameters schema ({@link SchemaSampler}); finish reason {@code tool_calls};</li>
 *   <li>{@code response_format} {@code json_schema}: a JSON value that fits the schema;</li>
 *   <li>{@code response_format} {@code json_object}: {@code {"reply": TEXT}};</li>
 *   <li>else TEXT.</li>
 * </ol>
 * TEXT is the {@code reply} option when set; else {@code Mock reply using tool result: QUOTE} when the last
 * message is a tool result, else {@code Mock reply to: QUOTE}, where QUOTE is the first 200 characters of that
 * message's text (the last user message's).
 *
 * <p>Tokens are estimated at 4 characters each, rounded up: prompt tokens over the text of every message (with
 * its tool calls' names and arguments) and the JSON of every tool definition; completion tokens over the content
 * or the tool call's arguments, once per choice. When the output limit ({@code max_completion_tokens}, else
 * {@code max_tokens}) is below the completion's estimate, the content or arguments are cut to 4 characters per
 * token and the finish reason is {@code length}, as a real model would leave them: possibly no longer valid JSON.
 */
final class MockCompletion {

    static final String TOOL_CALL_ID = "call_mock_0";
    private static final int QUOTE_CHARS = 200;
    private static final int CHARS_PER_TOKEN = 4;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final String id;
    private final long created;
    private final String model;
    private final int n;
    private final String text;
    private final FunctionCall call;
    private final String finishReason;
    private final Usage usage;

    private MockCompletion(String id, long created, String model, int n, String text, FunctionCall call,
                           String finishReason, Usage usage) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.n = n;
        this.text = text;
        this.call = call;
        this.finishReason = finishReason;
        this.usage = usage;
    }

    /**
     * Works out the answer.
     *
     * @param reply   the fixed reply text, or {@code null} for the default
     * @param created the creation time in seconds since the epoch
     * @throws ProviderException of kind {@code bad_request} (400) when {@code n} or the output limit is below 1
     *                           or {@code tool_choice} names a function that {@code tools} lacks
     */
    static MockCompletion answer(ChatRequest request, String reply, long created) {
        int n = request.n() == null ? 1 : request.n();
        if (n < 1) {
            throw MockFailures.badRequest("n must be at least 1 but was " + n);
        }
        Integer limit = request.outputLimit();
        if (limit != null && limit < 1) {
            throw MockFailures.badRequest("the output limit must be at least 1 but was " + limit);
        }
        FunctionDefinition function = functionToCall(request);
        String output = function != null ? json(SchemaSampler.sample(function.parameters()))
                : formatted(request.responseFormat(), reply != null ? reply : defaultReply(request.messages()));
        String finishReason = function != null ? "tool_calls" : "stop";
        if (limit != null && tokens(output.length()) > limit) {
            output = cut(output, (long) limit * CHARS_PER_TOKEN);
            finishReason = "length";
        }
        Usage usage = Usage.of(tokens(promptChars(request)), n * tokens(output.length()));
        String key = request.toBuilder().stream(null).streamOptions(null).build().toString();
        return new MockCompletion("mock-" + hash(key), created, request.model(), n,
                function == null ? output : null,
                function == null ? null : new FunctionCall(function.name(), output), finishReason, usage);
    }

    ChatResponse toResponse() {
        Message message = call == null
                ? new Message(Role.ASSISTANT, Content.of(text), null, null, null, null, Map.of())
                : Message.assistantToolCalls(List.of(new ToolCall(null, TOOL_CALL_ID, "function", call, Map.of())));
        List<Choice> choices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            choices.add(new Choice(i, message, finishReason, null, Map.of()));
        }
        return new ChatResponse(id, "chat.completion", created, model, choices, usage, null, null, Map.of());
    }

    /**
     * The stream, in OpenAI's shape, choice after choice: a first delta with the role (and empty content, or the
     * tool call's id, type, name and empty arguments), the content word by word or the arguments in token-sized
     * fragments, a delta with the finish reason; then a usage-only chunk, always.
     */
    List<ChatChunk> toChunks() {
        List<ChatChunk> chunks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (call == null) {
                chunks.add(chunk(i, new Delta(Role.ASSISTANT, "", null, null, Map.of()), null));
                for (String word : words(text)) {
                    chunks.add(chunk(i, new Delta(null, word, null, null, Map.of()), null));
                }
            } else {
                ToolCall head = new ToolCall(0, TOOL_CALL_ID, "function", new FunctionCall(call.name(), ""), Map.of());
                chunks.add(chunk(i, new Delta(Role.ASSISTANT, null, List.of(head), null, Map.of()), null));
                for (String fragment : fragments(call.arguments())) {
                    ToolCall part = new ToolCall(0, null, null, new FunctionCall(null, fragment), Map.of());
                    chunks.add(chunk(i, new Delta(null, null, List.of(part), null, Map.of()), null));
                }
            }
            chunks.add(chunk(i, new Delta(null, null, null, null, Map.of()), finishReason));
        }
        chunks.add(new ChatChunk(id, "chat.completion.chunk", created, model, List.of(), usage, null, Map.of()));
        return chunks;
    }

    private ChatChunk chunk(int index, Delta delta, String finishReason) {
        return new ChatChunk(id, "chat.completion.chunk", created, model,
                List.of(new ChunkChoice(index, delta, finishReason, null, Map.of())), null, null, Map.of());
    }

    private static FunctionDefinition functionToCall(ChatRequest request) {
        List<Message> messages = request.messages();
        boolean toolResultTurn = !messages.isEmpty() && messages.get(messages.size() - 1).role() == Role.TOOL;
        if (request.tools() == null || toolResultTurn
                || (request.toolChoice() != null && "none".equals(request.toolChoice().mode()))) {
            return null;
        }
        String named = request.toolChoice() == null ? null : request.toolChoice().functionName();
        for (Tool tool : request.tools()) {
            FunctionDefinition function = tool.function();
            if (function != null && (named == null || named.equals(function.name()))) {
                return function;
            }
        }
        if (named != null) {
            throw MockFailures.badRequest("tool_choice names function '" + named + "' but tools has no such function");
        }
        return null;
    }

    private static String defaultReply(List<Message> messages) {
        if (!messages.isEmpty() && messages.get(messages.size() - 1).role() == Role.TOOL) {
            return "Mock reply using tool result: " + quote(messages.get(messages.size() - 1).text());
        }
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role() == Role.USER) {
                return "Mock reply to: " + quote(messages.get(i).text());
            }
        }
        return "Mock reply to: ";
    }

    private static String formatted(ResponseFormat format, String text) {
        if (format == null) {
            return text;
        }
        if ("json_schema".equals(format.type())) {
            return json(SchemaSampler.sample(format.jsonSchema() == null ? null : format.jsonSchema().schema()));
        }
        if ("json_object".equals(format.type())) {
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("reply", text);
            return json(object);
        }
        return text;
    }

    private static long promptChars(ChatRequest request) {
        long chars = 0;
        for (Message message : request.messages()) {
            chars += message.text().length();
            if (message.toolCalls() != null) {
                for (ToolCall toolCall : message.toolCalls()) {
                    if (toolCall.function() != null) {
                        chars += length(toolCall.function().name()) + length(toolCall.function().arguments());
                    }
                }
            }
        }
        if (request.tools() != null) {
            for (Tool tool : request.tools()) {
                if (tool.function() != null) {
                    Map<String, Object> definition = new LinkedHashMap<>();
                    definition.put("name", tool.function().name());
                    definition.put("description", tool.function().description());
                    definition.put("parameters", tool.function().parameters());
                    chars += json(Map.of("type", "function", "function", definition)).length();
                }
            }
        }
        return chars;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    static long tokens(long chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    /** The first {@code maxChars} characters, without splitting a surrogate pair. */
    private static String cut(String s, long maxChars) {
        if (s.length() <= maxChars) {
            return s;
        }
        int end = (int) maxChars;
        return s.substring(0, end > 0 && Character.isHighSurrogate(s.charAt(end - 1)) ? end - 1 : end);
    }

    private static String quote(String s) {
        return cut(s, QUOTE_CHARS);
    }

    /** Each word with the whitespace after it (leading whitespace is a piece of its own); they join to {@code s}. */
    static List<String> words(String s) {
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i - 1)) && !Character.isWhitespace(s.charAt(i))) {
                words.add(s.substring(start, i));
                start = i;
            }
        }
        if (start < s.length()) {
            words.add(s.substring(start));
        }
        return words;
    }

    /**
     * Token-like fragments of JSON text, as OpenAI streams arguments: maximal runs of letters and digits, and of
     * everything else ({@code {"city":"Paris"}} gives {@code {"}, {@code city}, {@code ":"}, {@code Paris},
     * {@code "}}); they join to {@code s}.
     */
    static List<String> fragments(String s) {
        List<String> fragments = new ArrayList<>();
        int start = 0;
        boolean word = false;
        for (int i = 0; i < s.length(); ) {
            int codePoint = s.codePointAt(i);
            boolean letterOrDigit = Character.isLetterOrDigit(codePoint);
            if (i > start && letterOrDigit != word) {
                fragments.add(s.substring(start, i));
                start = i;
            }
            word = letterOrDigit;
            i += Character.charCount(codePoint);
        }
        if (start < s.length()) {
            fragments.add(s.substring(start));
        }
        return fragments;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write plain Java values as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The first 12 bytes of the SHA-256 of {@code text}, in hex. */
    static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
