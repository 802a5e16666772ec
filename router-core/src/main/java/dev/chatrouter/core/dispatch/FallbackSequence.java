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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Decides, failure by failure, what a request tries next (see docs/architecture.md): the same target again after a
 * jittered exponential backoff that honours the upstream's retry delay within the deadline and
 * {@code max_retry_wait} (a longer delay moves on to the next candidate at once), up to
 * {@code retries_per_target} times; then the next candidate; at most {@code max_attempts} attempts in all (hedges
 * count). A failure kind not in {@code fallback.on} ends the request; {@code context_length} skips to a target with
 * a larger window. When the deadline leaves no room for the wait a retry needs and no other candidate is left, the
 * request ends with {@link ErrorCode#TIMEOUT}; so it does when less than {@value #MIN_ATTEMPT_MILLIS} ms are left
 * before the deadline, as an attempt could not finish. Not thread-safe: one request's decisions are made one at a time.
 */
public final class FallbackSequence {

    static final Duration BASE_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** No attempt starts when less than this is left before the deadline: it could not finish. */
    static final long MIN_ATTEMPT_MILLIS = 20;
    static final Duration MIN_ATTEMPT_TIME = Duration.ofMillis(MIN_ATTEMPT_MILLIS);

    /** The next attempt: a target and how long to wait before starting it. */
    public record Step(Target target, Duration delay) {
    }

    /** The wait a request every target rate limited tells its caller when no upstream named one. */
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

    private final List<Target> candidates;
    private final FallbackConfig fallback;
    private final Clock clock;
    private final Instant deadline;
    private final DoubleSupplier random;
    private final List<Attempt> attempts = new ArrayList<>();
    /** The candidates skipped, with reasons, in order; made at the first skip (most requests skip none). */
    private Map<String, String> skipped = Map.of();
    private int index;
    private int retriesOnCurrent;
    /** Where the sequence was before its last hedge moved it ({@code -1}: no hedge to undo), and its retries there. */
    private int beforeHedge = -1;
    private int retriesBeforeHedge;
    private int started;
    private boolean deadlineLeftNoRoom;
    private ProviderException last;
    /** The shortest wait a rate-limited target asked for, or {@code null}. */
    private Duration soonestRetry;

    public FallbackSequence(List<Target> candidates, FallbackConfig fallback, Clock clock, Instant deadline,
                            DoubleSupplier random) {
        this.candidates = candidates;
        this.fallback = fallback;
        this.clock = clock;
        this.deadline = deadline;
        this.random = random;
    }

    /** The first attempt. */
    public Step first() {
        started = 1;
        return new Step(candidates.get(0), Duration.ZERO);
    }

    /** Records an attempt (successful, failed or cancelled), for the report. */
    public void record(Attempt attempt) {
        attempts.add(attempt);
    }

    public List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /** The attempts recorded and then {@code extra}, when not null (an immutable list). */
    public List<Attempt> attemptsWith(Attempt extra) {
        if (extra == null) {
            return List.copyOf(attempts);
        }
        int n = attempts.size();
        if (n == 0) {
            return List.of(extra);
        }
        Attempt[] all = attempts.toArray(new Attempt[n + 1]);
        all[n] = extra;
        return List.of(all);
    }

    /** The candidates skipped when their attempt was about to start, with reasons. */
    public List<DroppedTarget> skipped() {
        if (skipped.isEmpty()) {
            return List.of();
        }
        List<DroppedTarget> list = new ArrayList<>(skipped.size());
        skipped.forEach((target, reason) -> list.add(new DroppedTarget(target, reason)));
        return list;
    }

    /** After the current target failed: the next step, or {@code null} when the request should fail with {@link #failure()}. */
    public Step next(ProviderException failure) {
        return next(failure, candidates.get(index));
    }

    /**
     * After an attempt on {@code failed} failed: the next step, or {@code null} when the request should fail with
     * {@link #failure()}. Only the latest target started is retried; when an earlier one fails last (a hedge beside
     * it failed first), the sequence moves on to the next candidate.
     */
    public Step next(ProviderException failure, Target failed) {
        note(failure);
        FailureKind kind = failure.kind();
        if (!fallback.on().contains(kind) || started >= fallback.maxAttempts() || deadlinePassed()) {
            return null;
        }
        Target current = candidates.get(index);
        boolean retryRefusedByDeadline = false;
        if (failed == current && kind != FailureKind.CONTEXT_LENGTH
                && retriesOnCurrent < fallback.retriesPerTarget() && !asksTooLong(failure)) {
            Duration delay = backoff(failure);
            if (fitsDeadline(delay)) {
                retriesOnCurrent++;
                started++;
                return new Step(current, delay);
            }
            retryRefusedByDeadline = true;
        }
        Step next = advance(kind == FailureKind.CONTEXT_LENGTH ? failed : null);
        if (next == null && retryRefusedByDeadline) {
            deadlineLeftNoRoom = true;
        }
        return next;
    }

    /**
     * An attempt failed while another runs or is being admitted: nothing starts, but should that other one never
     * answer (its admission refused or skipped), the request fails with this failure, not for want of a target.
     */
    public void failedBeside(ProviderException failure) {
        note(failure);
    }

    private void note(ProviderException failure) {
        last = failure;
        if (failure.kind() == FailureKind.RATE_LIMIT) {
            failure.retryAfter().ifPresent(wait -> {
                if (soonestRetry == null || wait.compareTo(soonestRetry) < 0) {
                    soonestRetry = wait;
                }
            });
        }
    }

    /**
     * A hedge beside the attempt under way: the next candidate, started at once, or {@code null} when there is none
     * or {@code max_attempts} is reached.
     */
    public Step hedge() {
        if (started >= fallback.maxAttempts() || deadlinePassed()) {
            return null;
        }
        int from = index;
        int retries = retriesOnCurrent;
        Step step = advance(null);
        if (step != null) {
            beforeHedge = from;
            retriesBeforeHedge = retries;
        }
        return step;
    }

    /**
     * The step's target could not start (it is cooling down, or its budget or rate cap has no room): it does not
     * count as an attempt, and the next candidate is tried at once. Returns {@code null} when none is left.
     */
    public Step skip(Step step, String reason) {
        started--;
        skippedMap().putIfAbsent(step.target().id(), reason);
        if (step.target() != candidates.get(index)) {
            return null;
        }
        return advance(null);
    }

    /**
     * The step's target was not started beside the attempt under way (a hedge the request's budget has no room
     * for): it does not count as an attempt, it is reported as skipped with {@code reason}, and nothing else starts.
     * The sequence goes back to where the hedge took it from, so that the target is still the fallback of the
     * attempt under way (whose hold, given back when it fails, may make room for it).
     */
    public void drop(Step step, String reason) {
        started--;
        skippedMap().putIfAbsent(step.target().id(), reason);
        if (beforeHedge >= 0 && step.target() == candidates.get(index)) {
            index = beforeHedge;
            retriesOnCurrent = retriesBeforeHedge;
        }
        beforeHedge = -1;
    }

    private Map<String, String> skippedMap() {
        if (skipped.isEmpty()) {
            skipped = new LinkedHashMap<>(4);
        }
        return skipped;
    }

    /** Moves to the next candidate (with a larger window than {@code smallerThan}'s, when given). */
    private Step advance(Target smallerThan) {
        for (int i = index + 1; i < candidates.size(); i++) {
            Target next = candidates.get(i);
            if (smallerThan != null && !largerWindow(next, smallerThan)) {
                continue;
            }
            index = i;
            retriesOnCurrent = 0;
            started++;
            return new Step(next, Duration.ZERO);
        }
        return null;
    }

    private static boolean largerWindow(Target next, Target current) {
        int window = current.model().contextWindow();
        return window == 0 || next.model().contextWindow() == 0 || next.model().contextWindow() > window;
    }

    /** True when the upstream's retry delay is longer than the route waits for: move on instead of holding the request. */
    private boolean asksTooLong(ProviderException failure) {
        return failure.retryAfter().map(wait -> wait.compareTo(fallback.maxRetryWait()) > 0).orElse(false);
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
        return deadline == null || clock.instant().plus(delay).plus(MIN_ATTEMPT_TIME).isBefore(deadline);
    }

    /** True when the deadline passed, or so little is left that no attempt could finish. */
    private boolean deadlinePassed() {
        return deadline != null && !clock.instant().plus(MIN_ATTEMPT_TIME).isBefore(deadline);
    }

    /** The error for a request whose attempts are over. */
    public ChatRouterException failure() {
        ProviderException cause = last;
        List<Attempt> all = attempts();
        if (cause == null) {
            ChatRouterException.Builder b = ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE,
                    "no target can take this request now: " + skipped).attempts(all);
            return b.metadata("dropped", new LinkedHashMap<>(skipped)).build();
        }
        FailureKind kind = cause.kind();
        if (!kind.retryable() || kind == FailureKind.CONTENT_FILTER) {
            return ChatRouterException.builder(ErrorCode.UPSTREAM_REJECTED, cause.getMessage())
                    .failureKind(kind).upstream(cause.status(), cause.upstreamType().orElse(null),
                            cause.upstreamCode().orElse(null))
                    .attempts(all).cause(cause).build();
        }
        if (deadlineLeftNoRoom || deadlinePassed()) {
            String why = deadlineLeftNoRoom && !deadlinePassed()
                    ? "waiting " + backoffText(cause) + " to retry would pass the request's deadline"
                    : "the request's deadline passed";
            ChatRouterException.Builder b = ChatRouterException.builder(ErrorCode.TIMEOUT, why + " after "
                            + all.size() + " attempt(s); last: " + cause.getMessage())
                    .failureKind(kind).upstream(cause.status(), cause.upstreamType().orElse(null),
                            cause.upstreamCode().orElse(null)).attempts(all).cause(cause);
            cause.retryAfter().ifPresent(b::retryAfter);
            return b.build();
        }
        boolean allRateLimited = all.stream().allMatch(a -> a.failure() == FailureKind.RATE_LIMIT);
        if (allRateLimited) {
            ChatRouterException.Builder b = ChatRouterException.builder(ErrorCode.RATE_LIMIT_EXCEEDED,
                            "every target is rate limited: " + cause.getMessage())
                    .failureKind(kind).upstream(cause.status(), cause.upstreamType().orElse(null),
                            cause.upstreamCode().orElse(null)).attempts(all).cause(cause)
                    .retryAfter(soonestRetry != null ? soonestRetry : DEFAULT_RETRY_AFTER);
            return b.build();
        }
        return ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR, "every attempt failed; last: "
                        + cause.getMessage()).failureKind(kind)
                .upstream(cause.status(), cause.upstreamType().orElse(null), cause.upstreamCode().orElse(null))
                .attempts(all).cause(cause).build();
    }

    /** The error for a request whose deadline passed while attempts were under way. */
    public ChatRouterException timeout() {
        List<Attempt> all = attempts();
        return ChatRouterException.builder(ErrorCode.TIMEOUT, "the request's deadline passed after " + all.size()
                + " attempt(s)").failureKind(FailureKind.TIMEOUT).attempts(all).build();
    }

    private static String backoffText(ProviderException cause) {
        return cause.retryAfter().map(d -> d.toMillis() + " ms (the upstream's retry delay)")
                .orElse("the backoff");
    }
}
