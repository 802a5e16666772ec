package dev.chatrouter.api.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Normalises the {@code extra} maps of the model records: never null, insertion-ordered, unmodifiable. */
final class Extras {
    private Extras() {
    }

    static Map<String, Object> copy(Map<String, Object> extra) {
        if (extra == null || extra.isEmpty()) {
            return Map.of();
        }
        // LinkedHashMap, not Map.copyOf: field order is kept and JSON null values are allowed.
        return Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }
}
