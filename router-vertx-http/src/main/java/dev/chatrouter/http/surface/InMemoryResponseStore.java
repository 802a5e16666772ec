package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.Message;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** {@link ResponseStore#inMemory}: insertion-ordered, so the oldest entries (the first to expire) are at the head. */
final class InMemoryResponseStore implements ResponseStore {

    private record Entry(List<Message> conversation, Instant expires) {
    }

    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    InMemoryResponseStore(Duration ttl, int maxEntries, Clock clock) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive but was " + ttl);
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1 but was " + maxEntries);
        }
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public synchronized void put(String id, List<Message> conversation) {
        Instant now = clock.instant();
        entries.remove(id);
        entries.put(id, new Entry(List.copyOf(conversation), now.plus(ttl)));
        Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Entry> e = oldest.next();
            if (entries.size() <= maxEntries && e.getValue().expires().isAfter(now)) {
                break;
            }
            oldest.remove();
        }
    }

    @Override
    public synchronized Optional<List<Message>> get(String id) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        if (!entry.expires().isAfter(clock.instant())) {
            entries.remove(id);
            return Optional.empty();
        }
        return Optional.of(entry.conversation());
    }
}
