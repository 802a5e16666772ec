package dev.chatrouter.api.embed;

import java.util.List;
import java.util.Map;

/**
 * One embedding.
 *
 * @param index     the input's index
 * @param vector    the vector, when the encoding is {@code float}; else {@code null}
 * @param base64    the vector as base64, when the encoding is {@code base64}; else {@code null}
 * @param extra     fields the model does not name
 */
public record Embedding(int index, List<Double> vector, String base64, Map<String, Object> extra) {
    public Embedding {
        vector = vector == null ? null : List.copyOf(vector);
        extra = extra == null ? Map.of() : extra;
    }
}
