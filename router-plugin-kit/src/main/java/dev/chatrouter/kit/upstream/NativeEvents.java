package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.SseEvent;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Decodes a stream that is relayed to the client as it is: each upstream event is translated by the plugin's own
 * decoder (the router reads content and usage from the translation), and the first chunk it gives carries the
 * event itself as its {@link ChatChunk#nativeAnswer()}. An event the translation gives nothing for (a ping, a block
 * start) still reaches the client, on an empty chunk (no choices, no usage). Events without data are dropped.
 */
public final class NativeEvents implements SseDecoder<ChatChunk> {

    private final SseDecoder<ChatChunk> translation;
    private String id = "";
    private String model;
    private long created;

    /** @param translation the plugin's decoder for this stream, which decides where it ends and what fails */
    public NativeEvents(SseDecoder<ChatChunk> translation) {
        this.translation = translation;
    }

    @Override
    public boolean decode(SseEvent event, Consumer<ChatChunk> emit) {
        if (event.data() == null || event.data().isBlank()) {
            return translation.decode(event, emit);
        }
        NativeAnswer relayed = new NativeAnswer(event.event(), event.data().getBytes(StandardCharsets.UTF_8));
        boolean[] attached = new boolean[1];
        boolean done = translation.decode(event, chunk -> {
            id = chunk.id();
            model = chunk.model();
            created = chunk.created();
            if (attached[0]) {
                emit.accept(chunk);
            } else {
                attached[0] = true;
                emit.accept(chunk.withNativeAnswer(relayed));
            }
        });
        if (!attached[0]) {
            emit.accept(new ChatChunk(id, "chat.completion.chunk", created, model, List.of(), null, null, Map.of(),
                    relayed));
        }
        return done;
    }

    @Override
    public boolean isFirstToken(ChatChunk item) {
        return translation.isFirstToken(item);
    }

    @Override
    public ProviderException truncated() {
        return translation.truncated();
    }
}
