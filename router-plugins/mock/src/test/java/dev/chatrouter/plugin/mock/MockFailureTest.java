package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.plugin.mock.Fixtures.await;
import static dev.chatrouter.plugin.mock.Fixtures.call;
import static dev.chatrouter.plugin.mock.Fixtures.failure;
import static dev.chatrouter.plugin.mock.Fixtures.provider;
import static dev.chatrouter.plugin.mock.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

class MockFailureTest {

    @ParameterizedTest(name = "fail: {0} gives status {1}")
    @CsvSource({"rate_limit, 429", "server, 500", "auth, 401", "bad_request, 400", "context_length, 400",
            "content_filter, 400", "timeout, 0", "connection, 0"})
    void everyCallFailsWithTheConfiguredKindAndItsStatus(String kind, int status) throws Exception {
        Provider failing = provider("fail", kind);

        for (int i = 0; i < 3; i++) {
            assertThat(failure(failing.chat(call(request("hi").build()))))
                    .isInstanceOfSatisfying(ProviderException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FailureKind.fromWireName(kind));
                        assertThat(e.status()).isEqualTo(status);
                        assertThat(e.getMessage()).contains("mock", kind);
                    });
        }
        assertThat(failure(failing.embed(embedCall("hi")))).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.kind()).isEqualTo(FailureKind.fromWireName(kind)));
    }

    @Test
    void aRateLimitAsksToRetryAfterOneSecondAndAContextLengthSaysSo() throws Exception {
        ProviderException rateLimited = (ProviderException) failure(
                provider("fail", "rate_limit").chat(call(request("hi").build())));
        ProviderException tooLong = (ProviderException) failure(
                provider("fail", "context_length").chat(call(request("hi").build())));

        assertThat(rateLimited.retryAfter()).hasValue(Duration.ofSeconds(1));
        assertThat(tooLong.upstreamCode()).hasValue("context_length_exceeded");
        assertThat(tooLong.retryAfter()).isEmpty();
    }

    @Test
    void failFirstTwoFailsTwiceWithServerThenSucceeds() throws Exception {
        Provider flaky = provider("fail_first", 2);

        for (int i = 0; i < 2; i++) {
            assertThat(failure(flaky.chat(call(request("hi").build()))))
                    .isInstanceOfSatisfying(ProviderException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
                        assertThat(e.status()).isEqualTo(500);
                    });
        }
        assertThat(await(flaky.chat(call(request("hi").build()))).text()).isEqualTo("Mock reply to: hi");
        assertThat(await(flaky.chat(call(request("hi").build()))).text()).isEqualTo("Mock reply to: hi");
    }

    @Test
    void failFirstUsesTheKindOfFailAndCountsStreamsAndEmbeddingsToo() throws Exception {
        Provider flaky = provider("fail_first", "2", "fail", "rate_limit");

        RecordingSubscriber stream = new RecordingSubscriber(1);
        flaky.stream(call(request("hi").build())).subscribe(stream);
        assertThat(stream.awaitError()).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT));
        assertThat(failure(flaky.embed(embedCall("hi")))).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT));
        assertThat(await(flaky.chat(call(request("hi").build())))).isNotNull();
    }

    @Test
    void failFirstIsCountedExactlyUnderConcurrentCalls() throws Exception {
        Provider flaky = provider("fail_first", 50);
        List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();

        for (int i = 0; i < 400; i++) {
            outcomes.add(CompletableFuture.supplyAsync(() -> flaky.chat(call(request("hi").build())))
                    .thenCompose(stage -> stage.handle((response, error) -> error == null)));
        }

        long failures = 0;
        for (CompletableFuture<Boolean> outcome : outcomes) {
            failures += outcome.get(5, TimeUnit.SECONDS) ? 0 : 1;
        }
        assertThat(failures).isEqualTo(50);
    }

    @Test
    void latencyDelaysTheAnswerWithoutBlockingTheCaller() throws Exception {
        Provider slow = provider("latency_ms", 200);
        long start = System.nanoTime();

        CompletableFuture<ChatResponse> answer = slow.chat(call(request("hi").build())).toCompletableFuture();
        long returnedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(returnedAfter).isLessThan(150);
        assertThat(answer).isNotDone();
        assertThat(answer.get(5, TimeUnit.SECONDS).text()).isEqualTo("Mock reply to: hi");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(200);
    }

    @Test
    void latencyDelaysFailuresToo() throws Exception {
        long start = System.nanoTime();

        Throwable error = failure(provider("latency_ms", 100, "fail", "server").chat(call(request("hi").build())));

        assertThat(error).isInstanceOf(ProviderException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(100);
    }

    @Test
    void aDeadlineBeforeTheLatencyEndsTimesOutAtTheDeadline() throws Exception {
        ProviderCall call = new ProviderCall("req-1", ModelSpec.of("echo"), request("hi").build(),
                Fixtures.NOW.plusMillis(50));
        long start = System.nanoTime();

        Throwable error = failure(provider("latency_ms", 10_000).chat(call));

        assertThat(error).isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(e.status()).isZero();
        });
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(50L, 5_000L);
    }

    @Test
    void aDeadlineAfterTheLatencyIsMet() throws Exception {
        ProviderCall call = new ProviderCall("req-1", ModelSpec.of("echo"), request("hi").build(),
                Fixtures.NOW.plusSeconds(1));

        assertThat(await(provider("latency_ms", 10).chat(call)).text()).isEqualTo("Mock reply to: hi");
    }

    static EmbeddingCall embedCall(String text) {
        return new EmbeddingCall("req-1", ModelSpec.of("embed"), EmbeddingRequest.of("embed", text), null);
    }
}
