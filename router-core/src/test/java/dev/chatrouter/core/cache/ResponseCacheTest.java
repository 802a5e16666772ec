package dev.chatrouter.core.cache;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The response cache through ChatRouter (docs/routing.md#caching). */
class ResponseCacheTest {

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter router(boolean deterministicOnly) {
        router = ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(new ModelSpec("m", null, Price.of(1, 2), 0, 0,
                        EnumSet.allOf(Capability.class))).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build())
                .cache(new CacheConfig(new ResponseCacheConfig(true, Duration.ofMinutes(10), 100, deterministicOnly),
                        StickyPrefixConfig.DEFAULTS))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0))
                .build();
        return router;
    }

    private static ChatRequest ask(String text, Double temperature) {
        return ChatRequest.builder().model("di").addMessage(Message.user(text)).temperature(temperature).build();
    }

    private ChatResult chat(ChatRequest request, RequestContext context) {
        return router.chat(request, context).toCompletableFuture().join();
    }

    /** A repeated deterministic request is a hit: no upstream call, no cost, no budget touched. */
    @Test
    void repeatedDeterministicRequestIsAHit() {
        router(true);
        ChatResult first = chat(ask("What is 2+2?", 0.0), RequestContext.empty());
        double spent = router.spend().get(0).spentUsd();
        ChatResult second = chat(ask("What is 2+2?", 0.0), RequestContext.empty());
        assertThat(scripted.calls("a")).hasSize(1);
        assertThat(first.report().cacheHit()).isFalse();
        assertThat(second.report().cacheHit()).isTrue();
        assertThat(second.report().costUsd()).isZero();
        assertThat(second.report().attempts()).isEmpty();
        assertThat(second.response().usage().cost()).isZero();
        assertThat(second.response().text()).isEqualTo(first.response().text());
        assertThat(second.report().target()).isEqualTo("a/m");
        assertThat(router.spend().get(0).spentUsd()).isEqualTo(spent);
    }

    /** Another key does not see the first key's answers. */
    @Test
    void anotherKeyMisses() {
        router(true);
        chat(ask("hello", 0.0), RequestContext.empty().withKey("team-a"));
        ChatResult other = chat(ask("hello", 0.0), RequestContext.empty().withKey("team-b"));
        assertThat(other.report().cacheHit()).isFalse();
        assertThat(scripted.calls("a")).hasSize(2);
    }

    /**
     * The caller's effort (a header, or the context) can pick another pool and is sent upstream: a request with
     * another effort misses, one with the same effort hits.
     */
    @Test
    void anotherEffortOfTheCallerMisses() {
        router(true);
        chat(ask("Summarize: the cat sat on the mat.", 0.0), RequestContext.empty().withEffort(Effort.LOW));
        ChatResult high = chat(ask("Summarize: the cat sat on the mat.", 0.0),
                RequestContext.empty().withEffort(Effort.HIGH));
        ChatResult again = chat(ask("Summarize: the cat sat on the mat.", 0.0),
                RequestContext.empty().withEffort(Effort.HIGH));
        assertThat(high.report().cacheHit()).isFalse();
        assertThat(again.report().cacheHit()).isTrue();
        assertThat(scripted.calls("a")).hasSize(2);
        assertThat(scripted.calls("a").get(1).request().reasoningEffort()).isEqualTo("high");
    }

    /** A request with neither temperature 0 nor a seed is never cached. */
    @Test
    void nonDeterministicRequestIsNeverCached() {
        router(true);
        chat(ask("hello", 0.7), RequestContext.empty());
        chat(ask("hello", 0.7), RequestContext.empty());
        chat(ask("hello", null), RequestContext.empty());
        chat(ask("hello", null), RequestContext.empty());
        assertThat(scripted.calls("a")).hasSize(4);
        // a seed makes it deterministic
        chat(ask("hello", 0.7).toBuilder().seed(7L).build(), RequestContext.empty());
        chat(ask("hello", 0.7).toBuilder().seed(7L).build(), RequestContext.empty());
        assertThat(scripted.calls("a")).hasSize(5);
    }

    /** With deterministic_only off, any request is cached. */
    @Test
    void deterministicOnlyOffCachesEverything() {
        router(false);
        chat(ask("hello", 0.7), RequestContext.empty());
        assertThat(chat(ask("hello", 0.7), RequestContext.empty()).report().cacheHit()).isTrue();
    }

    /** Entries expire after the TTL under the injected clock. */
    @Test
    void entriesExpireAfterTheTtl() {
        router(true);
        chat(ask("hello", 0.0), RequestContext.empty());
        clock.advance(Duration.ofMinutes(9));
        assertThat(chat(ask("hello", 0.0), RequestContext.empty()).report().cacheHit()).isTrue();
        clock.advance(Duration.ofMinutes(2));
        assertThat(chat(ask("hello", 0.0), RequestContext.empty()).report().cacheHit()).isFalse();
        assertThat(scripted.calls("a")).hasSize(2);
    }

    /** A stream fills the cache, and a later stream (or chat) replays it without an upstream call. */
    @Test
    void streamsAreCachedAndReplayed() {
        router(true);
        scripted.script("a", ScriptedProviderFactory.reply("cached words here"));
        TestSubscriber<ChatChunk> first = TestSubscriber.unbounded();
        router.stream(ask("tell me", 0.0)).subscribe(first);
        first.awaitDone(Duration.ofSeconds(5));

        ChatStream replay = router.stream(ask("tell me", 0.0).toBuilder()
                .streamOptions(new StreamOptions(true, Map.of())).build());
        TestSubscriber<ChatChunk> second = new TestSubscriber<>(1);
        replay.subscribe(second);
        second.awaitItems(1, Duration.ofSeconds(5));
        assertThat(second.items()).hasSize(1);
        second.request(Long.MAX_VALUE);
        second.awaitDone(Duration.ofSeconds(5));
        assertThat(second.completed()).isTrue();
        assertThat(text(second)).isEqualTo("cached words here");
        ChatChunk last = second.items().get(second.items().size() - 1);
        assertThat(last.usage().cost()).isZero();
        assertThat(replay.report().toCompletableFuture().join().cacheHit()).isTrue();

        assertThat(chat(ask("tell me", 0.0), RequestContext.empty()).response().text()).isEqualTo("cached words here");
        assertThat(scripted.calls("a")).hasSize(1);
    }

    private static String text(TestSubscriber<ChatChunk> s) {
        StringBuilder sb = new StringBuilder();
        s.items().forEach(c -> c.choices().forEach(ch -> {
            if (ch.delta() != null && ch.delta().content() != null) {
                sb.append(ch.delta().content());
            }
        }));
        return sb.toString();
    }
}
