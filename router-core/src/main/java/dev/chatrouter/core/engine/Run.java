package dev.chatrouter.core.engine;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.dispatch.SerialExecutor;
import dev.chatrouter.kit.upstream.Stages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One request's attempts, whatever the answer's shape: admission (cooldown lease and budget reservation) before
 * each, then launch, retries and fallback along the {@link FallbackSequence}, a hedge beside a slow first attempt,
 * the request's deadline over all, cancellation, and settlement after each. The first attempt to show content
 * wins (for a whole answer: the first to answer); the others stop. Settlement, once for every attempt:
 * <ul>
 *   <li>the winner, ended or cut short: charged its usage (reported, or counted);</li>
 *   <li>an attempt that lost to another (a hedge): charged what it used (the answer it had, or its counted
 *       tokens), since the upstream read the prompt;</li>
 *   <li>a failed attempt, or one stopped by the caller, the deadline or a failure beside it: released.</li>
 * </ul>
 * Every event runs on one {@link SerialExecutor}, so the state below needs no lock. When a listener is registered,
 * each attempt's start and end and the request's end are told to it, on that executor, before the sink hears.
 *
 * @param <C> the sink's call
 */
final class Run<C extends Sink.Call> {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    /** How close to the deadline a timeout counts as the deadline's rather than the target's. */
    static final Duration DEADLINE_MARGIN = Duration.ofMillis(20);

    private final EngineContext context;
    private final Prepared prepared;
    private final Sink<C> sink;
    private final FallbackSequence sequence;
    private final SerialExecutor serial = new SerialExecutor(this::crashed);
    /** What runs after each event: the sink delivers. */
    private final Runnable afterEvent;
    /** The engine's runs under way, which its router's close ends: this one from its start to its end. */
    private final LiveRuns live;
    /** This run in {@link LiveRuns}, once it entered: what it leaves with. */
    dev.chatrouter.kit.internal.StripedSet.Entry<Run<?>> liveEntry;

    // Touched on the serial executor only.
    private final List<Leg<C>> running = new ArrayList<>(2);
    private Leg<C> winner;
    private boolean started;
    private boolean over;
    /** The listeners were told the request ended (and it left the live runs): once only. */
    private boolean told;
    /** The first budget refusal of a candidate, answered when no candidate fits. */
    private ChatRouterException refusal;
    /** Admissions asked of a store that has not answered yet. */
    private int admitting;
    private Scheduler.Timer deadlineTimer = Scheduler.Timer.NONE;
    private final RouterListener listener;
    private int attemptsStarted;
    /** The start and end of each attempt that ended, for the overhead; kept only when a listener is. */
    private final List<Instant> upstream;

    Run(EngineContext context, Prepared prepared, Sink<C> sink, LiveRuns live) {
        this.live = live;
        this.context = context;
        this.prepared = prepared;
        this.sink = sink;
        this.afterEvent = sink::afterEvent;
        this.sequence = new FallbackSequence(prepared.plan().candidates(), prepared.route().fallback(),
                context.clock(), prepared.deadline(), context.random());
        this.listener = prepared.started() == null ? RouterListener.NONE : context.listener();
        this.upstream = listener == RouterListener.NONE ? List.of() : new ArrayList<>(4);
    }

    Prepared prepared() {
        return prepared;
    }

    /** Runs {@code event} on the serial executor, then lets the sink deliver. */
    void execute(Runnable event) {
        serial.execute(event, afterEvent);
    }

    /** Starts the first attempt (once) and the deadline timer. */
    void start() {
        execute(() -> {
            if (started || over) {
                return;
            }
            started = true;
            if (!live.enter(this)) {
                end(routerClosedError(), true);
                return;
            }
            Instant deadline = prepared.deadline();
            if (deadline != null) {
                deadlineTimer = context.scheduler().schedule(Duration.between(context.clock().instant(), deadline),
                        () -> execute(this::deadlinePassed));
            }
            launch(sequence.first(), false);
        });
    }

    /** The caller gave up: every attempt stops. */
    void cancel(String why) {
        execute(() -> {
            if (over) {
                return;
            }
            over = true;
            deadlineTimer.cancel();
            stopRunning(why, false);
            RoutingReport report = report(0);
            finished(report, null, true);
            sink.cancelled(report);
        });
    }

