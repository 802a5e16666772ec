package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.JsonEdit;

import java.util.Map;

/** What plugins that relay a {@link NativeRequest} upstream share: the body they send, and a count they read. */
public final class NativeBodies {
    private NativeBodies() {
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
