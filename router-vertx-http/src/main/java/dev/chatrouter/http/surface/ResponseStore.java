package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.Message;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where the Responses surface keeps stored responses, so that a request naming one as {@code previous_response_id}
 * carries its turns upstream. Implementations are thread-safe; a shared store (Redis, a database) can replace the
 * in-memory one behind this interface.
 */
public interface ResponseStore {

    /**
     * Keeps a response's conversation: the turns before it, its input and its output, as chat messages.
     *
     * @param id the response id ({@code resp_...})
     */
    void put(String id, List<Message> conversation);

    /** The conversation stored under {@code id}, or empty when it is unknown or has expired. */
    Optional<List<Message>> get(String id);

    /**
     * An in-memory store: entries expire {@code ttl} after they were stored, and past {@code maxEntries} the oldest
     * go first, so memory stays bounded.
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive or {@code maxEntries} is below 1
     */
    static ResponseStore inMemory(Duration ttl, int maxEntries, Clock clock) {
        return new InMemoryResponseStore(ttl, maxEntries, clock);
    }
}
