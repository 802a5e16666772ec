package dev.chatrouter.api.embed;

import dev.chatrouter.api.chat.Usage;

import java.util.List;
import java.util.Map;

/**
 * An embeddings response ({@code object: list}).
 *
 * @param object {@code list}
 * @param data   one embedding per input
 * @param model  the model: the caller's intent when returned by the router
 * @param usage  usage and cost, or {@code null}
 * @param extra  fields the model does not name
 */
public record EmbeddingResponse(String object, List<Embedding> data, String model, Usage usage,
                                Map<String, Object> extra) {
    public EmbeddingResponse {
        data = List.copyOf(data);
        extra = extra == null ? Map.of() : extra;
    }

    public EmbeddingResponse withModel(String model) {
        return new EmbeddingResponse(object, data, model, usage, extra);
    }

    public EmbeddingResponse withUsage(Usage usage) {
        return new EmbeddingResponse(object, data, model, usage, extra);
    }
}
