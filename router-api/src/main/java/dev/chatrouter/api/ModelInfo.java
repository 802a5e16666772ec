package dev.chatrouter.api;

/**
 * A model id clients may send, as {@code GET /models} lists it.
 *
 * @param id      the id
 * @param created creation time in seconds since the epoch
 * @param ownedBy who serves it: {@code chatrouter} for route intents
 */
public record ModelInfo(String id, long created, String ownedBy) {
}
