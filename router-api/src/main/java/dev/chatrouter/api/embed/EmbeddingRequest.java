package dev.chatrouter.api.embed;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An embeddings request.
 *
 * @param model          the model id: the intent to route
 * @param input          the texts to embed
 * @param singleInput    true when {@code input} was sent as one string rather than a list
 * @param encodingFormat {@code float} or {@code base64}, or {@code null}
 * @param dimensions     the output dimensions, or {@code null}
 * @param user           {@code user}, or {@code null}
 * @param extra          every other field, passed through untouched
 */
public record EmbeddingRequest(String model, List<String> input, boolean singleInput, String encodingFormat,
                               Integer dimensions, String user, Map<String, Object> extra) {
    public EmbeddingRequest {
        input = List.copyOf(Objects.requireNonNull(input, "input"));
        if (singleInput && input.size() != 1) {
            throw new IllegalArgumentException("a single input has exactly one text");
        }
        extra = extra == null || extra.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    public static EmbeddingRequest of(String model, String text) {
        return new EmbeddingRequest(model, List.of(text), true, null, null, null, Map.of());
    }

    public static EmbeddingRequest of(String model, List<String> texts) {
        return new EmbeddingRequest(model, texts, false, null, null, null, Map.of());
    }

    /** A copy with another model id. */
    public EmbeddingRequest withModel(String model) {
        return new EmbeddingRequest(model, input, singleInput, encodingFormat, dimensions, user, extra);
    }
}
