package dev.chatrouter.core.dispatch;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What a request tries next: retries, fallback, hedges, skipped targets and the deadline. */
class FallbackSequenceTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final Target a = target("a", 0);
    private final Target b = target("b", 0);
    private final Target c = target("c", 0);

    private static Target target(String provider, int window) {
        return new Target(provider + "/m", provider, null,
                new ModelSpec("m", null, Price.FREE, window, 0, Set.of()));
    }

    private FallbackSequence sequence(int maxAttempts, int retries, Instant deadline) {
        return new FallbackSequence(List.of(a, b, c), new FallbackConfig(maxAttempts, retries,
                FallbackConfig.DEFAULTS.on()), clock, deadline, () -> 0.5);
    }

    private static ProviderException failure(FailureKind kind, Duration retryAfter) {
        return new ProviderException(kind, 0, "scripted " + kind.wireName(), null, null, retryAfter, null);
    }

    @Test
    void aHedgeTakesTheNextCandidateAndCountsAsAnAttempt() {
        FallbackSequence sequence = sequence(2, 1, null);
        sequence.first();
        FallbackSequence.Step hedge = sequence.hedge();
        assertThat(hedge.target()).isEqualTo(b);
        assertThat(hedge.delay()).isZero();
        assertThat(sequence.hedge()).as("max_attempts reached").isNull();
        assertThat(sequence.next(failure(FailureKind.SERVER, null), b)).isNull();
    }

    @Test
    void whenTheFirstAttemptFailsLastAfterItsHedgeTheSequenceMovesOnInsteadOfRetryingIt() {
        FallbackSequence sequence = sequence(5, 2, null);
        sequence.first();
        sequence.hedge();
        FallbackSequence.Step next = sequence.next(failure(FailureKind.SERVER, null), a);
        assertThat(next.target()).isEqualTo(c);
        assertThat(next.delay()).isZero();
    }

    @Test
    void aSkippedTargetDoesNotCountAndIsReportedAsCoolingDown() {
        FallbackSequence sequence = sequence(2, 0, null);
        FallbackSequence.Step skipped = sequence.skip(sequence.first(), "cooling_down");
        assertThat(skipped.target()).isEqualTo(b);
        assertThat(sequence.skipped()).containsExactly(new DroppedTarget("a/m", "cooling_down"));
        assertThat(sequence.next(failure(FailureKind.SERVER, null)).target())
                .as("the skip left room for a second attempt").isEqualTo(c);
    }

    @Test
    void skippingEveryTargetBeforeAnyAttemptIsNoTargetAvailable() {
        FallbackSequence sequence = sequence(3, 0, null);
        FallbackSequence.Step step = sequence.first();
        while (step != null) {
            step = sequence.skip(step, step.target() == b ? "budget_exhausted:provider:b" : "cooling_down");
        }
        ChatRouterException e = sequence.failure();
        assertThat(e.code()).isEqualTo(ErrorCode.NO_TARGET_AVAILABLE);
        assertThat(e.metadata().get("dropped")).isEqualTo(Map.of("a/m", "cooling_down",
                "b/m", "budget_exhausted:provider:b", "c/m", "cooling_down"));
    }

    @Test
    void aRetryAfterThatFitsTheDeadlineIsHonouredExactly() {
        FallbackSequence sequence = sequence(3, 1, T0.plusSeconds(5));
        sequence.first();
        FallbackSequence.Step retry = sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(2)));
        assertThat(retry.target()).isEqualTo(a);
        assertThat(retry.delay()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aRetryAfterPastTheDeadlineMovesOnOrEndsWithTimeout() {
        FallbackSequence sequence = new FallbackSequence(List.of(a, b), new FallbackConfig(3, 1,
                FallbackConfig.DEFAULTS.on()), clock, T0.plusSeconds(5), () -> 0.5);
        sequence.first();
        FallbackSequence.Step next = sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(10)));
        assertThat(next.target()).as("moves on without waiting").isEqualTo(b);
        assertThat(next.delay()).isZero();

        assertThat(sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(10)))).isNull();
        ChatRouterException e = sequence.failure();
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(10));
    }

    @Test
    void nothingStartsOnceTheDeadlineHasPassed() {
        FallbackSequence sequence = sequence(3, 1, T0.plusSeconds(1));
        sequence.first();
        clock.advance(Duration.ofSeconds(1));
        assertThat(sequence.next(failure(FailureKind.SERVER, null))).isNull();
        assertThat(sequence.hedge()).isNull();
        assertThat(sequence.failure().code()).isEqualTo(ErrorCode.TIMEOUT);
    }

    @Test
    void contextLengthSkipsCandidatesWithoutALargerWindow() {
        Target small = target("s", 8_000);
        Target same = target("t", 8_000);
        Target large = target("l", 128_000);
        FallbackSequence sequence = new FallbackSequence(List.of(small, same, large), FallbackConfig.DEFAULTS, clock,
                null, () -> 0.5);
        sequence.first();
        assertThat(sequence.next(failure(FailureKind.CONTEXT_LENGTH, null)).target()).isEqualTo(large);
    }

    /** Proves a Retry-After over max_retry_wait moves on to the next target, and a shorter one is waited for. */
    @Test
    void aRetryAfterOverTheMaxRetryWaitMovesOnAndAShorterOneIsWaitedFor() {
        // given a route that waits at most 10 s for an upstream's retry delay, and no deadline
        FallbackSequence sequence = new FallbackSequence(List.of(a, b, c), new FallbackConfig(5, 1,
                FallbackConfig.DEFAULTS.on(), Duration.ofSeconds(10)), clock, null, () -> 0.5);
        sequence.first();
        // when the first target asks for two minutes
        FallbackSequence.Step next = sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(120)), a);
        // then the next target starts at once
        assertThat(next.target()).isEqualTo(b);
        assertThat(next.delay()).isZero();
        // and when that one asks for two seconds, it is retried after them
        FallbackSequence.Step retry = sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(2)), b);
        assertThat(retry.target()).isEqualTo(b);
        assertThat(retry.delay()).isEqualTo(Duration.ofSeconds(2));
    }

    /** Proves that when the last target asks for too long a wait, the request ends as rate limited at once. */
    @Test
    void aRetryAfterOverTheMaxRetryWaitOnTheLastTargetEndsAsRateLimited() {
        // given one target and a 10 s max_retry_wait
        FallbackSequence sequence = new FallbackSequence(List.of(a), new FallbackConfig(3, 1,
                FallbackConfig.DEFAULTS.on(), Duration.ofSeconds(10)), clock, null, () -> 0.5);
        sequence.first();
        ProviderException limited = failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(120));
        sequence.record(new dev.chatrouter.api.Attempt("a/m", FailureKind.RATE_LIMIT, 429, "scripted", Duration.ZERO,
                null, Duration.ZERO, false));
        // when it asks for two minutes
        assertThat(sequence.next(limited, a)).isNull();
        // then the request fails as rate limited, passing the upstream's delay on to the caller
        ChatRouterException e = sequence.failure();
        assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
    }

    /**
     * Proves a request that every target rate limited tells the caller the soonest any of them said it may come
     * back: the first target's short wait, not the last one's long one.
     */
    @Test
    void everyTargetRateLimitedRetriesAfterTheSoonestWait() {
        // given two targets, no retries, the first asking for 2 s and the second for 30 s
        FallbackSequence sequence = new FallbackSequence(List.of(a, b), new FallbackConfig(2, 0,
                FallbackConfig.DEFAULTS.on()), clock, null, () -> 0.5);
        sequence.first();
        for (Target target : List.of(a, b)) {
            sequence.record(new dev.chatrouter.api.Attempt(target.id(), FailureKind.RATE_LIMIT, 429, "scripted",
                    Duration.ZERO, null, Duration.ZERO, false));
        }
        assertThat(sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(2)), a).target()).isEqualTo(b);
        assertThat(sequence.next(failure(FailureKind.RATE_LIMIT, Duration.ofSeconds(30)), b)).isNull();
        // then the request is rate limited, to be retried after the soonest wait
        ChatRouterException e = sequence.failure();
        assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(2));
    }

    /**
     * Proves a request that every target rate limited tells the caller when to come back even when no upstream
     * said: SDKs that back off on Retry-After would otherwise retry at once.
     */
    @Test
    void everyTargetRateLimitedWithoutADelayStillHasARetryAfter() {
        // given one target that answers 429 without a retry delay, and no retries
        FallbackSequence sequence = new FallbackSequence(List.of(a), new FallbackConfig(1, 0,
                FallbackConfig.DEFAULTS.on()), clock, null, () -> 0.5);
        sequence.first();
        ProviderException limited = failure(FailureKind.RATE_LIMIT, null);
        sequence.record(new dev.chatrouter.api.Attempt("a/m", FailureKind.RATE_LIMIT, 429, "scripted", Duration.ZERO,
                null, Duration.ZERO, false));
        assertThat(sequence.next(limited, a)).isNull();
        // then the failure carries the default wait
        ChatRouterException e = sequence.failure();
        assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
        assertThat(e.retryAfter()).contains(FallbackSequence.DEFAULT_RETRY_AFTER);
    }
}
