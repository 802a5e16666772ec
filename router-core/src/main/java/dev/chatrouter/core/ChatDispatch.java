package dev.chatrouter.core;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.dispatch.SerialExecutor;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.kit.upstream.Stages;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One non-streamed request's attempts (chat or embeddings): along the fallback sequence, with a hedge when the
 * route asks for one (the first answer wins and the other attempt is cancelled), each attempt's worst case reserved
 * on the budgets before it starts and settled (or released) after, each attempt's outcome fed to the target's
 * cooldown, the whole bounded by the request's deadline. Cancelling the result cancels every attempt under
 * way. Every event runs on a {@link SerialExecutor}, so the state below needs no lock.
 *
 * @param <R> the provider's answer
 * @param <T> what the caller gets
 */
final class ChatDispatch<R, T> {

    private final DefaultChatRouter router;
    private final Prepared prepared;
    private final Function<Target, CompletionStage<R>> call;
    private final Function<R, Usage> usageOf;
    private final BiFunction<R, Usage, R> finish;
    private final BiFunction<R, RoutingReport, T> result;
    private final CompletableFuture<T> outcome = new CompletableFuture<>();
    private final FallbackSequence sequence;
    private final SerialExecutor serial = new SerialExecutor(this::crashed);

    // Touched on the serial executor only.
    private final List<Running> running = new ArrayList<>(2);
    private boolean over;
    private Scheduler.Timer deadlineTimer = Scheduler.Timer.NONE;

    ChatDispatch(DefaultChatRouter router, Prepared prepared, Function<Target, CompletionStage<R>> call,
                 Function<R, Usage> usageOf, BiFunction<R, Usage, R> finish,
                 BiFunction<R, RoutingReport, T> result) {
        this.router = router;
        this.prepared = prepared;
        this.call = call;
        this.usageOf = usageOf;
        this.finish = finish;
        this.result = result;
        this.sequence = router.newSequence(prepared);
    }

    CompletableFuture<T> start() {
        outcome.whenComplete((value, error) -> {
            if (outcome.isCancelled()) {
                serial.execute(() -> end(null, "cancelled by the caller"));
            }
        });
        serial.execute(() -> {
            Instant deadline = prepared.deadline();
            if (deadline != null) {
                deadlineTimer = router.scheduler().schedule(Duration.between(router.clock().instant(), deadline),
                        () -> serial.execute(this::deadlinePassed));
            }
            launch(sequence.first(), false);
        });
        return outcome;
    }

    private void launch(FallbackSequence.Step step, boolean hedged) {
        if (step.delay().isZero()) {
            begin(step, hedged);
        } else {
            router.scheduler().schedule(step.delay(), () -> serial.execute(() -> begin(step, hedged)));
        }
    }

    private void begin(FallbackSequence.Step step, boolean hedged) {
        if (over) {
            return;
        }
        Target target = step.target();
        Admission admission = Admission.of(router, prepared, target);
        if (admission instanceof Admission.Refused refused) {
            end(refused.error(), null);
            return;
        }
        if (admission instanceof Admission.Skipped skipped) {
            FallbackSequence.Step next = sequence.skip(step, skipped.reason());
            if (next != null) {
                begin(next, hedged);
            } else if (running.isEmpty()) {
                end(sequence.failure(), null);
            }
            return;
        }
        Admission.Admitted admitted = (Admission.Admitted) admission;
        Running attempt = new Running(step, hedged, admitted.lease(), admitted.reservation(),
                router.clock().instant());
        running.add(attempt);
        CompletableFuture<R> pending;
        try {
            pending = call.apply(target).toCompletableFuture();
        } catch (RuntimeException e) {
            pending = CompletableFuture.failedFuture(e);
        }
        attempt.future = pending;
        Duration hedgeAfter = prepared.route().hedgeAfter();
        if (!hedgeAfter.isZero() && !hedged) {
            attempt.hedgeTimer = router.scheduler().schedule(hedgeAfter,
                    () -> serial.execute(() -> hedge(attempt)));
        }
        pending.whenComplete((value, error) -> serial.execute(() -> finished(attempt, value, error)));
    }

    /** The hedge timer of {@code alone} fired: start the next candidate beside it if it has not answered. */
    private void hedge(Running alone) {
        if (over || alone.done || running.size() != 1) {
            return;
        }
        FallbackSequence.Step step = sequence.hedge();
        if (step != null) {
            begin(step, true);
        }
    }

