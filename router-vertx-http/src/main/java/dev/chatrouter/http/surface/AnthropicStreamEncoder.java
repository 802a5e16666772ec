package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.kit.wire.Json;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.http.surface.Fields.map;

/**
 * Writes the router's chat chunks as a Messages stream: {@code message_start} with the first chunk; a content block
 * per run of thinking ({@code thinking_delta}), text ({@code text_delta}) or one tool call ({@code tool_use} start,
 * then {@code input_json_delta}), each closed by {@code content_block_stop} when the next begins; at the end
 * {@code message_delta} with the stop reason and the usage of the final chunk, then {@code message_stop}. A failure
 * after the head is an {@code error} event and no {@code message_stop}.
 */
final class AnthropicStreamEncoder implements SseEncoder {

    private enum Block { NONE, THINKING, TEXT, TOOL }

    private boolean started;
    private Block open = Block.NONE;
    private int index = -1;
    /** Tool call index to content block index. */
    private final Map<Integer, Integer> toolBlocks = new HashMap<>();
    private String finishReason;
    private Map<String, Object> choiceExtra = Map.of();
    private Usage usage;

    @Override
    public byte[] chunk(ChatChunk chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        start(chunk, out);
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        for (ChunkChoice choice : chunk.choices()) {
            if (choice.index() != 0) {
                continue; // Messages answers have one choice
            }
            Delta delta = choice.delta();
            if (delta != null) {
                if (delta.extra().get("reasoning_content") instanceof String reasoning && !reasoning.isEmpty()) {
                    if (open != Block.THINKING) {
                        begin(Block.THINKING, map("type", "thinking", "thinking", "", "signature", ""), out);
                    }
                    event(out, "content_block_delta", map("type", "content_block_delta", "index", index,
                            "delta", map("type", "thinking_delta", "thinking", reasoning)));
                }
                if (delta.content() != null && !delta.content().isEmpty()) {
                    if (open != Block.TEXT) {
                        begin(Block.TEXT, map("type", "text", "text", ""), out);
                    }
                    event(out, "content_block_delta", map("type", "content_block_delta", "index", index,
                            "delta", map("type", "text_delta", "text", delta.content())));
                }
                if (delta.toolCalls() != null) {
                    for (ToolCall call : delta.toolCalls()) {
                        tool(call, out);
                    }
                }
            }
            if (choice.finishReason() != null) {
                finishReason = choice.finishReason();
                choiceExtra = choice.extra();
            }
        }
        return out.toByteArray();
    }

    private void tool(ToolCall call, ByteArrayOutputStream out) {
        int toolIndex = call.index() == null ? toolBlocks.size() : call.index();
        Integer block = toolBlocks.get(toolIndex);
        if (block == null) {
            begin(Block.TOOL, map("type", "tool_use", "id", call.id() == null ? "toolu_" + toolIndex : call.id(),
                    "name", call.function() == null ? null : call.function().name(), "input", Map.of()), out);
            toolBlocks.put(toolIndex, index);
            block = index;
        }
        String fragment = call.function() == null ? null : call.function().arguments();
        if (fragment != null && !fragment.isEmpty()) {
            event(out, "content_block_delta", map("type", "content_block_delta", "index", block,
                    "delta", map("type", "input_json_delta", "partial_json", fragment)));
        }
    }

    private void start(ChatChunk chunk, ByteArrayOutputStream out) {
        if (started) {
            return;
        }
        started = true;
        event(out, "message_start", map("type", "message_start", "message", map(
                "id", AnthropicMessages.messageId(chunk == null ? null : chunk.id()), "type", "message",
                "role", "assistant", "model", chunk == null ? null : chunk.model(), "content", List.of(),
                "stop_reason", null, "stop_sequence", null,
                "usage", map("input_tokens", 0L, "output_tokens", 0L))));
    }

    private void begin(Block kind, Map<String, Object> block, ByteArrayOutputStream out) {
        close(out);
        open = kind;
        index++;
        event(out, "content_block_start", map("type", "content_block_start", "index", index, "content_block", block));
    }

    private void close(ByteArrayOutputStream out) {
        if (open != Block.NONE) {
            event(out, "content_block_stop", map("type", "content_block_stop", "index", index));
            open = Block.NONE;
        }
    }

    @Override
    public byte[] complete() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        start(null, out);
        close(out);
        String stopSequence = AnthropicMessages.stopSequence(finishReason, choiceExtra);
        event(out, "message_delta", map("type", "message_delta", "delta", map(
                        "stop_reason", stopSequence != null ? "stop_sequence" : AnthropicMessages.stopReason(finishReason),
                        "stop_sequence", stopSequence),
                "usage", AnthropicMessages.usage(usage)));
        event(out, "message_stop", map("type", "message_stop"));
        return out.toByteArray();
    }

    @Override
    public byte[] error(int status, byte[] envelope) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        write(out, "error", envelope);
        return out.toByteArray();
    }

    private static void event(ByteArrayOutputStream out, String name, Map<String, Object> data) {
        write(out, name, Json.write(data));
    }

    private static void write(ByteArrayOutputStream out, String name, byte[] data) {
        out.writeBytes(("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes(new byte[] {'\n', '\n'});
    }
}
