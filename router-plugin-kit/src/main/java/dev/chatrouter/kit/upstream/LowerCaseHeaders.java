package dev.chatrouter.kit.upstream;

import io.vertx.core.MultiMap;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An answer's headers as {@link UpstreamResponse#headers()} gives them: names in lower case, the first value of
 * each, unmodifiable. Copied out of the HTTP client's headers only when first read, as most answers' headers never
 * are (a provider such as OpenAI sends some twenty). Thread-safe: the client's headers no longer change once the
 * answer has been read.
 */
final class LowerCaseHeaders extends AbstractMap<String, String> {

    private final MultiMap headers;
    private volatile Map<String, String> copy;

    LowerCaseHeaders(MultiMap headers) {
        this.headers = headers;
    }

    /** The copy, made once (two threads reading first may both make it: the copies are equal). */
    private Map<String, String> copy() {
        Map<String, String> made = copy;
        if (made == null) {
            Map<String, String> map = new HashMap<>();
            headers.forEach(e -> map.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
            made = Collections.unmodifiableMap(map);
            copy = made;
        }
        return made;
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return copy().entrySet();
    }

    @Override
    public String get(Object key) {
        return copy().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return copy().containsKey(key);
    }

    @Override
    public int size() {
        return copy().size();
    }
}
