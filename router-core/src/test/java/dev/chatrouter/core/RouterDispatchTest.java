package dev.chatrouter.core;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.reply;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.streamThenFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The router's dispatch path with a scripted plugin: routing, echo, fallback, stream failover, errors. */
class RouterDispatchTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter router(FallbackConfig fallback) {
        ModelSpec all = new ModelSpec("m", null, new Price(1.0, 2.0, 0.5, 1.25), 1000, 0,
                EnumSet.allOf(Capability.class));
        ModelSpec textOnly = new ModelSpec("m", null, Price.of(0.1, 0.2), 1000, 0, Set.of(Capability.STREAMING));
        router = ChatRouter.builder()
                .providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(all).build())
                .provider(ProviderSpec.builder("b", "scripted").model(all).build())
                .provider(ProviderSpec.builder("t", "scripted").model(textOnly).build())
                .route(RouteConfig.builder("di").match("gpt-*")
                        .pool("*", PoolConfig.of("priority", "a/m", "b/m")).fallback(fallback).build())
                .route(RouteConfig.builder("text").pool("*", PoolConfig.of("priority", "t/m")).build())
                .build();
        return router;
    }

    private static ChatRequest hello(String model) {
        return ChatRequest.builder().model(model).addMessage(Message.user("Hello")).build();
    }

    @Test
    void chatEchoesTheIntentAndReportsTheTarget() throws Exception {
        router(FallbackConfig.DEFAULTS);
        ChatResult result = router.chat(hello("gpt-4o")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(result.response().model()).isEqualTo("gpt-4o");
        assertThat(result.response().text()).isEqualTo("ok from a");
        RoutingReport report = result.report();
        assertThat(report.route()).isEqualTo("di");
        assertThat(report.target()).isEqualTo("a/m");
        assertThat(report.candidates()).containsExactly("a/m", "b/m");
        assertThat(report.attempts()).singleElement().satisfies(a -> assertThat(a.succeeded()).isTrue());
        // 10 input at $1/M + 5 output at $2/M
        assertThat(report.costUsd()).isEqualTo(20e-6, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(result.response().usage().cost()).isEqualTo(report.costUsd());
        assertThat(scripted.calls("a").get(0).request().model()).isEqualTo("m");
    }

    @Test
    void serverErrorFallsBackToTheNextTarget() throws Exception {
        router(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on()));
        scripted.script("a", fail(FailureKind.SERVER));
        ChatResult result = router.chat(hello("di")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.report().attempts()).extracting(a -> a.failureKind().orElse(null))
                .containsExactly(FailureKind.SERVER, null);
    }

    @Test
    void badRequestIsNotRetriedAndKeepsTheUpstreamStatus() {
        router(FallbackConfig.DEFAULTS);
        scripted.script("a", fail(FailureKind.BAD_REQUEST));
        assertThatThrownBy(() -> router.chat(hello("di")).toCompletableFuture().join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
                            assertThat(e.upstreamStatus()).isEqualTo(400);
                            assertThat(e.attempts()).hasSize(1);
                        });
        assertThat(scripted.calls("b")).isEmpty();
    }

    @Test
    void everyTargetFailingListsEachAttempt() {
        router(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on()));
        scripted.script("a", fail(FailureKind.SERVER));
        scripted.script("b", fail(FailureKind.CONNECTION));
        assertThatThrownBy(() -> router.chat(hello("di")).toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ChatRouterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
                    assertThat(e.attempts()).extracting(a -> a.target() + ":" + a.failure().wireName())
                            .containsExactly("a/m:server", "b/m:connection");
                });
    }

    @Test
    void unknownModelWithoutDefaultRouteIsModelNotFound() {
        router(FallbackConfig.DEFAULTS);
        assertThatThrownBy(() -> router.chat(hello("llama")).toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
    }

    @Test
    void anImageNeverReachesATargetWithoutVision() {
        router(FallbackConfig.DEFAULTS);
        ChatRequest image = ChatRequest.builder().model("text").addMessage(Message.user(List.of(
                ContentPart.text("What is this?"), ContentPart.imageUrl("https://example.com/cat.png")))).build();
        assertThatThrownBy(() -> router.chat(image).toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ChatRouterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NO_TARGET_AVAILABLE);
                    assertThat(e.metadata()).containsEntry("dropped", Map.of("t/m", "missing_capability:vision"));
                });
        assertThat(scripted.calls("t")).isEmpty();
    }

    @Test
    void streamDeliversChunksWithTheIntentAndStripsUnrequestedUsage() {
        router(FallbackConfig.DEFAULTS);
        ChatStream stream = router.stream(ChatRequest.builder().model("gpt-x").addMessage(Message.user("Hi"))
                .build());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.items()).allSatisfy(c -> assertThat(c.model()).isEqualTo("gpt-x"));
        assertThat(subscriber.items()).allSatisfy(c -> assertThat(c.usage()).isNull());
        assertThat(text(subscriber.items())).isEqualTo("ok from a");
        RoutingReport report = stream.report().toCompletableFuture().join();
        assertThat(report.target()).isEqualTo("a/m");
        assertThat(report.costUsd()).isPositive();
    }

    @Test
    void streamWithIncludeUsageEndsWithAUsageChunkCarryingCost() {
        router(FallbackConfig.DEFAULTS);
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(ChatRequest.builder().model("di").addMessage(Message.user("Hi"))
                .streamOptions(new StreamOptions(true, Map.of())).build()).subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        ChatChunk last = subscriber.items().get(subscriber.items().size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().cost()).isEqualTo(20e-6, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void streamFailsOverBeforeTheFirstContent() {
        router(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on()));
        scripted.script("a", fail(FailureKind.RATE_LIMIT));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        ChatStream stream = router.stream(hello("di"));
        stream.subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.completed()).isTrue();
        assertThat(text(subscriber.items())).isEqualTo("ok from b");
        assertThat(stream.report().toCompletableFuture().join().attempts()).hasSize(2);
    }

    @Test
    void streamFailingAfterContentEndsWithAnErrorNotACompletion() {
        router(FallbackConfig.DEFAULTS);
        scripted.script("a", streamThenFail("partial answer", FailureKind.CONNECTION));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(hello("di")).subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.completed()).isFalse();
        assertThat(text(subscriber.items())).isEqualTo("partial answer");
        assertThat(subscriber.error()).isInstanceOfSatisfying(ChatRouterException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_ERROR);
            assertThat(e.failureKind()).contains(FailureKind.CONNECTION);
        });
        assertThat(scripted.calls("b")).isEmpty();
    }

    @Test
    void streamHonoursDemandOneChunkAtATime() {
        router(FallbackConfig.DEFAULTS);
        scripted.script("a", reply("one two three four"));
        TestSubscriber<ChatChunk> subscriber = new TestSubscriber<>(1);
        router.stream(hello("di")).subscribe(subscriber);
        subscriber.awaitItems(1, WAIT);
        assertThat(subscriber.items()).hasSize(1);
        subscriber.request(2);
        subscriber.awaitItems(3, WAIT);
        assertThat(subscriber.items()).hasSize(3);
        subscriber.request(Long.MAX_VALUE);
        subscriber.awaitDone(WAIT);
        assertThat(text(subscriber.items())).isEqualTo("one two three four");
    }

    @Test
    void modelsListsRouteIdsAndExactMatchIds() {
        router(FallbackConfig.DEFAULTS);
        assertThat(router.models()).extracting(m -> m.id()).containsExactly("di", "text");
    }

    @Test
    void closedRouterRefusesRequests() {
        router(FallbackConfig.DEFAULTS);
        router.close();
        assertThatThrownBy(() -> router.chat(hello("di")).toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUTER_CLOSED));
    }

    /** Closing the router ends a request still waiting for its upstream with router_closed, at once. */
    @Test
    void closingTheRouterEndsRequestsInFlight() {
        router(FallbackConfig.DEFAULTS);
        scripted.script("a", ScriptedProviderFactory.delayed(Duration.ofMinutes(5), reply("too late")));
        CompletableFuture<?> pending = router.chat(hello("di")).toCompletableFuture();

        router.close();

        assertThatThrownBy(() -> pending.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                .cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUTER_CLOSED));
    }

    /**
     * Closing the router from the answer's own callback (on the thread that completed it, inside the request's run)
     * does not wait for that request: it has ended by then.
     */
    @Test
    void closingFromTheAnswersCallbackDoesNotWaitForItsOwnRequest() throws Exception {
        router(FallbackConfig.DEFAULTS);
        CompletableFuture<Void> closed = router.chat(hello("di")).toCompletableFuture().thenRun(router::close);
        // well under the 5 s that close() gives a request still running
        closed.get(2, java.util.concurrent.TimeUnit.SECONDS);
        assertThatThrownBy(() -> router.chat(hello("di")).toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ROUTER_CLOSED));
    }

    /** The same from a stream's end: the subscriber closes the router in its onComplete. */
    @Test
    void closingFromAStreamsEndDoesNotWaitForItsOwnRequest() throws Exception {
        router(FallbackConfig.DEFAULTS);
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.<ChatChunk>unbounded().atComplete(router::close);
        router.stream(hello("di")).subscribe(subscriber);
        // the close ran inside onComplete, well under the 5 s that close() gives a request still running
        subscriber.awaitDone(Duration.ofSeconds(2));
        assertThat(subscriber.completed()).isTrue();
    }

    @Test
    void cacheControlReachesOnlyTargetsWithPromptCache() {
        router(FallbackConfig.DEFAULTS);
        ChatRequest cached = ChatRequest.builder().model("di").addMessage(Message.user(List.of(
                new ContentPart.Text("long stable prefix", dev.chatrouter.api.chat.CacheControl.ephemeral(), Map.of()),
                ContentPart.text("question")))).build();
        router.chat(cached).toCompletableFuture().join();
        router.chat(cached.toBuilder().model("text").build()).toCompletableFuture().join();
        var toCaching = (dev.chatrouter.api.chat.Content.Parts) scripted.calls("a").get(0).request().messages().get(0)
                .content();
        var toPlain = (dev.chatrouter.api.chat.Content.Parts) scripted.calls("t").get(0).request().messages().get(0)
                .content();
        assertThat(toCaching.parts().get(0).cacheControl()).isNotNull();
        assertThat(toPlain.parts().get(0).cacheControl()).isNull();
        assertThat(toPlain.parts().get(0)).isEqualTo(ContentPart.text("long stable prefix"));
    }

    private static String text(List<ChatChunk> chunks) {
        StringBuilder sb = new StringBuilder();
        for (ChatChunk c : chunks) {
            for (var choice : c.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    sb.append(choice.delta().content());
                }
            }
        }
        return sb.toString();
    }
}
