package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.tree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router's stream and chat over the openai plugin, against an upstream whose every write the test controls:
 * the router passes each chunk on as it arrives, and a caller who goes away closes the upstream connection.
 */
class RoutedStreamingTest {

    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(2);
    private RawUpstream upstream;
    private ChatRouter router;

    @BeforeEach
    void start() throws Exception {
        upstream = new RawUpstream();
        router = ChatRouter.builder()
                .provider(ProviderSpec.builder("up", "openai").baseUrl(upstream.baseUrl()).apiKey(Upstreams.API_KEY)
                        .model(new ModelSpec("mini", Upstreams.MODEL, Price.FREE, 0, 0,
                                Set.of(Capability.STREAMING)))
                        .build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "up/mini")).build())
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        upstream.close();
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build();
    }

    @Test
    void eachChunkReachesTheCallerBeforeTheUpstreamSendsTheNext() throws Exception {
        List<String> events = OpenAiStreamingTest.fixtureEvents("di-stream-haiku");
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            assertThat(tree(exchange.body).get("model").asText()).isEqualTo(Upstreams.MODEL);
            exchange.startEventStream();
            // The role chunk carries no content: the router holds it until the first content (its failover point).
            exchange.event(events.get(0));
            for (int i = 1; i < events.size(); i++) {
                exchange.event(events.get(i));
                subscriber.awaitItems(i + 1, WAIT);
                assertThat(subscriber.items()).hasSize(i + 1);
                assertThat(subscriber.terminalSignals()).isZero();
            }
            exchange.event("[DONE]");
            subscriber.awaitDone(WAIT);
            exchange.end();
        }
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.items()).allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("di"));
        RoutingReport report = stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(report.target()).isEqualTo("up/mini");
        assertThat(report.attempts()).singleElement().satisfies(a -> assertThat(a.succeeded()).isTrue());
    }

    @Test
    void cancellingARoutedStreamClosesTheUpstreamConnectionAndEndsTheReport() throws Exception {
        List<String> events = OpenAiStreamingTest.fixtureEvents("di-stream-haiku");
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            exchange.startEventStream().event(events.get(0)).event(events.get(1));
            subscriber.awaitItems(2, WAIT);

            subscriber.cancel();

            assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).as("upstream connection closed").isTrue();
        }
        RoutingReport report = stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(report.target()).isEqualTo("up/mini");
        assertThat(subscriber.terminalSignals()).isZero();
    }

    @Test
    void cancellingARoutedChatClosesTheUpstreamConnection() throws Exception {
        CompletableFuture<ChatResult> chat = router.chat(hello()).toCompletableFuture();

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            assertThat(chat.cancel(true)).isTrue();

            assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).as("upstream connection closed").isTrue();
        }
    }
}