    /** The router was closed while this run was under way: it ends with {@code router_closed} at once. */
    void routerClosed() {
        execute(() -> end(routerClosedError(), true));
    }

    private static ChatRouterException routerClosedError() {
        return ChatRouterException.builder(ErrorCode.ROUTER_CLOSED, "the router was closed while the request was in flight")
                .build();
    }

    /** The winner, once an attempt showed content. */
    Leg<C> winner() {
        return winner;
    }

    private void launch(FallbackSequence.Step step, boolean hedged) {
        if (step.delay().isZero()) {
            begin(step, hedged);
        } else {
            context.scheduler().schedule(step.delay(), () -> execute(() -> begin(step, hedged)));
        }
    }

    /**
     * Asks admission for {@code step} and goes on with its answer: at once when it is there (budgets in memory or in
     * the durable store), else on this run's serial executor when the store answers. Nothing blocks.
     */
    private void begin(FallbackSequence.Step step, boolean hedged) {
        if (over) {
            return;
        }
        CompletableFuture<Admission> asked = Admission.of(context.cooldowns(), prepared, step.target())
                .toCompletableFuture();
        if (asked.isDone()) {
            admitted(step, hedged, asked.join());
            return;
        }
        admitting++;
        asked.whenComplete((admission, bug) -> execute(() -> {
            admitting--;
            if (bug != null) {
                throw new IllegalStateException("admission failed", bug);
            }
            admitted(step, hedged, admission);
        }));
    }

    /**
     * Goes on with {@code step} as admission decided; gives the claims back when the request ended meanwhile, or when
     * another attempt won meanwhile (a hedge whose admission came back after the first attempt showed content).
     */
    private void admitted(FallbackSequence.Step step, boolean hedged, Admission admission) {
        if (over || winner != null) {
            if (admission instanceof Admission.Admitted late) {
                late.lease().released();
                if (late.hold() != null) {
                    prepared.accounting().release(late.hold());
                }
            }
            return;
        }
        if (admission instanceof Admission.Refused refused) {
            if (!running.isEmpty() || admitting > 0) {
                // a hedge the request's budget has no room for: the attempt under way goes on alone
                sequence.drop(step, refused.error().code().wireName());
                return;
            }
            if (refused.error().code() != ErrorCode.SPEND_LIMIT_EXCEEDED) {
                // the accounting store cannot be reached (failing closed): no target can be accounted for
                end(refused.error(), true);
                return;
            }
            // the budget has no room for this target's worst case: a cheaper candidate may still fit
            if (refusal == null) {
                refusal = refused.error();
            }
            skip(step, hedged, "budget_exhausted:" + refused.error().metadata().get("scope") + "/"
                    + refused.error().metadata().get("window"));
            return;
        }
        if (admission instanceof Admission.Skipped skipped) {
            skip(step, hedged, skipped.reason());
            return;
        }
        Admission.Admitted admitted = (Admission.Admitted) admission;
        Leg<C> leg = new Leg<>(step, hedged, admitted.lease(), admitted.hold(), context.clock().instant());
        leg.index = attemptsStarted++;
        running.add(leg);
        if (listener != RouterListener.NONE) {
            listener.onAttemptStarted(new AttemptStarted(leg.start, prepared.requestId(), leg.target().id(),
                    leg.index, hedged));
        }
        Duration hedgeAfter = prepared.route().hedgeAfter();
        if (!hedgeAfter.isZero() && !hedged) {
            leg.hedgeTimer = context.scheduler().schedule(hedgeAfter, () -> execute(() -> hedge(leg)));
        }
        try {
            leg.call = sink.start(leg, this);
        } catch (RuntimeException e) {
            leg.call = null;
            execute(() -> failed(leg, e));
        }
    }

