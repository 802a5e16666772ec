package dev.chatrouter.core.cache;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.config.ResponseCacheConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache key of a request with a native form covers what its body holds beyond the translation. */
class NativeCacheKeyTest {

    private final ResponseCache cache = new ResponseCache(new ResponseCacheConfig(true, Duration.ofMinutes(5), 100,
            false), System::nanoTime);

    private static ChatRequest request(String body) {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).temperature(0.0)
                .nativeRequest(body == null ? null : new NativeRequest(NativeRequest.Surface.MESSAGES,
                        body.getBytes(StandardCharsets.UTF_8), Map.of()))
                .build();
    }

    @Test
    void bodiesThatDifferBeyondTheTranslationHaveDifferentKeys() {
        String plain = cache.key("k", Effort.AUTO, request("{\"model\":\"di\",\"messages\":[]}"));
        String withContainer = cache.key("k", Effort.AUTO, request("{\"model\":\"di\",\"messages\":[],\"container\":\"c-1\"}"));

        assertThat(plain).isNotNull().isNotEqualTo(withContainer);
        assertThat(cache.key("k", Effort.AUTO, request(null))).isNotEqualTo(plain);
    }

    @Test
    void aStreamAndAWholeAnswerShareTheirKey() {
        assertThat(cache.key("k", Effort.AUTO, request("{\"model\":\"di\",\"stream\":true,\"messages\":[]}")))
                .isEqualTo(cache.key("k", Effort.AUTO, request("{\"model\":\"di\",\"messages\":[]}")));
    }
}