    private void finished(Running attempt, R value, Throwable error) {
        if (attempt.done) {
            return;
        }
        attempt.done = true;
        attempt.hedgeTimer.cancel();
        running.remove(attempt);
        Duration elapsed = attempt.elapsed();
        Target target = attempt.step.target();
        if (error == null) {
            attempt.lease.succeeded();
            router.latency().observe(target.id(), elapsed.toMillis());
            Usage usage = usageOf.apply(value);
            if (usage == null) {
                // the upstream reported no usage: charge the estimate, never zero
                usage = Usage.of(prepared.shape().estimatedInputTokens(), 0);
            }
            double cost = prepared.accounting().settle(attempt.reservation, target.model(), usage);
            router.served(prepared, target);
            cancelRunning("cancelled: " + target.id() + " answered first");
            sequence.record(new Attempt(target.id(), null, 200, null, attempt.step.delay(), elapsed, elapsed,
                    attempt.hedged));
            over = true;
            deadlineTimer.cancel();
            outcome.complete(result.apply(finish.apply(value, usage.withCost(cost)),
                    prepared.report(target, sequence, cost)));
            return;
        }
        ProviderException failure = DefaultChatRouter.asProviderException(Stages.unwrap(error));
        router.settleFailure(attempt.lease, failure, prepared);
        prepared.accounting().release(attempt.reservation);
        sequence.record(new Attempt(target.id(), failure.kind(), failure.status(), failure.getMessage(),
                attempt.step.delay(), null, elapsed, attempt.hedged));
        if (!running.isEmpty()) {
            if (prepared.route().fallback().on().contains(failure.kind())) {
                return; // the attempt beside it may still answer
            }
            cancelRunning("cancelled: " + target.id() + " failed with " + failure.kind().wireName());
        }
        FallbackSequence.Step next = sequence.next(failure, target);
        if (next == null) {
            end(sequence.failure(), null);
        } else {
            launch(next, false);
        }
    }

    private void deadlinePassed() {
        if (over) {
            return;
        }
        for (Running attempt : List.copyOf(running)) {
            attempt.done = true;
            attempt.hedgeTimer.cancel();
            attempt.future.cancel(false);
            attempt.lease.released();
            prepared.accounting().release(attempt.reservation);
            sequence.record(new Attempt(attempt.step.target().id(), FailureKind.TIMEOUT, 0,
                    "the request's deadline passed", attempt.step.delay(), null, attempt.elapsed(), attempt.hedged));
        }
        running.clear();
        end(sequence.timeout(), null);
    }

    /** Ends the request: with {@code error}, or (when null) as cancelled with {@code why}. */
    private void end(Throwable error, String why) {
        if (over) {
            return;
        }
        over = true;
        deadlineTimer.cancel();
        cancelRunning(why == null ? "cancelled: the request failed" : why);
        if (error != null) {
            outcome.completeExceptionally(error);
        }
    }

    /** Cancels every attempt under way, recording each as cancelled with {@code why}. */
    private void cancelRunning(String why) {
        for (Running attempt : List.copyOf(running)) {
            attempt.done = true;
            attempt.hedgeTimer.cancel();
            attempt.future.cancel(false);
            attempt.lease.released();
            prepared.accounting().release(attempt.reservation);
            sequence.record(new Attempt(attempt.step.target().id(), null, 0, why, attempt.step.delay(), null,
                    attempt.elapsed(), attempt.hedged));
        }
        running.clear();
    }

    private void crashed(Throwable bug) {
        over = true;
        for (Running attempt : running) {
            attempt.future.cancel(false);
            attempt.lease.released();
            prepared.accounting().release(attempt.reservation);
        }
        running.clear();
        outcome.completeExceptionally(bug);
    }

    /** One attempt under way. */
    private final class Running {
        final FallbackSequence.Step step;
        final boolean hedged;
        final Cooldowns.Lease lease;
        final Budgets.Reservation reservation;
        final Instant start;
        CompletableFuture<R> future;
        Scheduler.Timer hedgeTimer = Scheduler.Timer.NONE;
        boolean done;

        Running(FallbackSequence.Step step, boolean hedged, Cooldowns.Lease lease, Budgets.Reservation reservation,
                Instant start) {
            this.step = step;
            this.hedged = hedged;
            this.lease = lease;
            this.reservation = reservation;
            this.start = start;
        }

        Duration elapsed() {
            return Duration.between(start, router.clock().instant());
        }
    }
}
