package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.CompletionTokensDetails;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.PromptTokensDetails;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.upstream.HttpFailures;
import dev.chatrouter.kit.upstream.SseDecoder;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.SseEvent;
import dev.chatrouter.kit.wire.UpstreamError;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads OpenAI's Responses API answers (a {@code response} object, or its stream of {@code response.*} events) as
 * the router's chat response and chunks, so the router can tell content, read usage and count what it cannot read,
 * while the client gets the answer as it came. Output text is content; function and custom tool calls are tool
 * calls; reasoning summaries are {@code reasoning_content}; {@code usage.input_tokens} (with
 * {@code input_tokens_details.cached_tokens}) and {@code output_tokens} (with
 * {@code output_tokens_details.reasoning_tokens}) are the usage; an {@code incomplete} response finished for
 * {@code length}.
 */
final class ResponsesWire {

    private ResponsesWire() {
    }

    /**
     * Reads a {@code response} object.
     *
     * @throws IllegalArgumentException if the body is not a response object (the caller reports a server failure)
     */
    static ChatResponse read(byte[] body, Clock clock) {
        Map<?, ?> response = object(Json.read(body), "the answer");
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        if (response.get("output") instanceof List<?> output) {
            for (Object entry : output) {
                Map<?, ?> item = object(entry, "an output item");
                switch (String.valueOf(item.get("type"))) {
                    case "message" -> {
                        if (item.get("content") instanceof List<?> parts) {
                            for (Object part : parts) {
                                Map<?, ?> p = object(part, "a content part");
                                if ("output_text".equals(p.get("type")) && p.get("text") instanceof String s) {
                                    text.append(s);
                                }
                            }
                        }
                    }
                    case "function_call" -> calls.add(ToolCall.function(string(item.get("call_id")),
                            string(item.get("name")), string(item.get("arguments"))));
                    case "custom_tool_call" -> calls.add(ToolCall.function(string(item.get("call_id")),
                            string(item.get("name")), new String(Json.write(Map.of("input",
                                    String.valueOf(item.get("input")))), StandardCharsets.UTF_8)));
                    case "reasoning" -> {
                        if (item.get("summary") instanceof List<?> summary) {
                            for (Object part : summary) {
                                if (part instanceof Map<?, ?> p && p.get("text") instanceof String s) {
                                    reasoning.append(s);
                                }
                            }
                        }
                    }
                    default -> {
                        // hosted tool calls (web_search_call...) carry nothing the chat shape has
                    }
                }
            }
        }
        Message reply = new Message(Role.ASSISTANT, text.isEmpty() && !calls.isEmpty() ? null
                : Content.of(text.toString()), null, calls.isEmpty() ? null : calls, null, null,
                reasoning.isEmpty() ? Map.of() : Map.of("reasoning_content", reasoning.toString()));
        String finish = finishReason(response, !calls.isEmpty());
        Usage usage = response.get("usage") instanceof Map<?, ?> u ? usage(u) : null;
        return new ChatResponse(response.get("id") instanceof String id ? id : "resp", "chat.completion",
                clock.instant().getEpochSecond(), string(response.get("model")),
                List.of(new Choice(0, reply, finish, null, Map.of())), usage, null, null, Map.of());
    }

    /** {@code length} for an incomplete response, {@code tool_calls} when it called tools, else {@code stop}. */
    private static String finishReason(Map<?, ?> response, boolean called) {
        if ("incomplete".equals(response.get("status"))) {
            return "length";
        }
        return called ? "tool_calls" : "stop";
    }

    /** A Responses usage object as the router's usage. */
    static Usage usage(Map<?, ?> usage) {
        long input = number(usage.get("input_tokens"));
        long output = number(usage.get("output_tokens"));
        PromptTokensDetails cache = usage.get("input_tokens_details") instanceof Map<?, ?> d
                && d.get("cached_tokens") instanceof Number n ? new PromptTokensDetails(n.longValue(), null, Map.of())
                : null;
        CompletionTokensDetails reasoning = usage.get("output_tokens_details") instanceof Map<?, ?> d
                && d.get("reasoning_tokens") instanceof Number n ? new CompletionTokensDetails(n.longValue(), Map.of())
                : null;
        long total = usage.get("total_tokens") instanceof Number n ? n.longValue() : input + output;
        return new Usage(input, output, total, cache, reasoning, null, Map.of());
    }

    /**
     * A Responses stream as chunks: {@code response.created} the role chunk; {@code response.output_text.delta}
     * content; {@code response.reasoning_summary_text.delta} and {@code response.reasoning_text.delta} reasoning; a
     * function or custom tool call item added, a tool call, and its {@code *_arguments.delta} / {@code *_input.delta}
     * fragments; {@code response.completed} and {@code response.incomplete} a finish chunk and a usage chunk, and the
     * end; {@code response.failed} and {@code error} a {@link ProviderException}. Other events give nothing.
     */
    static final class StreamDecoder implements SseDecoder<ChatChunk> {
        private final long created;
        private String id = "resp";
        private String model;
        /** Output index to tool call index. */
        private final Map<Long, Integer> tools = new HashMap<>();

