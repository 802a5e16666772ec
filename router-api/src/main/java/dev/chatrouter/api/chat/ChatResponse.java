package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Map;

/**
 * A Chat Completions response ({@code object: chat.completion}).
 *
 * @param id                the completion id
 * @param object            {@code chat.completion}
 * @param created           creation time in seconds since the epoch
 * @param model             the model: the caller's intent when returned by the router
 * @param choices           the choices
 * @param usage             token usage and cost, or {@code null}
 * @param systemFingerprint {@code system_fingerprint}, or {@code null}
 * @param serviceTier       {@code service_tier}, or {@code null}
 * @param extra             fields the model does not name
 * @param nativeAnswer      the upstream's answer in the client surface's own format, when the request went upstream
 *                          as its {@link NativeRequest}; else {@code null}
 */
public record ChatResponse(String id, String object, long created, String model, List<Choice> choices, Usage usage,
                           String systemFingerprint, String serviceTier, Map<String, Object> extra,
                           NativeAnswer nativeAnswer) {
    public ChatResponse {
        choices = List.copyOf(choices);
        extra = Extras.copy(extra);
    }

    /** A response without a native answer. */
    public ChatResponse(String id, String object, long created, String model, List<Choice> choices, Usage usage,
                        String systemFingerprint, String serviceTier, Map<String, Object> extra) {
        this(id, object, created, model, choices, usage, systemFingerprint, serviceTier, extra, null);
    }

    /** A copy with another model id. */
    public ChatResponse withModel(String model) {
        return new ChatResponse(id, object, created, model, choices, usage, systemFingerprint, serviceTier, extra,
                nativeAnswer);
    }

    /** A copy with another model id and other usage: one copy where {@code withModel(..).withUsage(..)} makes two. */
    public ChatResponse withModelAndUsage(String model, Usage usage) {
        return new ChatResponse(id, object, created, model, choices, usage, systemFingerprint, serviceTier, extra,
                nativeAnswer);
    }

    /** A copy with other usage. */
    public ChatResponse withUsage(Usage usage) {
        return new ChatResponse(id, object, created, model, choices, usage, systemFingerprint, serviceTier, extra,
                nativeAnswer);
    }

    /** A copy with another native answer ({@code null}: none). */
    public ChatResponse withNativeAnswer(NativeAnswer nativeAnswer) {
        return new ChatResponse(id, object, created, model, choices, usage, systemFingerprint, serviceTier, extra,
                nativeAnswer);
    }

    /** The first choice's message text, or the empty string. */
    public String text() {
        return choices.isEmpty() ? "" : choices.get(0).message().text();
    }
}
