package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.JsonEdit;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * The calls of a plugin that sends a {@link NativeRequest} upstream as the client wrote it (only {@code model} and
 * {@code stream} set): the answer, the stream and the token count, each read by the plugin's own decoder and
 * carrying the upstream's bytes ({@link NativeAnswer}) for the surface to relay.
 */
public final class NativeCalls {
    private NativeCalls() {
    }

    /**
     * Posts the client's body to {@code url} and reads the answer with {@code read}; the answer carries the
     * upstream's body as its {@link NativeAnswer}.
     */
    public static CompletableFuture<ChatResponse> chat(UpstreamClient client, String url, Map<String, String> headers,
                                                       NativeRequest asSent, ProviderCall call,
                                                       Function<byte[], ChatResponse> read) {
        byte[] body;
        try {
            body = retargeted(asSent, call.request().model(), null);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        return Stages.decode(client.post(url, headers, body, call.deadline()),
                response -> read.apply(response.body()).withNativeAnswer(NativeAnswer.body(response.body())));
    }

    /**
     * Streams the client's body from {@code url}, decoding each event with {@code translation}; the first chunk of
     * each event carries the event ({@link NativeEvents}).
     */
    public static Flow.Publisher<ChatChunk> stream(UpstreamClient client, String url, Map<String, String> headers,
                                                   NativeRequest asSent, ProviderCall call,
                                                   SseDecoder<ChatChunk> translation) {
        byte[] body;
        try {
            body = retargeted(asSent, call.request().model(), true);
        } catch (ProviderException e) {
            return Stages.failedPublisher(e);
        }
        return client.postStream(url, headers, body, call.deadline(), new NativeEvents(translation));
    }

    /**
     * Posts the client's body, less the {@code removed} fields, to a token-count endpoint ({@code url}) and reads its
     * {@code input_tokens} ({@link #inputTokens}).
     */
    public static CompletableFuture<OptionalLong> count(UpstreamClient client, String url, Map<String, String> headers,
                                                        NativeRequest asSent, ProviderCall call, String... removed) {
        byte[] body;
        try {
            body = retargeted(asSent, call.request().model(), null, removed);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        return Stages.decode(client.post(url, headers, body, call.deadline()),
                response -> OptionalLong.of(inputTokens(response.body())));
    }

    /**
     * The client's body with the target's {@code model}, {@code stream} set (or removed when {@code null}), and the
     * {@code removed} top-level fields taken out; every other field stays as the client wrote it.
     *
     * @throws ProviderException of kind {@link FailureKind#BAD_REQUEST} when the body is not a JSON object
     */
    public static byte[] retargeted(NativeRequest asSent, String model, Boolean stream, String... removed) {
        try {
            JsonEdit edit = JsonEdit.of(asSent.body()).set("model", model);
            edit = stream == null ? edit.remove("stream") : edit.set("stream", stream);
            for (String field : removed) {
                edit = edit.remove(field);
            }
            return edit.apply();
        } catch (IllegalArgumentException e) {
            throw new ProviderException(FailureKind.BAD_REQUEST, "the " + surfaceName(asSent)
                    + " body cannot be sent: " + e.getMessage(), e);
        }
    }

    /**
     * The {@code input_tokens} of a provider's token-count answer ({@code {"input_tokens": N, ...}}, as Anthropic's
     * {@code count_tokens} and OpenAI's {@code input_tokens} answer).
     *
     * @throws IllegalArgumentException when the answer is not an object with a numeric {@code input_tokens}
     */
    public static long inputTokens(byte[] answer) {
        if (!(Json.read(answer) instanceof Map<?, ?> count && count.get("input_tokens") instanceof Number n)) {
            throw new IllegalArgumentException("the count has no input_tokens");
        }
        return n.longValue();
    }

    private static String surfaceName(NativeRequest asSent) {
        return switch (asSent.surface()) {
            case MESSAGES -> "Messages";
            case RESPONSES -> "Responses";
        };
    }
}