        StreamDecoder(Clock clock) {
            this.created = clock.instant().getEpochSecond();
        }

        @Override
        public boolean decode(SseEvent event, Consumer<ChatChunk> emit) {
            String data = event.data();
            if (data == null || data.isBlank()) {
                return false;
            }
            if ("[DONE]".equals(data.strip())) {
                return true;
            }
            Map<?, ?> payload;
            try {
                payload = object(Json.read(data.getBytes(StandardCharsets.UTF_8)), "the event");
            } catch (IllegalArgumentException e) {
                throw new ProviderException(FailureKind.SERVER, "malformed stream event from upstream: "
                        + e.getMessage(), e);
            }
            String type = payload.get("type") instanceof String t ? t : String.valueOf(event.event());
            switch (type) {
                case "response.created" -> {
                    if (payload.get("response") instanceof Map<?, ?> response) {
                        if (response.get("id") instanceof String responseId) {
                            id = responseId;
                        }
                        model = string(response.get("model"));
                    }
                    emit.accept(chunk(new Delta(Role.ASSISTANT, "", null, null, Map.of()), null));
                }
                case "response.output_text.delta" -> text(payload.get("delta"), emit);
                case "response.reasoning_summary_text.delta", "response.reasoning_text.delta" -> {
                    if (payload.get("delta") instanceof String s && !s.isEmpty()) {
                        emit.accept(chunk(new Delta(null, null, null, null, Map.of("reasoning_content", s)), null));
                    }
                }
                case "response.output_item.added" -> {
                    Map<?, ?> item = payload.get("item") instanceof Map<?, ?> m ? m : Map.of();
                    Object itemType = item.get("type");
                    if ("function_call".equals(itemType) || "custom_tool_call".equals(itemType)) {
                        int index = tools.size();
                        tools.put(number(payload.get("output_index")), index);
                        emit.accept(chunk(new Delta(null, null, List.of(new ToolCall(index,
                                string(item.get("call_id")), "function", new FunctionCall(string(item.get("name")), ""),
                                Map.of())), null, Map.of()), null));
                    }
                }
                case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta" -> {
                    Integer index = tools.get(number(payload.get("output_index")));
                    if (index != null && payload.get("delta") instanceof String fragment && !fragment.isEmpty()) {
                        emit.accept(chunk(new Delta(null, null, List.of(new ToolCall(index, null, null,
                                new FunctionCall(null, fragment), Map.of())), null, Map.of()), null));
                    }
                }
                case "response.completed", "response.incomplete" -> {
                    Map<?, ?> response = payload.get("response") instanceof Map<?, ?> m ? m : Map.of();
                    emit.accept(chunk(new Delta(null, null, null, null, Map.of()),
                            finishReason(response, !tools.isEmpty())));
                    if (response.get("usage") instanceof Map<?, ?> usage) {
                        emit.accept(new ChatChunk(id, "chat.completion.chunk", created, model, List.of(),
                                usage(usage), null, Map.of()));
                    }
                    return true;
                }
                case "response.failed" -> {
                    Map<?, ?> response = payload.get("response") instanceof Map<?, ?> m ? m : Map.of();
                    Map<?, ?> error = response.get("error") instanceof Map<?, ?> e ? e : Map.of();
                    throw failure(string(error.get("message")), null, string(error.get("code")));
                }
                case "error" -> throw failure(string(payload.get("message")), null, string(payload.get("code")));
                default -> {
                    // in_progress, item and part boundaries, *.done events, and event types added later
                }
            }
            return false;
        }

        private void text(Object delta, Consumer<ChatChunk> emit) {
            if (delta instanceof String s && !s.isEmpty()) {
                emit.accept(chunk(new Delta(null, s, null, null, Map.of()), null));
            }
        }

        private ChatChunk chunk(Delta delta, String finishReason) {
            return new ChatChunk(id, "chat.completion.chunk", created, model,
                    List.of(new ChunkChoice(0, delta, finishReason, null, Map.of())), null, null, Map.of());
        }
    }

    private static ProviderException failure(String message, String type, String code) {
        UpstreamError error = new UpstreamError(message, type, null, code);
        return new ProviderException(HttpFailures.kindOfStreamError(error), 0,
                message == null ? "upstream sent an error event" : message, type, code, null, null);
    }

    private static Map<?, ?> object(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        throw new IllegalArgumentException(what + " is not a JSON object");
    }

    private static String string(Object value) {
        return value instanceof String s ? s : null;
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : -1;
    }
}
