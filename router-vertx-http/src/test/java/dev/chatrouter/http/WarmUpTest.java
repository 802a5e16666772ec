package dev.chatrouter.http;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm-up ends when the JIT goes quiet, or at its configured most, and its requests succeed. */
class WarmUpTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** Proves a quiet JIT ends the warm-up after its minimum, long before the configured most. */
    @Test
    void aQuietJitEndsItAfterTheMinimum() {
        // given a JIT that compiles nothing more
        // when the warm-up may run for 30 s
        WarmUp.Result result = WarmUp.run(vertx, Duration.ofSeconds(30), 1, () -> 1_000L, 20);
        // then it ran its requests without a failure and stopped soon after the minimum, because the JIT was quiet
        assertThat(result.quiet()).isTrue();
        // (the bound leaves room for a cold, busy machine, where building the throwaway server takes seconds)
        assertThat(result.millis()).isBetween(WarmUp.MIN_MILLIS, 20_000L);
        assertThat(result.sent()).isPositive();
        assertThat(result.failed()).isZero();
    }

    /** Proves a JIT that keeps compiling keeps the warm-up going until the configured most. */
    @Test
    void aBusyJitKeepsItGoingToTheConfiguredMost() {
        // given a JIT that compiles all the time: its total grows as fast as the clock
        long start = System.nanoTime();
        AtomicLong reads = new AtomicLong();
        // when the warm-up may run for 3 s
        WarmUp.Result result = WarmUp.run(vertx, Duration.ofSeconds(3), 1, () -> {
            reads.incrementAndGet();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }, 20);
        // then it ran the whole 3 s (and not much more), sampling the JIT as it went
        assertThat(result.quiet()).isFalse();
        assertThat(result.millis()).isBetween(3_000L, 20_000L);
        assertThat(reads.get()).isGreaterThan(4);
        assertThat(result.failed()).isZero();
    }

    /** Proves a quiet JIT does not end the warm-up before its fewest requests: on a starved machine it is not warm. */
    @Test
    void aQuietJitBeforeTheFewestRequestsDoesNotEndIt() {
        // given a JIT that compiles nothing, and a warm-up that needs more requests than 3 s can send
        WarmUp.Result result = WarmUp.run(vertx, Duration.ofSeconds(3), 1, () -> 1_000L, Long.MAX_VALUE);
        // then it ran the whole 3 s
        assertThat(result.quiet()).isFalse();
        assertThat(result.millis()).isBetween(3_000L, 20_000L);
        assertThat(result.failed()).isZero();
    }

    /** Proves a zero duration turns the warm-up off. */
    @Test
    void zeroTurnsItOff() {
        assertThat(WarmUp.run(vertx, Duration.ZERO, 1, () -> 0L, 0)).isEqualTo(WarmUp.Result.NONE);
    }

    /** Proves the requests take every body to every intent, and the reasoning ask is a new prompt each time. */
    @Test
    void itsRequestsVaryAsRealOnesDo() {
        java.util.Set<String> pairs = new java.util.HashSet<>();
        java.util.Set<String> asks = new java.util.HashSet<>();
        for (int n = 0; n < 16; n++) {
            String body = WarmUp.body(n);
            String model = body.substring(0, body.indexOf(',') + 1);
            String rest = body.substring(body.indexOf(',') + 1);
            pairs.add(model + (rest.contains("Prove that") ? "ask" : rest));
            if (rest.contains("Prove that")) {
                asks.add(rest);
            }
        }
        assertThat(pairs).hasSize(16); // four intents, each with the three fixed bodies and the ask
        assertThat(asks).hasSize(4);
        assertThat(pairs).anyMatch(p -> p.contains("\"model\":\"warm-up\""))
                .anyMatch(p -> p.contains("\"model\":\"gpt-4o-mini\""))
                .anyMatch(p -> p.contains("\"model\":\"open-llama\""))
                .anyMatch(p -> p.contains("\"model\":\"unrouted\""));
    }
}
