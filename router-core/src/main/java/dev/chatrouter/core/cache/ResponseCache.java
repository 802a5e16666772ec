package dev.chatrouter.core.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.kit.wire.WireCodec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The response cache (docs/routing.md#caching) on Caffeine: answers to identical requests of the same caller key, kept
 * for the TTL and bounded in size. Only deterministic requests ({@code temperature} 0 or a {@code seed}) are
 * cached unless configured otherwise. Requests are identical when their wire form is, ignoring {@code stream}
 * and {@code stream_options}: a stream and a plain call share an entry.
 */
public final class ResponseCache {

    /**
     * A cached answer.
     *
     * @param response the response as it was answered (model echoing the intent)
     * @param target   the target that produced it
     */
    public record Entry(ChatResponse response, String target) {
    }

    private final Cache<String, Entry> entries;
    private final boolean deterministicOnly;

    /** @param ticker nanoseconds, from the router's clock */
    public ResponseCache(ResponseCacheConfig config, Ticker ticker) {
        this.deterministicOnly = config.deterministicOnly();
        // maintenance on the calling thread, not a hand-off to ForkJoinPool.commonPool after nearly every write
        this.entries = Caffeine.newBuilder().executor(Runnable::run).expireAfterWrite(config.ttl())
                .maximumSize(config.maxEntries()).ticker(ticker).build();
    }

    /**
     * The cache key of a request for a caller at an effort (which may come from outside the body, and picks the
     * pool and the upstream's {@code reasoning_effort}), or {@code null} when the request may not be cached.
     */
    public String key(String callerKey, Effort effort, ChatRequest request) {
        if (deterministicOnly && !deterministic(request)) {
            return null;
        }
        if (request.n() != null && request.n() > 1 && request.seed() == null && !deterministic(request)) {
            return null;
        }
        byte[] wire = WireCodec.writeChatRequest(request.toBuilder().stream(null).streamOptions(null).build());
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (callerKey != null) {
                sha.update(callerKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            sha.update((byte) 0);
            sha.update(effort.wireName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update((byte) 0);
            if (request.nativeRequest() != null) {
                // the body as sent may hold what the translation leaves out: requests differing there differ (but a
                // stream and a whole answer still share an entry, as translated ones do)
                byte[] body = request.nativeRequest().body();
                try {
                    body = dev.chatrouter.kit.wire.JsonEdit.of(body).remove("stream").apply();
                } catch (IllegalArgumentException notJson) {
                    // an embedder's body that is not JSON keys as it is
                }
                sha.update(body);
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(wire));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static boolean deterministic(ChatRequest request) {
        return request.seed() != null || (request.temperature() != null && request.temperature() == 0.0);
    }

    public Entry get(String key) {
        return key == null ? null : entries.getIfPresent(key);
    }

    public void put(String key, Entry entry) {
        if (key != null) {
            entries.put(key, entry);
        }
    }
}
