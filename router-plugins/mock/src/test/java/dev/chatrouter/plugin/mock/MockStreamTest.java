package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.plugin.mock.Fixtures.await;
import static dev.chatrouter.plugin.mock.Fixtures.call;
import static dev.chatrouter.plugin.mock.Fixtures.failure;
import static dev.chatrouter.plugin.mock.Fixtures.provider;
import static dev.chatrouter.plugin.mock.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

class MockStreamTest {

    final Provider mock = provider();

    @Test
    void oneAtATimeTheStreamSaysWhatChatSaysThenUsageThenCompletes() throws Exception {
        ChatRequest request = request("Tell me  a\tstory, please").build();
        ChatResponse response = await(mock.chat(call(request)));
        RecordingSubscriber subscriber = new RecordingSubscriber(1);

        mock.stream(call(request.toBuilder().stream(true).build())).subscribe(subscriber);
        List<ChatChunk> chunks = subscriber.awaitCompletion();

        assertThat(subscriber.violations).isEmpty();
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.id()).isEqualTo(response.id());
            assertThat(chunk.object()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.created()).isEqualTo(response.created());
            assertThat(chunk.model()).isEqualTo("echo");
        });
        ChunkChoice first = chunks.get(0).choices().get(0);
        assertThat(first.delta().role()).isEqualTo(Role.ASSISTANT);
        assertThat(first.delta().content()).isEmpty();
        assertThat(content(chunks, 0)).isEqualTo(response.text());
        assertThat(chunks.subList(1, chunks.size() - 2)).extracting(c -> c.choices().get(0).delta().content())
                .containsExactly("Mock ", "reply ", "to: ", "Tell ", "me  ", "a\t", "story, ", "please");
        ChunkChoice finish = chunks.get(chunks.size() - 2).choices().get(0);
        assertThat(finish.finishReason()).isEqualTo("stop");
        assertThat(finish.delta().hasContent()).isFalse();
        ChatChunk usage = chunks.get(chunks.size() - 1);
        assertThat(usage.choices()).isEmpty();
        assertThat(usage.usage()).isEqualTo(response.usage());
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(chunk -> assertThat(chunk.usage()).isNull());
    }

    @Test
    void requestingFromInsideOnNextDoesNotGrowTheStack() throws Exception {
        String reply = "word ".repeat(200_000);
        RecordingSubscriber subscriber = new RecordingSubscriber(1);

        provider("reply", reply).stream(call(request("x").build())).subscribe(subscriber);

        assertThat(subscriber.awaitCompletion()).hasSize(200_000 + 3);
        assertThat(subscriber.maxDepth).isEqualTo(1);
        assertThat(subscriber.violations).isEmpty();
    }

    @Test
    void unboundedDemandGetsEverythingAndDemandNeverOverflows() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(0);
        mock.stream(call(request("hi there").build())).subscribe(subscriber);

        subscriber.request(Long.MAX_VALUE);
        subscriber.subscription.request(Long.MAX_VALUE);

        assertThat(content(subscriber.awaitCompletion(), 0)).isEqualTo("Mock reply to: hi there");
    }

    @Test
    void nothingIsSentOrCountedBeforeTheFirstRequest() throws Exception {
        Provider failsOnce = provider("fail_first", 1);
        RecordingSubscriber idle = new RecordingSubscriber(0);

        failsOnce.stream(call(request("hi").build())).subscribe(idle);

        assertThat(idle.chunks).isEmpty();
        assertThat(idle.done).isNotDone();
        assertThat(failure(failsOnce.chat(call(request("hi").build()))))
                .as("the idle stream made no call, so this is the first").isInstanceOf(ProviderException.class);
    }

    @Test
    void aCancelledStreamSendsNothingMore() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(0);
        mock.stream(call(request("one two three four five six").build())).subscribe(subscriber);

        subscriber.request(3);
        subscriber.subscription.cancel();
        subscriber.request(10);

        assertThat(subscriber.chunks).hasSize(3);
        assertThat(subscriber.done).isNotDone();
        assertThat(subscriber.violations).isEmpty();
    }

    @Test
    void aStreamCancelledDuringItsLatencySendsNothing() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(1);
        provider("latency_ms", 50).stream(call(request("hi").build())).subscribe(subscriber);

        subscriber.subscription.cancel();
        TimeUnit.MILLISECONDS.sleep(300);

        assertThat(subscriber.chunks).isEmpty();
        assertThat(subscriber.done).isNotDone();
    }

    @Test
    void aNonPositiveRequestFailsTheStream() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(0);
        mock.stream(call(request("hi").build())).subscribe(subscriber);

        subscriber.subscription.request(0);

        assertThat(subscriber.awaitError()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
        assertThat(subscriber.chunks).isEmpty();
    }

    @Test
    void aStreamedToolCallAssemblesToTheChatToolCall() throws Exception {
        ChatRequest request = request("order").tools(List.of(Tool.function("place_order", null,
                MockChatTest.ORDER_SCHEMA))).build();
        ToolCall expected = await(mock.chat(call(request))).choices().get(0).message().toolCalls().get(0);
        RecordingSubscriber subscriber = new RecordingSubscriber(1);

        mock.stream(call(request)).subscribe(subscriber);
        List<ChatChunk> chunks = subscriber.awaitCompletion();

        ToolCall head = chunks.get(0).choices().get(0).delta().toolCalls().get(0);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo(Role.ASSISTANT);
        assertThat(chunks.get(0).choices().get(0).delta().content()).isNull();
        assertThat(head.index()).isZero();
        assertThat(head.id()).isEqualTo(expected.id());
        assertThat(head.type()).isEqualTo("function");
        assertThat(head.function().name()).isEqualTo(expected.function().name());
        assertThat(head.function().arguments()).isEmpty();
        StringBuilder arguments = new StringBuilder();
        for (ChatChunk chunk : chunks.subList(1, chunks.size() - 2)) {
            ToolCall fragment = chunk.choices().get(0).delta().toolCalls().get(0);
            assertThat(fragment.index()).isZero();
            assertThat(fragment.id()).isNull();
            arguments.append(fragment.function().arguments());
        }
        assertThat(chunks.size()).as("arguments come in several fragments").isGreaterThan(5);
        assertThat(arguments.toString()).isEqualTo(expected.function().arguments());
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void argumentsAreFragmentedLikeOpenAiDoes() {
        assertThat(MockCompletion.fragments("{\"city\":\"Paris\"}"))
                .containsExactly("{\"", "city", "\":\"", "Paris", "\"}");
    }

    @Test
    void eachOfNChoicesIsStreamedUnderItsIndex() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(1);

        mock.stream(call(request("hi").n(2).build())).subscribe(subscriber);
        List<ChatChunk> chunks = subscriber.awaitCompletion();

        assertThat(content(chunks, 0)).isEqualTo("Mock reply to: hi");
        assertThat(content(chunks, 1)).isEqualTo("Mock reply to: hi");
        assertThat(chunks).filteredOn(c -> !c.choices().isEmpty() && c.choices().get(0).finishReason() != null)
                .extracting(c -> c.choices().get(0).index()).containsExactly(0, 1);
    }

    @Test
    void aFailingStreamFailsBeforeAnyChunk() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(1);

        provider("fail", "context_length").stream(call(request("hi").build())).subscribe(subscriber);

        assertThat(subscriber.awaitError()).isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.CONTEXT_LENGTH);
            assertThat(e.upstreamCode()).hasValue("context_length_exceeded");
        });
        assertThat(subscriber.chunks).isEmpty();
        assertThat(subscriber.violations).isEmpty();
    }

    @Test
    void latencyDelaysTheFirstChunkOnly() throws Exception {
        RecordingSubscriber subscriber = new RecordingSubscriber(1);
        long start = System.nanoTime();

        provider("latency_ms", 100).stream(call(request("hi").build())).subscribe(subscriber);
        assertThat(subscriber.chunks).as("nothing on the requesting thread").isEmpty();
        List<ChatChunk> chunks = subscriber.awaitCompletion();

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(100);
        assertThat(content(chunks, 0)).isEqualTo("Mock reply to: hi");
        assertThat(subscriber.violations).isEmpty();
    }

    /** The text of choice {@code index}, joined from its deltas. */
    static String content(List<ChatChunk> chunks, int index) {
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : chunks) {
            for (ChunkChoice choice : chunk.choices()) {
                if (choice.index() == index && choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
            }
        }
        return text.toString();
    }
}
