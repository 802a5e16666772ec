package dev.chatrouter.api.chat;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A request as the client sent it on a provider-native surface, carried beside its translation
 * ({@link ChatRequest#nativeRequest()}): a provider that speaks this surface upstream sends {@code body} as it is
 * (only {@code model} rewritten to the target's upstream name) and answers with a {@link NativeAnswer}; any other
 * provider serves the translated request. The translation stays what the router classifies, routes and budgets.
 *
 * @param surface the client surface the body belongs to
 * @param body    the request body, JSON; not copied, so callers must not change it afterwards
 * @param headers the client's request headers to forward upstream, names lower case ({@code anthropic-beta},
 *                {@code anthropic-version}, {@code openai-beta}); never {@code null}
 */
public record NativeRequest(Surface surface, byte[] body, Map<String, String> headers) {

    /** The provider-native client surfaces. */
    public enum Surface {
        /** Anthropic's Messages API ({@code POST /v1/messages}). */
        MESSAGES,
        /** OpenAI's Responses API ({@code POST /v1/responses}). */
        RESPONSES
    }

    /**
     * @throws NullPointerException if {@code surface}, {@code body} or {@code headers} is null
     */
    public NativeRequest {
        Objects.requireNonNull(surface, "surface");
        Objects.requireNonNull(body, "body");
        TreeMap<String, String> lower = new TreeMap<>();
        Objects.requireNonNull(headers, "headers").forEach((name, value) ->
                lower.put(name.toLowerCase(Locale.ROOT), Objects.requireNonNull(value, name)));
        headers = java.util.Collections.unmodifiableMap(lower);
    }

    /** The forwarded header {@code name} (any case), or {@code null}. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NativeRequest other && surface == other.surface
                && java.util.Arrays.equals(body, other.body) && headers.equals(other.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(surface, java.util.Arrays.hashCode(body), headers);
    }

    @Override
    public String toString() {
        return "NativeRequest[" + surface + ", " + body.length + " bytes, headers " + headers.keySet() + "]";
    }
}