    /**
     * The step's target could not start: the next candidate is tried at once. When none is left and nothing runs,
     * the request ends: refused by its budget when a budget refused a target and no attempt was made (no candidate
     * fit), else with the sequence's failure.
     */
    private void skip(FallbackSequence.Step step, boolean hedged, String reason) {
        FallbackSequence.Step next = sequence.skip(step, reason);
        if (next != null) {
            begin(next, hedged);
        } else if (running.isEmpty() && admitting == 0) {
            end(refusal != null && sequence.attempts().isEmpty() ? refusal : sequence.failure(), true);
        }
    }

    /** The hedge timer of {@code alone} fired: start the next candidate beside it if it has shown nothing. */
    private void hedge(Leg<C> alone) {
        if (over || winner != null || alone.over || running.size() != 1) {
            return;
        }
        FallbackSequence.Step step = sequence.hedge();
        if (step != null) {
            begin(step, true);
        }
    }

    /** {@code leg} showed content: the first to do so wins, and the attempts beside it stop. */
    void content(Leg<C> leg) {
        if (over || leg.over || winner != null) {
            return;
        }
        winner = leg;
        leg.firstToken = elapsed(leg);
        leg.hedgeTimer.cancel();
        context.latency().observe(leg.target().id(), sink.streaming(), leg.firstToken.toMillis());
        context.served().served(prepared.stickyKey(), leg.target().id());
        running.remove(leg);
        if (!running.isEmpty()) { // a hedge or a race: the others lost
            stopRunning("cancelled: " + leg.target().id() + " answered first", true);
        }
        running.add(leg);
        // a whole answer reads no report at its commit (it is delivered with the final one): none is built for it
        sink.committed(leg, sink.streaming() ? prepared.report(leg.target(), sequence, 0,
                leg.attempt(null, 200, null, leg.firstToken)) : null);
    }

    /** {@code leg}'s call ended well (having reported its usage, if any, to the leg). */
    void completed(Leg<C> leg) {
        if (over || leg.over) {
            return;
        }
        boolean whole = winner == null; // content and end at once (a whole answer): the clock is read once for both
        content(leg);
        leg.over = true;
        leg.hedgeTimer.cancel();
        running.remove(leg);
        leg.lease.succeeded();
        Usage usage = leg.charge(prepared.accounting());
        double cost = settle(leg, usage);
        record(leg, leg.attempt(null, 200, null, whole ? leg.firstToken : elapsed(leg)));
        over = true;
        deadlineTimer.cancel();
        RoutingReport report = report(cost);
        finished(report, null, false);
        // the caller is told the cost only once the store has it: a router killed right after cannot have told more
        if (leg.recorded.toCompletableFuture().isDone()) {
            sink.succeeded(leg, usage, cost, report);
        } else {
            // through execute, like every event, so that the sink's afterEvent follows: only there does a stream's
            // sink tell its subscriber that it ended
            leg.recorded.whenComplete((v, e) -> execute(() -> sink.succeeded(leg, usage, cost, report)));
        }
    }

