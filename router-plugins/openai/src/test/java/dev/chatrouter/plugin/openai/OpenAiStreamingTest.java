package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.Timeouts;
import dev.chatrouter.core.testing.TestSubscriber;
import dev.chatrouter.kit.wire.WireCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.call;
import static dev.chatrouter.plugin.openai.Upstreams.fixture;
import static dev.chatrouter.plugin.openai.Upstreams.hello;
import static dev.chatrouter.plugin.openai.Upstreams.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Streams against an upstream whose every write the test controls: chunks reach the subscriber as they are sent,
 * not when the answer ends, and cancelling a stream or a chat closes the upstream connection.
 */
class OpenAiStreamingTest {

    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(2);
    private static Upstreams.TestContext context;
    private RawUpstream upstream;
    private Provider provider;

    @BeforeAll
    static void startVertx() {
        context = new Upstreams.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @BeforeEach
    void start() throws Exception {
        upstream = new RawUpstream();
        provider = Upstreams.provider(spec(upstream.baseUrl()).timeouts(
                new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))).build(), context);
    }

    @AfterEach
    void stop() throws Exception {
        provider.close();
        upstream.close();
    }

    /** The data lines of a fixture stream, without {@code [DONE]}. */
    static List<String> fixtureEvents(String name) {
        return fixture("chunks/" + name + ".jsonl").lines().filter(line -> !line.isBlank()).toList();
    }

    @Test
    void eachChunkReachesTheSubscriberBeforeTheUpstreamSendsTheNext() throws Exception {
        List<String> events = fixtureEvents("di-stream-haiku");
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            assertThat(exchange.requestLine).isEqualTo("POST /v1/chat/completions HTTP/1.1");
            assertThat(exchange.headers).containsEntry("accept", "text/event-stream")
                    .containsEntry("authorization", "Bearer " + Upstreams.API_KEY);
            assertThat(Upstreams.tree(exchange.body).get("stream").asBoolean()).isTrue();
            exchange.startEventStream();
            for (int i = 0; i < events.size(); i++) {
                exchange.event(events.get(i));
                // The upstream holds the next chunk until this one has reached the subscriber.
                subscriber.awaitItems(i + 1, WAIT);
                assertThat(subscriber.items()).hasSize(i + 1);
                assertThat(subscriber.terminalSignals()).isZero();
            }
            exchange.event("[DONE]");
            subscriber.awaitDone(WAIT);
            assertThat(subscriber.completed()).isTrue();
            assertThat(subscriber.error()).isNull();
            exchange.end();
        }
        assertThat(subscriber.items()).isEqualTo(events.stream().map(WireCodec::readChatChunk).toList());
    }

    @Test
    void anEventSplitAcrossWritesInsideAMultiByteCharacterArrivesWhole() throws Exception {
        String event = fixtureEvents("di-stream-haiku").stream().filter(e -> e.contains("\u2014")).findFirst()
                .orElseThrow();
        byte[] bytes = ("data: " + event + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        int dash = new String(bytes, StandardCharsets.ISO_8859_1).indexOf('\u00e2'); // the dash's first byte
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            exchange.startEventStream().send(Arrays.copyOfRange(bytes, 0, dash + 1));
            exchange.send(Arrays.copyOfRange(bytes, dash + 1, bytes.length - 1));
            exchange.send(Arrays.copyOfRange(bytes, bytes.length - 1, bytes.length));
            subscriber.awaitItems(1, WAIT);
            exchange.event("[DONE]").end();
            subscriber.awaitDone(WAIT);
        }
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.items()).containsExactly(WireCodec.readChatChunk(event));
        assertThat(subscriber.items().get(0).choices().get(0).delta().content()).contains("\u2014");
    }

    @Test
    void theUpstreamIsReadOnlyAsFastAsTheSubscriberRequests() throws Exception {
        List<String> events = fixtureEvents("di-stream-haiku");
        TestSubscriber<ChatChunk> subscriber = new TestSubscriber<>(1);
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            exchange.startEventStream();
            for (String event : events) {
                exchange.event(event);
            }
            exchange.event("[DONE]").end();
            subscriber.awaitItems(1, WAIT);
            subscriber.request(2);
            subscriber.awaitItems(3, WAIT);
            assertThat(subscriber.items()).hasSize(3);
            assertThat(subscriber.terminalSignals()).isZero();
            subscriber.request(Long.MAX_VALUE);
            subscriber.awaitDone(WAIT);
        }
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.items()).hasSize(events.size());
    }

    @Test
    void cancellingAStreamClosesTheUpstreamConnection() throws Exception {
        List<String> events = fixtureEvents("di-stream-haiku");
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            exchange.startEventStream().event(events.get(0));
            subscriber.awaitItems(1, WAIT);

            subscriber.cancel();

            assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).as("upstream connection closed").isTrue();
        }
        assertThat(subscriber.items()).hasSize(1);
        assertThat(subscriber.terminalSignals()).isZero();
    }

    @Test
    void cancellingAStreamBeforeTheResponseHeadClosesTheUpstreamConnection() throws Exception {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            subscriber.cancel();

            assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).as("upstream connection closed").isTrue();
        }
        assertThat(subscriber.terminalSignals()).isZero();
    }

    @Test
    void cancellingAChatWhileTheUpstreamThinksClosesTheUpstreamConnection() throws Exception {
        CompletableFuture<ChatResponse> chat = provider.chat(call(hello().build())).toCompletableFuture();

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            assertThat(exchange.headers).containsEntry("accept", "application/json");

            assertThat(chat.cancel(true)).isTrue();

            assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).as("upstream connection closed").isTrue();
        }
        assertThat(chat).isCancelled();
    }

    @Test
    void aHealthyStreamDoesNotCloseTheConnection() throws Exception {
        // The contrast to the cancellation tests: a stream read to its end leaves the connection open for reuse.
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);

        try (RawUpstream.Exchange exchange = upstream.accept()) {
            exchange.startEventStream().event(fixtureEvents("di-stream-haiku").get(1)).event("[DONE]").end();
            subscriber.awaitDone(WAIT);
            assertThat(subscriber.completed()).isTrue();

            assertThat(exchange.closedByClientWithin(Duration.ofMillis(300))).isFalse();
        }
    }

    @Test
    void aStreamThatStallsAfterItsFirstTokenTimesOutAtTheTotalTimeout() throws Exception {
        Provider tight = Upstreams.provider(spec(upstream.baseUrl()).timeouts(
                new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofMillis(600))).build(), context);
        try {
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            tight.stream(call(hello().build())).subscribe(subscriber);
            try (RawUpstream.Exchange exchange = upstream.accept()) {
                exchange.startEventStream().event(fixtureEvents("di-stream-haiku").get(1));

                subscriber.awaitDone(WAIT);

                assertThat(subscriber.items()).hasSize(1);
                assertThat(subscriber.error()).isInstanceOfSatisfying(ProviderException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT);
                    assertThat(e.getMessage()).isEqualTo("stream not complete within 600 ms");
                });
                assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).isTrue();
            }
        } finally {
            tight.close();
        }
    }

    /** Proves first_token_ms ends its watch at the first token: a stream may run on past it, up to the total. */
    @Test
    void aStreamWhoseFirstTokenCameInTimeRunsOnPastTheFirstTokenTimeout() throws Exception {
        // given a first_token_ms of 200 ms and a total of 30 s
        Provider tight = Upstreams.provider(spec(upstream.baseUrl()).timeouts(
                new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(30))).build(), context);
        try {
            List<String> events = fixtureEvents("di-stream-haiku");
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            tight.stream(call(hello().build())).subscribe(subscriber);
            try (RawUpstream.Exchange exchange = upstream.accept()) {
                // when the first token comes at once, and the rest only after twice first_token_ms
                exchange.startEventStream().event(events.get(0)).event(events.get(1));
                subscriber.awaitItems(2, WAIT);
                Thread.sleep(400);
                for (String event : events.subList(2, events.size())) {
                    exchange.event(event);
                }
                exchange.event("[DONE]");
                subscriber.awaitDone(WAIT);
                exchange.end();
            }
            // then the whole stream arrives, and no timeout ended it
            assertThat(subscriber.error()).isNull();
            assertThat(subscriber.completed()).isTrue();
            assertThat(subscriber.items()).hasSize(events.size());
        } finally {
            tight.close();
        }
    }

    /** Proves a role-only first chunk does not count as the first token: first_token_ms still fires. */
    @Test
    void aStreamThatSendsOnlyARoleChunkTimesOutAtTheFirstTokenTimeout() throws Exception {
        // given a first_token_ms far below the total timeout
        Provider tight = Upstreams.provider(spec(upstream.baseUrl()).timeouts(
                new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofSeconds(30))).build(), context);
        try {
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            long start = System.nanoTime();
            tight.stream(call(hello().build())).subscribe(subscriber);
            try (RawUpstream.Exchange exchange = upstream.accept()) {
                // when the upstream sends the assistant's role, then stalls
                exchange.startEventStream().event("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                        + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
                subscriber.awaitDone(WAIT);
                // then the stream fails as a first-token timeout, long before the total timeout
                assertThat(subscriber.error()).isInstanceOfSatisfying(ProviderException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT);
                    assertThat(e.getMessage()).contains("no first token");
                });
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
                assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).isTrue();
            }
        } finally {
            tight.close();
        }
    }

    @Test
    void aChatThatTimesOutClosesTheUpstreamConnection() throws Exception {
        Provider tight = Upstreams.provider(spec(upstream.baseUrl()).timeouts(
                new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(300))).build(), context);
        try {
            CompletableFuture<ChatResponse> chat = tight.chat(call(hello().build())).toCompletableFuture();
            try (RawUpstream.Exchange exchange = upstream.accept()) {
                assertThatThrownBy(() -> chat.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                        .cause().isInstanceOfSatisfying(ProviderException.class,
                                e -> assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT));
                assertThat(exchange.closedByClientWithin(CLOSE_WITHIN)).isTrue();
            }
        } finally {
            tight.close();
        }
    }
}
