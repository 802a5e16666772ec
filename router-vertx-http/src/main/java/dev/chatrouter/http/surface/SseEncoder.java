package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.kit.wire.WireCodec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Turns a routed chat stream into one client surface's Server-Sent Events. Stateful, one per stream; called on the
 * stream's thread, never concurrently. Each method returns the bytes to write, possibly none.
 */
public interface SseEncoder {

    /** The events for one chunk of the router's stream. */
    byte[] chunk(ChatChunk chunk);

    /** Writes the events for one chunk to {@code out}: {@link #chunk(ChatChunk)}'s bytes, unless an encoder can do better. */
    default void chunk(ChatChunk chunk, OutputStream out) {
        try {
            out.write(chunk(chunk));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The events that end a stream the upstream finished. */
    byte[] complete();

    /**
     * What the events {@link #complete()} gave must wait for before they are written (a stored response being
     * kept, so that a client that reads the end can at once continue from it); called after {@code complete()}.
     * Never fails. Completed by default.
     */
    default CompletionStage<Void> settled() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The event that ends a stream cut short by an error: never passed off as complete.
     *
     * @param status   the HTTP status the error would have had as an answer
     * @param envelope the error as the surface writes it in a JSON answer
     */
    byte[] error(int status, byte[] envelope);

    /** Chat Completions chunks as {@code data:} lines, ending with {@code data: [DONE]}. */
    static SseEncoder chatCompletions() {
        return new SseEncoder() {
            @Override
            public byte[] chunk(ChatChunk chunk) {
                return WireCodec.sseData(WireCodec.writeChatChunk(chunk));
            }

            @Override
            public void chunk(ChatChunk chunk, OutputStream out) {
                WireCodec.writeSseChunk(chunk, out); // straight into the outgoing buffer, no copy
            }

            @Override
            public byte[] complete() {
                return WireCodec.SSE_DONE;
            }

            @Override
            public byte[] error(int status, byte[] envelope) {
                return WireCodec.sseData(envelope);
            }
        };
    }
}
