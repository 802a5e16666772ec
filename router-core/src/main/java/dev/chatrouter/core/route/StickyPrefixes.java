package dev.chatrouter.core.route;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.config.StickyPrefixConfig;

import java.time.Clock;
import java.util.List;

/**
 * Remembers which target served a prompt prefix last (docs/routing.md#routing), so that requests sharing it go there
 * again while it stays eligible and upstream prompt caches hit. The prefix is the conversation up to and
 * including the last part with a {@code cache_control} breakpoint; without one, the leading system and developer
 * messages and the first other message. Entries expire {@code ttl} after they were last written, and at most
 * {@code max_entries} are kept (Caffeine, with time read from the router's clock).
 */
public final class StickyPrefixes {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    /** A text of more than twice this many characters is keyed by its length and this many at each end. */
    static final int HASHED_WINDOW = 1024;

    private final Cache<Long, String> served;

    public StickyPrefixes(StickyPrefixConfig config, Clock clock) {
        this.served = Caffeine.newBuilder()
                // maintenance on the calling thread (amortised, a few entries at a time): the default hands it to
                // ForkJoinPool.commonPool, a wake-up of another thread after nearly every write
                .executor(Runnable::run)
                .expireAfterWrite(config.ttl())
                .maximumSize(config.maxEntries())
                // to the millisecond, which the system clock reads without making an Instant (a ttl is minutes)
                .ticker(() -> clock.millis() * 1_000_000L)
                .build();
    }

    /**
     * The key of a request's prefix on a route; 0 when the request has no prefix worth sticking to. The pool is
     * not part of it: a prompt cache lives at a target, so when a conversation's type changes (a code block in a
     * later turn) it still goes back to the target holding its prefix, if the new pool has that target.
     */
    public static long key(String route, ChatRequest request) {
        List<Message> messages = request.messages();
        int lastMessage = -1;
        int lastPart = -1;
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).content() instanceof Content.Parts parts) {
                for (int j = 0; j < parts.parts().size(); j++) {
                    if (parts.parts().get(j).cacheControl() != null) {
                        lastMessage = i;
                        lastPart = j;
                    }
                }
            }
        }
        // the prefix is always the messages' first ones: [0, size)
        int size;
        if (lastMessage < 0) {
            int i = 0;
            while (i < messages.size() && isInstruction(messages.get(i))) {
                i++;
            }
            size = i < messages.size() ? i + 1 : i;
            lastPart = Integer.MAX_VALUE;
            lastMessage = size - 1;
        } else {
            size = lastMessage + 1;
        }
        if (size == 0) {
            return 0;
        }
        long h = mix(FNV_OFFSET, route);
        for (int i = 0; i < size; i++) {
            Message message = messages.get(i);
            h = mix(h, message.role().wireName());
            int partLimit = i == lastMessage ? lastPart : Integer.MAX_VALUE;
            Content content = message.content();
            if (content instanceof Content.Text text) {
                h = mix(h, text.text());
            } else if (content instanceof Content.Parts parts) {
                for (int j = 0; j < parts.parts().size() && j <= partLimit; j++) {
                    h = mix(h, parts.parts().get(j));
                }
            }
        }
        return h == 0 ? 1 : h;
    }

    private static boolean isInstruction(Message message) {
        return message.role() == Role.SYSTEM || message.role() == Role.DEVELOPER;
    }

    private static long mix(long h, ContentPart part) {
        h = mix(h, part.type());
        if (part instanceof ContentPart.Text t) {
            return mix(h, t.text());
        }
        if (part instanceof ContentPart.Image i) {
            return mix(h, i.url());
        }
        if (part instanceof ContentPart.File f) {
            h = mix(mix(h, String.valueOf(f.fileId())), String.valueOf(f.filename()));
            return f.fileData() == null ? h : mix(h, f.fileData());
        }
        return (h ^ part.extra().hashCode()) * FNV_PRIME;
    }

    /**
     * Mixes a text into the hash: its length and, for long texts, only its first and last
     * {@value #HASHED_WINDOW} characters, so the key of a 10 MB prompt (or of a coding agent's 30 KB one, parsed anew
     * with every request) costs what a 2 KB one does. Two prefixes that differ only in the middle of a long message
     * share a key; the worst that does is send a request to a target whose cache does not hold its prefix.
     */
    private static long mix(long h, String text) {
        int n = text.length();
        h = (h ^ n) * FNV_PRIME;
        if (n <= 2 * HASHED_WINDOW) {
            // String caches its hash: a prompt object seen again costs nothing
            return (h ^ text.hashCode()) * FNV_PRIME;
        }
        return mixRange(mixRange(h, text, 0, HASHED_WINDOW), text, n - HASHED_WINDOW, n);
    }

    private static long mixRange(long h, String text, int from, int to) {
        for (int i = from; i < to; i++) {
            h ^= text.charAt(i);
            h *= FNV_PRIME;
        }
        h ^= 0xff;
        return h * FNV_PRIME;
    }

    /** The target that served this prefix last, or {@code null}. */
    public String lookup(long key) {
        return key == 0 ? null : served.getIfPresent(key);
    }

    /** Records that a target served this prefix. */
    public void record(long key, String target) {
        if (key != 0) {
            served.put(key, target);
        }
    }
}
