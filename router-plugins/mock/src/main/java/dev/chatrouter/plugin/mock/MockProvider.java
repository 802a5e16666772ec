package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The mock provider: answers from {@link MockCompletion} and {@link MockEmbeddings}, fails as its options say.
 * Every call (a chat, a stream's first request, an embedding) goes through {@link #plan}: it counts towards
 * {@code fail_first}, and its answer or failure arrives after {@code latency_ms}; when the call's deadline comes
 * first, it fails with {@code timeout} at the deadline instead.
 */
final class MockProvider implements Provider {

    private final String id;
    private final MockOptions options;
    private final Clock clock;
    private final AtomicLong failed = new AtomicLong();

    MockProvider(String id, MockOptions options, Clock clock) {
        this.id = id;
        this.options = options;
        this.clock = clock;
    }

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        return plan(call.deadline(), () -> answer(call).toResponse()).deliver();
    }

    @Override
    public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
        return new ChunkPublisher(() -> plan(call.deadline(), () -> answer(call).toChunks()));
    }

    @Override
    public CompletionStage<EmbeddingResponse> embed(EmbeddingCall call) {
        return plan(call.deadline(), () -> MockEmbeddings.embed(call.request())).deliver();
    }

    @Override
    public void close() {
        // nothing to release: no connections, no threads of its own
    }

    private MockCompletion answer(ProviderCall call) {
        return MockCompletion.answer(call.request(), options.reply(), clock.instant().getEpochSecond());
    }

    /** Decides one call: the configured failure, a timeout, or the answer; and when it arrives. */
    private <T> Planned<T> plan(Instant deadline, Supplier<T> answer) {
        Duration delay = options.latency();
        ProviderException failure = null;
        long failures = options.failures();
        if (failed.getAndUpdate(count -> count < failures ? count + 1 : count) < failures) {
            failure = MockFailures.of(options.failKind(), "mock provider '" + id + "' fails as configured ("
                    + (failures == Long.MAX_VALUE ? "fail: " + options.failKind().wireName()
                    : "fail_first: " + failures) + ")");
        }
        if (deadline != null) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.compareTo(delay) <= 0) {
                return new Planned<>(left.isNegative() ? Duration.ZERO : left, null, MockFailures.of(
                        FailureKind.TIMEOUT, "mock provider '" + id + "' answers after latency_ms "
                                + delay.toMillis() + " but the deadline was " + left.toMillis() + " ms away"));
            }
        }
        if (failure != null) {
            return new Planned<>(delay, null, failure);
        }
        try {
            return new Planned<>(delay, answer.get(), null);
        } catch (ProviderException e) {
            return new Planned<>(delay, null, e);
        } catch (RuntimeException e) {
            return new Planned<>(delay, null, new ProviderException(FailureKind.SERVER, 500,
                    "mock provider '" + id + "' failed: " + e, "server_error", null, null, e));
        }
    }

    @Override
    public String toString() {
        return "MockProvider[" + id + ", " + options + "]";
    }
}