    /** {@code leg}'s call failed. */
    void failed(Leg<C> leg, Throwable error) {
        if (over || leg.over) {
            return;
        }
        leg.over = true;
        leg.hedgeTimer.cancel();
        running.remove(leg);
        ProviderException failure = asProviderException(Stages.unwrap(error));
        settleFailure(leg, failure);
        double winnerCost = leg == winner ? settle(leg, leg.charge(prepared.accounting())) : 0;
        record(leg, leg.attempt(failure.kind(), failure.status(), failure.getMessage(), elapsed(leg)));
        if (leg == winner) {
            double cost = winnerCost;
            end(ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR,
                            "the stream failed after content was sent: " + failure.getMessage())
                    .failureKind(failure.kind()).upstream(failure.status(), failure.upstreamType().orElse(null),
                            failure.upstreamCode().orElse(null)).attempts(sequence.attempts()).cause(failure).build(),
                    false, cost);
            return;
        }
        release(leg);
        if (!running.isEmpty() || admitting > 0) {
            if (prepared.route().fallback().on().contains(failure.kind())) {
                sequence.failedBeside(failure);
                return; // the attempt beside it, or the hedge being admitted, may still answer
            }
            stopRunning("cancelled: " + leg.target().id() + " failed with " + failure.kind().wireName(), false);
        }
        FallbackSequence.Step next = sequence.next(failure, leg.target());
        if (next == null) {
            end(sequence.failure(), true);
        } else {
            launch(next, false);
        }
    }

    private void deadlinePassed() {
        if (over) {
            return;
        }
        double cost = 0;
        for (Leg<C> leg : List.copyOf(running)) {
            stop(leg);
            leg.lease.released();
            if (leg == winner) {
                cost = settle(leg, leg.charge(prepared.accounting()));
            } else {
                release(leg);
            }
            record(leg, leg.attempt(FailureKind.TIMEOUT, 0, "the request's deadline passed", elapsed(leg)));
        }
        running.clear();
        end(sequence.timeout(), true, cost);
    }

    private void end(ChatRouterException error, boolean now) {
        end(error, now, 0);
    }

    /** Ends the request with {@code error}, stopping what still runs. */
    private void end(ChatRouterException error, boolean now, double cost) {
        if (over) {
            return;
        }
        over = true;
        deadlineTimer.cancel();
        stopRunning("cancelled: the request failed", false);
        ChatRouterException named = error.withRequest(prepared.requestId(), prepared.type());
        RoutingReport report = report(cost);
        finished(report, named, false);
        sink.failed(named, report, now);
    }

    /**
     * Stops every attempt under way, recording each as cancelled with {@code why}. The winner is settled to what it
     * delivered; the others are charged what they used when {@code lostToAnother}, else released.
     */
    private void stopRunning(String why, boolean lostToAnother) {
        for (Leg<C> leg : List.copyOf(running)) {
            stop(leg);
            if (leg == winner) {
                leg.lease.succeeded(); // it produced content: the target works
                settle(leg, leg.charge(prepared.accounting()));
            } else {
                leg.lease.released();
                if (lostToAnother) {
                    // it showed nothing in the time it ran: the least its latency is, and more than the winner's
                    context.latency().observe(leg.target().id(), sink.streaming(), elapsed(leg).toMillis());
                    Usage answered = leg.call == null ? null : leg.call.answeredUsage();
                    leg.reported(answered);
                    settle(leg, leg.charge(prepared.accounting()));
                } else {
                    release(leg);
                }
            }
            record(leg, leg.attempt(null, 0, why, elapsed(leg)));
        }
        running.clear();
    }

    /** Records an attempt that ended in the sequence, and tells the listener. */
    private void record(Leg<C> leg, Attempt attempt) {
        sequence.record(attempt);
        attemptFinished(leg, attempt);
    }

    private void attemptFinished(Leg<C> leg, Attempt attempt) {
        if (listener == RouterListener.NONE) {
            return;
        }
        Instant now = leg.start.plus(attempt.latency()); // every attempt's latency is read as it ends
        upstream.add(leg.start);
        upstream.add(now);
        Usage usage = leg.settled;
        listener.onAttemptFinished(new AttemptFinished(now, prepared.requestId(), attempt.target(), leg.index,
                attempt.hedged(), attempt.failure(), attempt.cancelled(), attempt.status(), attempt.latency(),
                sink.streaming() ? attempt.firstToken() : null, usage == null ? 0 : usage.promptTokens(),
                usage == null ? 0 : usage.completionTokens(), usage == null ? 0 : usage.cachedTokens(), leg.cost));
    }

    /** Tells the listener the request ended; once ({@link #told}). */
    private void finished(RoutingReport report, ChatRouterException error, boolean cancelled) {
        told = true;
        live.leave(this);
        if (listener == RouterListener.NONE) {
            return;
        }
        Instant now = context.clock().instant();
        Duration total = Duration.between(prepared.started().at(), now);
        Duration overhead = total.minus(upstreamTime());
        Usage usage = winner == null ? null : winner.settled;
        listener.onRequestFinished(new RequestFinished(now, prepared.requestId(), prepared.started().key(), report,
                error, cancelled, usage == null ? 0 : usage.promptTokens(), usage == null ? 0 : usage.completionTokens(),
                total, overhead.isNegative() ? Duration.ZERO : overhead));
    }

    /** The time some upstream call was under way: the union of the attempts' intervals (hedges overlap). */
    private Duration upstreamTime() {
        int n = upstream.size() / 2;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> upstream.get(2 * a).compareTo(upstream.get(2 * b)));
        Duration covered = Duration.ZERO;
        Instant from = null;
        Instant to = null;
        for (int i : order) {
            Instant start = upstream.get(2 * i);
            Instant end = upstream.get(2 * i + 1);
            if (to == null || start.isAfter(to)) {
                if (to != null) {
                    covered = covered.plus(Duration.between(from, to));
                }
                from = start;
                to = end;
            } else if (end.isAfter(to)) {
                to = end;
            }
        }
        return to == null ? covered : covered.plus(Duration.between(from, to));
    }

    private void stop(Leg<C> leg) {
        leg.over = true;
        leg.hedgeTimer.cancel();
        if (leg.call != null) {
            leg.call.cancel();
        }
    }

    private double settle(Leg<C> leg, Usage usage) {
        if (leg.hold == null) {
            return 0;
        }
        Accounting.Settled settled = prepared.accounting().settle(leg.hold, leg.target().model(), usage);
        leg.hold = null;
        leg.settled = usage;
        leg.cost = settled.cost();
        leg.recorded = settled.recorded();
        return settled.cost();
    }

    private void release(Leg<C> leg) {
        if (leg.hold != null) {
            prepared.accounting().release(leg.hold);
            leg.hold = null;
        }
    }

    /**
     * Feeds a failed attempt to its target's cooldown. A timeout that came when the request's deadline had (all but)
     * passed is the deadline's doing, not the target's: it is neutral. The margin covers the millisecond rounding of
     * the attempt's time budget and timer lateness.
     */
    private void settleFailure(Leg<C> leg, ProviderException failure) {
        Instant deadline = prepared.deadline();
        if (failure.kind() == FailureKind.TIMEOUT && deadline != null
                && !context.clock().instant().plus(DEADLINE_MARGIN).isBefore(deadline)) {
            leg.lease.released();
        } else {
            leg.lease.failed(failure.kind());
        }
    }

    private RoutingReport report(double cost) {
        return prepared.report(winner == null ? null : winner.target(), sequence, cost, null);
    }

    private Duration elapsed(Leg<C> leg) {
        return Duration.between(leg.start, context.clock().instant());
    }

    /**
     * A bug in an event (the engine's, a sink's, a plugin's or the subscriber's): the request ends as an internal
     * error, even when it had ended otherwise (the sink ignores an outcome after the first). The winner is charged
     * what it delivered; the other attempts' claims are let go. The listeners, which hear a request end once, are
     * told only when it had not ended yet (a subscriber that throws when told its stream ended does not end it
     * again).
     */
    private void crashed(Throwable bug) {
        LOG.error("request {} failed with an internal error", prepared.requestId(), bug);
        over = true;
        deadlineTimer.cancel();
        for (Leg<C> leg : running) {
            try {
                stop(leg);
            } catch (RuntimeException ignored) {
                // letting go of the claims matters more
            }
            leg.lease.released();
            if (leg == winner) {
                settle(leg, leg.charge(prepared.accounting())); // its content was delivered
            } else {
                release(leg);
            }
        }
        ChatRouterException internal = ChatRouterException.internal(bug).withRequest(prepared.requestId(),
                prepared.type());
        try {
            for (Leg<C> leg : running) {
                attemptFinished(leg, leg.attempt(null, 0, "cancelled: an internal error", elapsed(leg)));
            }
            if (!told) {
                finished(null, internal, false);
            }
        } catch (RuntimeException again) {
            LOG.error("request {} could not tell its listeners of its internal error", prepared.requestId(), again);
        }
        running.clear();
        try {
            sink.failed(internal, null, true);
        } catch (RuntimeException again) {
            LOG.error("request {} could not be told of its internal error", prepared.requestId(), again);
        }
    }

    /** A provider failure as the fallback logic sees it; anything else a plugin throws counts as a server error. */
    static ProviderException asProviderException(Throwable error) {
        if (error instanceof ProviderException pe) {
            return pe;
        }
        return new ProviderException(FailureKind.SERVER, "provider failed: " + error, error);
    }
}
