package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.kit.wire.Json;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import static dev.chatrouter.http.surface.Fields.map;

/**
 * Writes the router's chat chunks as a Responses stream, every event with its {@code sequence_number}:
 * {@code response.created} and {@code response.in_progress} with the first chunk; for text, a message item
 * ({@code response.output_item.added}, {@code response.content_part.added}, {@code response.output_text.delta}...,
 * then {@code response.output_text.done}, {@code response.content_part.done}, {@code response.output_item.done});
 * for each tool call, a function call item ({@code response.function_call_arguments.delta}... and
 * {@code .done}; a custom tool's input is given whole in {@code response.custom_tool_call_input.done}); at the end
 * {@code response.completed} with the whole response and its usage. Reasoning is not streamed. A failure after the
 * head is an {@code error} event, then {@code response.failed} with the response, its status {@code failed} and its
 * {@code error}.
 */
final class ResponsesStreamEncoder implements SseEncoder {

    private final OpenAiResponses.Turn turn;
    private final Function<Message, CompletionStage<Void>> onComplete;
    private CompletionStage<Void> settled = CompletableFuture.completedFuture(null);
    private final List<Object> done = new ArrayList<>();
    private final TreeMap<Integer, Call> calls = new TreeMap<>();
    private int sequence;
    private boolean started;
    private String model;
    private StringBuilder text;
    private Integer textIndex;
    private Integer firstTextIndex;
    private Call openCall;
    private int outputs;
    private String finishReason;
    private Usage usage;
    private final StringBuilder allText = new StringBuilder();

    private static final class Call {
        final int outputIndex;
        final String id;
        final String name;
        final StringBuilder arguments = new StringBuilder();
        boolean closed;

        Call(int outputIndex, String id, String name) {
            this.outputIndex = outputIndex;
            this.id = id;
            this.name = name;
        }
    }

    ResponsesStreamEncoder(OpenAiResponses.Turn turn, Function<Message, CompletionStage<Void>> onComplete) {
        this.turn = turn;
        this.onComplete = onComplete;
        this.model = turn.chat().model();
    }

    @Override
    public byte[] chunk(ChatChunk chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        if (chunk.model() != null) {
            model = chunk.model();
        }
        start(out);
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        for (ChunkChoice choice : chunk.choices()) {
            if (choice.index() != 0) {
                continue;
            }
            Delta delta = choice.delta();
            if (delta != null && delta.content() != null && !delta.content().isEmpty()) {
                if (textIndex == null) {
                    closeCall(out);
                    textIndex = outputs++;
                    if (firstTextIndex == null) {
                        firstTextIndex = textIndex;
                    }
                    text = new StringBuilder();
                    event(out, "response.output_item.added", map("output_index", textIndex,
                            "item", OpenAiResponses.messageItem(itemId(), "", "in_progress")));
                    event(out, "response.content_part.added", map("item_id", itemId(), "output_index", textIndex,
                            "content_index", 0, "part", part("")));
                }
                text.append(delta.content());
                event(out, "response.output_text.delta", map("item_id", itemId(), "output_index", textIndex,
                        "content_index", 0, "delta", delta.content(), "logprobs", List.of()));
            }
            if (delta != null && delta.toolCalls() != null) {
                for (ToolCall call : delta.toolCalls()) {
                    call(call, out);
                }
            }
            if (choice.finishReason() != null) {
                finishReason = choice.finishReason();
            }
        }
        return out.toByteArray();
    }

    /**
     * The open text's item id: {@code msg_<suffix>} for the first (the id a whole answer's message has), then
     * {@code msg_<suffix>_<output index>} for a text after a tool call, so that every item has its own.
     */
    private String itemId() {
        String id = "msg_" + OpenAiResponses.suffix(turn);
        return textIndex == null || textIndex.equals(firstTextIndex) ? id : id + "_" + textIndex;
    }

    private static Map<String, Object> part(String text) {
        return map("type", "output_text", "text", text, "annotations", List.of(), "logprobs", List.of());
    }

    private void call(ToolCall delta, ByteArrayOutputStream out) {
        int index = delta.index() == null ? calls.size() : delta.index();
        Call call = calls.get(index);
        if (call == null) {
            closeText(out);
            closeCall(out);
            call = new Call(outputs++, delta.id(), delta.function() == null ? null : delta.function().name());
            calls.put(index, call);
            openCall = call;
            event(out, "response.output_item.added", map("output_index", call.outputIndex,
                    "item", item(call, index, "in_progress")));
        }
        String fragment = delta.function() == null ? null : delta.function().arguments();
        if (fragment != null && !fragment.isEmpty()) {
            call.arguments.append(fragment);
            if (!turn.customTools().contains(call.name) && !call.closed) {
                event(out, "response.function_call_arguments.delta", map("item_id", item(call, index, "")
                        .get("id"), "output_index", call.outputIndex, "delta", fragment));
            }
        }
    }

