package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.PromptTokensDetails;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.kit.wire.Json;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads a Messages API answer as a Chat Completions response; the stream decoder shares its mappings. */
final class MessagesResponse {

    private MessagesResponse() {
    }

    /**
     * Reads a message.
     *
     * @param answerTool the tool carrying a json_schema answer, whose input becomes the message text, or null
     * @throws IllegalArgumentException if the body is not a message (the caller reports it as a server failure)
     */
    static ChatResponse read(byte[] body, String answerTool, Clock clock) {
        Map<?, ?> message = object(Json.read(body), "the answer");
        if ("error".equals(message.get("type")) && message.get("error") instanceof Map<?, ?> error) {
            throw AnthropicFailures.ofStreamError(text(error.get("type")), text(error.get("message")));
        }
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        List<ToolCall> toolCalls = new ArrayList<>();
        String answer = null;
        if (message.get("content") instanceof List<?> blocks) {
            for (Object item : blocks) {
                Map<?, ?> block = object(item, "a content block");
                switch (String.valueOf(block.get("type"))) {
                    case "text" -> text.append(textOr(block.get("text"), ""));
                    case "thinking" -> reasoning.append(textOr(block.get("thinking"), ""));
                    case "tool_use" -> {
                        String name = text(block.get("name"));
                        String arguments = json(block.get("input"));
                        if (name != null && name.equals(answerTool)) {
                            answer = arguments;
                        } else {
                            toolCalls.add(ToolCall.function(text(block.get("id")), name, arguments));
                        }
                    }
                    default -> {
                        // redacted_thinking, server tool blocks: nothing the Chat Completions shape can carry
                    }
                }
            }
        }
        String content = answer != null ? answer : text.toString();
        Message reply = new Message(Role.ASSISTANT,
                content.isEmpty() && !toolCalls.isEmpty() ? null : Content.of(content), null,
                toolCalls.isEmpty() ? null : toolCalls, null, null,
                reasoning.length() == 0 ? Map.of() : Map.of("reasoning_content", reasoning.toString()));
        String finish = finishReason(text(message.get("stop_reason")), answer != null && toolCalls.isEmpty());
        Usage usage = message.get("usage") instanceof Map<?, ?> u ? usage(u) : null;
        return new ChatResponse(textOr(message.get("id"), "msg"), "chat.completion", clock.instant().getEpochSecond(),
                text(message.get("model")), List.of(new Choice(0, reply, finish, null, Map.of())), usage, null, null,
                Map.of());
    }

    /**
     * The finish reason for a stop reason: end_turn, stop_sequence and pause_turn stop; max_tokens and
     * model_context_window_exceeded are length; tool_use is tool_calls (stop when the only tool called was the
     * json_schema answer); refusal is content_filter.
     */
    static String finishReason(String stopReason, boolean answered) {
        if (stopReason == null) {
            return null;
        }
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> answered ? "stop" : "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    /**
     * Usage: prompt tokens are all input tokens (uncached, read from the cache and written to it), with the cache
     * reads as {@code cached_tokens} and the writes as {@code cache_write_tokens}.
     */
    static Usage usage(Map<?, ?> usage) {
        long input = number(usage.get("input_tokens"));
        long output = number(usage.get("output_tokens"));
        Long cacheRead = usage.get("cache_read_input_tokens") instanceof Number n ? n.longValue() : null;
        Long cacheWrite = usage.get("cache_creation_input_tokens") instanceof Number n ? n.longValue() : null;
        long prompt = input + (cacheRead == null ? 0 : cacheRead) + (cacheWrite == null ? 0 : cacheWrite);
        PromptTokensDetails details = cacheRead == null && cacheWrite == null ? null
                : new PromptTokensDetails(cacheRead == null ? 0L : cacheRead, cacheWrite == null ? 0L : cacheWrite,
                Map.of());
        return new Usage(prompt, output, prompt + output, details, null, null, Map.of());
    }

    static Map<?, ?> object(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        throw new IllegalArgumentException(what + " is not a JSON object");
    }

    static String json(Object value) {
        return new String(Json.write(value == null ? Map.of() : value), StandardCharsets.UTF_8);
    }

    static String text(Object value) {
        return value instanceof String s ? s : null;
    }

    static String textOr(Object value, String otherwise) {
        return value instanceof String s ? s : otherwise;
    }

    static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }
}
