package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.kit.wire.JsonEdit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Writes what an upstream answered in the client surface's own format ({@link NativeAnswer}) as it came, with only
 * {@code model} set to the model the client asked for, as every answer of the router names it. A stream is native
 * when its first chunk carries an upstream event (the target took the request as it was sent); it is then relayed
 * event by event, and the chunks without an event (the router's own usage chunk) write nothing. Otherwise the
 * surface's translating encoder writes it. A relayed Responses stream's {@code response.completed} (or
 * {@code .incomplete}) is held to the end, so that it follows the storing of the response.
 */
public final class NativeRelay implements SseEncoder {

    private static final byte[] NOTHING = new byte[0];
    /** The Messages stream's event naming the model, and where. */
    private static final Set<String> MESSAGES_MODEL_EVENTS = Set.of("message_start");
    private static final List<String> MESSAGES_MODEL = List.of("message", "model");
    /** The Responses stream's events carrying the response object, and where its model is. */
    private static final Set<String> RESPONSES_MODEL_EVENTS = Set.of("response.created", "response.in_progress",
            "response.queued", "response.completed", "response.incomplete", "response.failed");
    private static final List<String> RESPONSES_MODEL = List.of("response", "model");
    /** The Responses stream's events after which a client may continue from the response. */
    private static final Set<String> RESPONSES_ENDS = Set.of("response.completed", "response.incomplete");

    private final SseEncoder translated;
    private final boolean shadow;
    private final Set<String> modelEvents;
    private final List<String> modelPath;
    /** The {@code previous_response_id} the client sent, which the upstream never saw, or null. */
    private final String previousResponseId;
    private Boolean relaying;
    private String upstreamId;
    /** A relayed Responses stream's terminal event, written by {@link #complete()} once the answer is stored. */
    private byte[] held = NOTHING;

    private NativeRelay(SseEncoder translated, boolean shadow, Set<String> modelEvents, List<String> modelPath,
                        String previousResponseId) {
        this.previousResponseId = previousResponseId;
        this.translated = translated;
        this.shadow = shadow;
        this.modelEvents = modelEvents;
        this.modelPath = modelPath;
    }

    /** A Messages stream: native events when the target took the Messages body, else {@code translated}'s. */
    public static NativeRelay messages(SseEncoder translated) {
        return new NativeRelay(translated, false, MESSAGES_MODEL_EVENTS, MESSAGES_MODEL, null);
    }

    /**
     * A Responses stream: native events when the target took the Responses body, else {@code translated}'s. A native
     * stream is still fed to {@code translated} (its bytes dropped), so that it assembles the answer to store. The
     * response objects of its events name {@code previousResponseId} (when not null) as their
     * {@code previous_response_id}: the router expanded it, so the upstream never saw it.
     */
    public static NativeRelay responses(SseEncoder translated, String previousResponseId) {
        return new NativeRelay(translated, true, RESPONSES_MODEL_EVENTS, RESPONSES_MODEL, previousResponseId);
    }

    /** True once the stream turned out to be relayed as it came. */
    public boolean relaying() {
        return Boolean.TRUE.equals(relaying);
    }

    /** The upstream's id of a relayed answer (the first chunk's), or {@code null}. */
    public String upstreamId() {
        return upstreamId;
    }

    @Override
    public byte[] chunk(ChatChunk chunk) {
        if (relaying == null) {
            relaying = chunk.nativeAnswer() != null;
        }
        if (!relaying) {
            return translated.chunk(chunk);
        }
        if (upstreamId == null && chunk.id() != null && !chunk.id().isEmpty()) {
            upstreamId = chunk.id();
        }
        if (shadow) {
            translated.chunk(chunk);
        }
        NativeAnswer event = chunk.nativeAnswer();
        if (event == null) {
            return NOTHING;
        }
        byte[] data = event.data();
        if (event.event() != null && modelEvents.contains(event.event())) {
            JsonEdit edit = JsonEdit.of(data);
            if (chunk.model() != null) {
                edit.replace(modelPath, chunk.model());
            }
            if (previousResponseId != null) {
                edit.replace(List.of("response", "previous_response_id"), previousResponseId);
            }
            data = edit.apply();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 32);
        if (event.event() != null) {
            out.writeBytes(("event: " + event.event() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes(new byte[] {'\n', '\n'});
        if (shadow && RESPONSES_ENDS.contains(event.event())) {
            held = out.toByteArray(); // written at the end, after the translation's answer is stored
            return NOTHING;
        }
        return out.toByteArray();
    }

    /**
     * For a relayed stream, the upstream's own last event: a Responses stream's end, held until now, or nothing
     * (the upstream's last event was relayed).
     */
    @Override
    public byte[] complete() {
        if (relaying()) {
            if (shadow) {
                translated.complete();
            }
            return held;
        }
        return translated.complete();
    }

    @Override
    public CompletionStage<Void> settled() {
        return translated.settled();
    }

    @Override
    public byte[] error(int status, byte[] envelope) {
        return translated.error(status, envelope);
    }

    /**
     * A whole answer's native body with its top-level {@code model} set to the response's (the client's), or
     * {@code null} when the answer has no native body.
     */
    public static byte[] body(ChatResponse response) {
        return body(response, null);
    }

    /**
     * {@link #body(ChatResponse)}, and the top-level {@code previous_response_id} set to
     * {@code previousResponseId} when that is not null (the router expanded it, so the upstream never saw it).
     */
    public static byte[] body(ChatResponse response, String previousResponseId) {
        NativeAnswer answer = response.nativeAnswer();
        if (answer == null) {
            return null;
        }
        JsonEdit edit = JsonEdit.of(answer.data());
        if (response.model() != null) {
            edit.replace(List.of("model"), response.model());
        }
        if (previousResponseId != null) {
            edit.replace(List.of("previous_response_id"), previousResponseId);
        }
        return edit.apply();
    }
}