    private Map<String, Object> item(Call call, int index, String status) {
        return OpenAiResponses.callItem(turn, call.id, call.name, call.arguments.toString(), index, status);
    }

    private void closeText(ByteArrayOutputStream out) {
        if (textIndex == null) {
            return;
        }
        String id = itemId();
        String whole = text.toString();
        event(out, "response.output_text.done", map("item_id", id, "output_index", textIndex, "content_index", 0,
                "text", whole, "logprobs", List.of()));
        event(out, "response.content_part.done", map("item_id", id, "output_index", textIndex, "content_index", 0,
                "part", part(whole)));
        Map<String, Object> item = OpenAiResponses.messageItem(id, whole, "completed");
        event(out, "response.output_item.done", map("output_index", textIndex, "item", item));
        done.add(item);
        allText.append(whole);
        textIndex = null;
    }

    private void closeCall(ByteArrayOutputStream out) {
        Call call = openCall;
        if (call == null) {
            return;
        }
        openCall = null;
        call.closed = true;
        int index = indexOf(call);
        Map<String, Object> item = item(call, index, "completed");
        if (turn.customTools().contains(call.name)) {
            event(out, "response.custom_tool_call_input.done", map("item_id", item.get("id"),
                    "output_index", call.outputIndex, "input", item.get("input")));
        } else {
            event(out, "response.function_call_arguments.done", map("item_id", item.get("id"),
                    "output_index", call.outputIndex, "name", call.name, "arguments", call.arguments.toString()));
        }
        event(out, "response.output_item.done", map("output_index", call.outputIndex, "item", item));
        done.add(item);
    }

    private int indexOf(Call call) {
        for (Map.Entry<Integer, Call> e : calls.entrySet()) {
            if (e.getValue() == call) {
                return e.getKey();
            }
        }
        return 0;
    }

    private void start(ByteArrayOutputStream out) {
        if (started) {
            return;
        }
        started = true;
        Map<String, Object> response = OpenAiResponses.envelope(turn, model, "in_progress", List.of(), null);
        event(out, "response.created", map("response", response));
        event(out, "response.in_progress", map("response", response));
    }

    @Override
    public byte[] complete() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        start(out);
        closeText(out);
        closeCall(out);
        String status = "length".equals(finishReason) ? "incomplete" : "completed";
        event(out, "response." + status, map("response",
                OpenAiResponses.envelope(turn, model, status, done, usage)));
        List<ToolCall> toolCalls = new ArrayList<>();
        calls.values().forEach(c -> toolCalls.add(ToolCall.function(c.id, c.name, c.arguments.toString())));
        settled = onComplete.apply(new Message(Role.ASSISTANT, Content.of(allText.toString()), null,
                toolCalls.isEmpty() ? null : toolCalls, null, null, Map.of()));
        return out.toByteArray();
    }

    /** What {@code onComplete} gave for the answer (its being stored). */
    @Override
    public CompletionStage<Void> settled() {
        return settled;
    }

    @Override
    public byte[] error(int status, byte[] envelope) {
        Map<?, ?> error = Json.read(envelope) instanceof Map<?, ?> m && m.get("error") instanceof Map<?, ?> e
                ? e : Map.of();
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        start(out);
        event(out, "error", map("code", error.get("code"), "message", error.get("message"),
                "param", error.get("param")));
        // the terminal event: what clients such as the Codex CLI read when a response fails
        Map<String, Object> response = OpenAiResponses.envelope(turn, model, "failed", done, usage);
        response.put("error", map("code", failedCode(error.get("code")), "message", error.get("message")));
        event(out, "response.failed", map("response", response));
        return out.toByteArray();
    }

    /**
     * The {@code error.code} of a failed response: OpenAI's codes for a rate limit and a prompt too long for the
     * model (which clients act on: they wait, or compact their history), else {@code server_error}.
     */
    private static String failedCode(Object code) {
        return "rate_limit_exceeded".equals(code) || "context_length_exceeded".equals(code) ? (String) code
                : "server_error";
    }

    private void event(ByteArrayOutputStream out, String type, Map<String, Object> fields) {
        Map<String, Object> data = map("type", type);
        data.putAll(fields);
        data.put("sequence_number", sequence++);
        out.writeBytes(("event: " + type + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Json.write(data));
        out.writeBytes(new byte[] {'\n', '\n'});
    }
}
