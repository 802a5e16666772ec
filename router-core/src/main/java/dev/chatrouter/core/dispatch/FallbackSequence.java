package dev.chatrouter.core.dispatch;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.core.route.Target;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Decides, failure by failure, what a request tries next (SPEC section 7): the same target again after a
 * jittered exponential backoff that honours the upstream's retry delay within the deadline, up to
 * {@code retries_per_target} times; then the next candidate; at most {@code max_attempts} attempts in all.
 * A failure kind not in {@code fallback.on} ends the request; {@code context_length} skips to a target with a
 * larger window. Not thread-safe: one request's attempts run one after another.
 */
public final class FallbackSequence {

    static final Duration BASE_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** The next attempt: a target and how long to wait before starting it. */
    public record Step(Target target, Duration delay) {
    }

    private final List<Target> candidates;
    private final FallbackConfig fallback;
    private final Clock clock;
    private final Instant deadline;
    private final DoubleSupplier random;
    private final List<Attempt> attempts = new ArrayList<>();
    private final List<DroppedTarget> skipped = new ArrayList<>();
    private int index;
    private int retriesOnCurrent;
    private ProviderException last;

    public FallbackSequence(List<Target> candidates, FallbackConfig fallback, Clock clock, Instant deadline,
                            DoubleSupplier random) {
        this.candidates = candidates;
        this.fallback = fallback;
        this.clock = clock;
        this.deadline = deadline;
        this.random = random;
    }

    /**
     * Skips the current target before any call (its budget or rate cap has no room): the next candidate, or
     * {@code null} when none is left.
     */
    public Step skip(String reason) {
        skipped.add(new DroppedTarget(candidates.get(index).id(), reason));
        if (index + 1 < candidates.size()) {
            index++;
            retriesOnCurrent = 0;
            return new Step(candidates.get(index), Duration.ZERO);
        }
        return null;
    }

    /** Targets skipped at attempt time, with reasons. */
    public List<DroppedTarget> skipped() {
        return List.copyOf(skipped);
    }

    /** The first attempt. */
    public Step first() {
        return new Step(candidates.get(0), Duration.ZERO);
    }

    /** Records an attempt (successful or not), for the report. */
    public void record(Attempt attempt) {
        attempts.add(attempt);
    }

    public List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /**
     * After the current target failed: the next step, or {@code null} when the request should fail with
     * {@link #failure()}.
     */
    public Step next(ProviderException failure) {
        last = failure;
        FailureKind kind = failure.kind();
        if (!fallback.on().contains(kind) || attempts.size() >= fallback.maxAttempts()) {
            return null;
        }
        Target current = candidates.get(index);
        if (kind != FailureKind.CONTEXT_LENGTH && retriesOnCurrent < fallback.retriesPerTarget()) {
            Duration delay = backoff(failure);
            if (fitsDeadline(delay)) {
                retriesOnCurrent++;
                return new Step(current, delay);
            }
        }
        for (int i = index + 1; i < candidates.size(); i++) {
            Target next = candidates.get(i);
            if (kind == FailureKind.CONTEXT_LENGTH && !largerWindow(next, current)) {
                continue;
            }
            index = i;
            retriesOnCurrent = 0;
            return new Step(next, Duration.ZERO);
        }
        return null;
    }

    private static boolean largerWindow(Target next, Target current) {
        int window = current.model().contextWindow();
        return window == 0 || next.model().contextWindow() == 0 || next.model().contextWindow() > window;
    }

    private Duration backoff(ProviderException failure) {
        if (failure.retryAfter().isPresent()) {
            return failure.retryAfter().get();
        }
        long base = BASE_BACKOFF.toMillis() << Math.min(retriesOnCurrent, 10);
        long jittered = (long) (base * (0.5 + random.getAsDouble()));
        return Duration.ofMillis(Math.min(jittered, MAX_BACKOFF.toMillis()));
    }

    private boolean fitsDeadline(Duration delay) {
        return deadline == null || clock.instant().plus(delay).isBefore(deadline);
    }

    /** The error for a request whose attempts are over. */
    public ChatRouterException failure() {
        ProviderException cause = last;
        if (cause == null) {
            java.util.Map<String, String> why = new java.util.LinkedHashMap<>();
            skipped.forEach(d -> why.put(d.target(), d.reason()));
            return ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE,
                    "no target can take this request now: " + why).metadata("dropped", why).build();
        }
        List<Attempt> all = attempts();
        FailureKind kind = cause.kind();
        if (!kind.retryable() || kind == FailureKind.CONTENT_FILTER) {
            return ChatRouterException.builder(ErrorCode.UPSTREAM_REJECTED, cause.getMessage())
                    .failureKind(kind).upstream(cause.status(), cause.upstreamType().orElse(null),
                            cause.upstreamCode().orElse(null))
                    .attempts(all).cause(cause).build();
        }
        boolean allRateLimited = all.stream().allMatch(a -> a.failure() == FailureKind.RATE_LIMIT);
        if (allRateLimited) {
            ChatRouterException.Builder b = ChatRouterException.builder(ErrorCode.RATE_LIMIT_EXCEEDED,
                            "every target is rate limited: " + cause.getMessage())
                    .failureKind(kind).upstream(cause.status(), cause.upstreamType().orElse(null),
                            cause.upstreamCode().orElse(null)).attempts(all).cause(cause);
            cause.retryAfter().ifPresent(b::retryAfter);
            return b.build();
        }
        if (kind == FailureKind.TIMEOUT && deadline != null && !clock.instant().isBefore(deadline)) {
            return ChatRouterException.builder(ErrorCode.TIMEOUT, "the request's deadline passed after "
                    + all.size() + " attempt(s): " + cause.getMessage()).failureKind(kind).attempts(all)
                    .cause(cause).build();
        }
        return ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR, "every attempt failed; last: "
                        + cause.getMessage()).failureKind(kind)
                .upstream(cause.status(), cause.upstreamType().orElse(null), cause.upstreamCode().orElse(null))
                .attempts(all).cause(cause).build();
    }
}
