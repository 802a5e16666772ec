package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.upstream.SseDecoder;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.SseEvent;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static dev.chatrouter.plugin.anthropic.MessagesResponse.number;
import static dev.chatrouter.plugin.anthropic.MessagesResponse.object;
import static dev.chatrouter.plugin.anthropic.MessagesResponse.text;

/**
 * Translates one Messages stream into Chat Completions chunks. Stateful, one per stream:
 * <ul>
 *   <li>{@code message_start}: the first chunk, role assistant; its id and model are used for every chunk, its
 *       usage kept;</li>
 *   <li>text blocks and {@code text_delta}: {@code delta.content};</li>
 *   <li>a {@code tool_use} block: a tool call (index, id, type function, name, arguments {@code ""}), then each
 *       {@code input_json_delta} as an arguments fragment; the json_schema answer tool's fragments are content
 *       instead;</li>
 *   <li>{@code thinking_delta}: {@code delta.reasoning_content}; {@code signature_delta}, {@code ping},
 *       {@code content_block_stop} and event types added later: nothing;</li>
 *   <li>{@code message_delta}: a chunk with the finish reason; its usage (cumulative) is kept;</li>
 *   <li>{@code message_stop}: a usage-only chunk (no choices), then the end of the stream;</li>
 *   <li>{@code error}: a {@link ProviderException} of the kind its error type stands for.</li>
 * </ul>
 * A body that ends before {@code message_stop} is a truncated stream (server).
 */
final class MessageStreamDecoder implements SseDecoder<ChatChunk> {

    private final String answerTool;
    private final long created;
    private final Map<String, Object> usage = new LinkedHashMap<>();
    /** Content block index to tool call index. */
    private final Map<Long, Integer> toolCalls = new HashMap<>();
    private final Set<Long> answerBlocks = new HashSet<>();
    private String id = "msg";
    private String model;

    MessageStreamDecoder(String answerTool, Clock clock) {
        this.answerTool = answerTool;
        this.created = clock.instant().getEpochSecond();
    }

    @Override
    public boolean decode(SseEvent event, Consumer<ChatChunk> emit) {
        String data = event.data();
        if (data == null || data.isBlank()) {
            return false;
        }
        Map<?, ?> payload;
        try {
            payload = object(Json.read(data.getBytes(StandardCharsets.UTF_8)), "the event");
        } catch (IllegalArgumentException e) {
            throw new ProviderException(FailureKind.SERVER, "malformed stream event from upstream: "
                    + e.getMessage(), e);
        }
        String type = text(payload.get("type"));
        if (type == null) {
            type = event.event() == null ? "" : event.event();
        }
        switch (type) {
            case "message_start" -> {
                Map<?, ?> message = payload.get("message") instanceof Map<?, ?> m ? m : Map.of();
                if (message.get("id") instanceof String messageId) {
                    id = messageId;
                }
                model = text(message.get("model"));
                keepUsage(message.get("usage"));
                emit.accept(chunk(new Delta(Role.ASSISTANT, "", null, null, Map.of()), null));
            }
            case "content_block_start" -> blockStart(payload, emit);
            case "content_block_delta" -> blockDelta(payload, emit);
            case "message_delta" -> {
                keepUsage(payload.get("usage"));
                if (payload.get("delta") instanceof Map<?, ?> delta && delta.get("stop_reason") instanceof String stop) {
                    boolean answered = !answerBlocks.isEmpty() && toolCalls.isEmpty();
                    emit.accept(chunk(new Delta(null, null, null, null, Map.of()),
                            MessagesResponse.finishReason(stop, answered)));
                }
            }
            case "message_stop" -> {
                if (!usage.isEmpty()) {
                    emit.accept(new ChatChunk(id, "chat.completion.chunk", created, model, List.of(),
                            MessagesResponse.usage(usage), null, Map.of()));
                }
                return true;
            }
            case "error" -> {
                Map<?, ?> error = payload.get("error") instanceof Map<?, ?> e ? e : Map.of();
                throw AnthropicFailures.ofStreamError(text(error.get("type")), text(error.get("message")));
            }
            default -> {
                // ping, content_block_stop, and event types added later
            }
        }
        return false;
    }

    private void blockStart(Map<?, ?> payload, Consumer<ChatChunk> emit) {
        long index = number(payload.get("index"));
        Map<?, ?> block = payload.get("content_block") instanceof Map<?, ?> b ? b : Map.of();
        switch (String.valueOf(block.get("type"))) {
            case "text" -> content(text(block.get("text")), emit);
            case "thinking" -> reasoning(text(block.get("thinking")), emit);
            case "tool_use" -> {
                String name = text(block.get("name"));
                if (name != null && name.equals(answerTool)) {
                    answerBlocks.add(index);
                    return;
                }
                int toolIndex = toolCalls.size();
                toolCalls.put(index, toolIndex);
                emit.accept(chunk(new Delta(null, null, List.of(new ToolCall(toolIndex, text(block.get("id")),
                        "function", new FunctionCall(name, ""), Map.of())), null, Map.of()), null));
            }
            default -> {
                // redacted_thinking, server tool blocks
            }
        }
    }

    private void blockDelta(Map<?, ?> payload, Consumer<ChatChunk> emit) {
        long index = number(payload.get("index"));
        Map<?, ?> delta = payload.get("delta") instanceof Map<?, ?> d ? d : Map.of();
        switch (String.valueOf(delta.get("type"))) {
            case "text_delta" -> content(text(delta.get("text")), emit);
            case "thinking_delta" -> reasoning(text(delta.get("thinking")), emit);
            case "input_json_delta" -> {
                String fragment = text(delta.get("partial_json"));
                if (fragment == null || fragment.isEmpty()) {
                    return;
                }
                if (answerBlocks.contains(index)) {
                    content(fragment, emit);
                    return;
                }
                Integer toolIndex = toolCalls.get(index);
                if (toolIndex != null) {
                    emit.accept(chunk(new Delta(null, null, List.of(new ToolCall(toolIndex, null, null,
                            new FunctionCall(null, fragment), Map.of())), null, Map.of()), null));
                }
            }
            default -> {
                // signature_delta, citations_delta
            }
        }
    }

    private void content(String text, Consumer<ChatChunk> emit) {
        if (text != null && !text.isEmpty()) {
            emit.accept(chunk(new Delta(null, text, null, null, Map.of()), null));
        }
    }

    private void reasoning(String text, Consumer<ChatChunk> emit) {
        if (text != null && !text.isEmpty()) {
            emit.accept(chunk(new Delta(null, null, null, null, Map.of("reasoning_content", text)), null));
        }
    }

    /** Keeps the latest value of each usage count: {@code message_delta} counts are cumulative. */
    private void keepUsage(Object value) {
        if (value instanceof Map<?, ?> counts) {
            counts.forEach((k, v) -> {
                if (v instanceof Number) {
                    usage.put(String.valueOf(k), v);
                }
            });
        }
    }

    private ChatChunk chunk(Delta delta, String finishReason) {
        return new ChatChunk(id, "chat.completion.chunk", created, model,
                List.of(new ChunkChoice(0, delta, finishReason, null, Map.of())), null, null, Map.of());
    }
}
