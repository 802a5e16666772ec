package dev.chatrouter.api;

import dev.chatrouter.api.embed.EmbeddingResponse;

/** Embeddings, with {@code model} echoing the caller's intent, and how they were routed. */
public record EmbeddingResult(EmbeddingResponse response, RoutingReport report) {
}
