package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.SseEvent;

import java.util.function.Consumer;

/**
 * Turns the Server-Sent Events of one upstream stream into items. Called on one thread at a time, in order;
 * a decoder may keep state across events (one per stream).
 */
public interface SseDecoder<T> {

    /**
     * Translates one event, emitting zero or more items.
     *
     * @return true when the event ends the stream (OpenAI's {@code [DONE]}, Anthropic's {@code message_stop})
     * @throws ProviderException when the event is an error or cannot be read
     */
    boolean decode(SseEvent event, Consumer<T> emit);

    /**
     * Whether {@code item} is the first token that {@code first_token_ms} waits for. By default a chat chunk counts
     * when it carries content or a tool-call delta (not a role-only or empty chunk); any other item counts.
     */
    default boolean isFirstToken(T item) {
        return !(item instanceof ChatChunk chunk) || chunk.hasContent();
    }

    /** The failure to report when the body ends before {@link #decode} returned true. */
    default ProviderException truncated() {
        return new ProviderException(FailureKind.SERVER, "upstream stream ended before it was complete", null);
    }
}
