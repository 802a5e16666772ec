package dev.chatrouter.core;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.cache.ChunkAssembler;
import dev.chatrouter.core.dispatch.Costs;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A routed stream: attempts targets in the plan's order and fails over transparently until the first chunk with
 * content; after that a failure ends the stream with {@code onError}. With {@code hedge_after_ms}, an attempt that
 * has shown no content by then gets the next candidate started beside it; the first to show content wins and the
 * other is cancelled (its upstream call reset) and reported as cancelled. Each attempt's outcome feeds its target's
 * cooldown, and the request's deadline ends the stream (with {@code TIMEOUT}) wherever it is. Chunks are passed on with {@code model}
 * set to the intent; the usage chunk gets the cost and is passed on only when the caller asked for usage.
 *
 * <p>Every signal (upstream chunks, completion, errors, downstream demand, cancellation) is turned into an event
 * on a queue and handled by one drain loop at a time, so the state below needs no locks.
 */
final class RoutedStream implements ChatStream {

    /** Chunks requested from the upstream ahead of demand; bounds what is buffered per stream. */
    static final int PREFETCH = 16;

    private final DefaultChatRouter router;
    private final ChatRequest request;
    private final Prepared prepared;
    private final ChatRouterException planningError;
    private final CompletableFuture<RoutingReport> report = new CompletableFuture<>();
    private final CompletableFuture<RoutingReport> committedReport = new CompletableFuture<>();
    private final AtomicBoolean subscribed = new AtomicBoolean();

    RoutedStream(DefaultChatRouter router, ChatRequest request, Prepared prepared, ChatRouterException planningError) {
        this.router = router;
        this.request = request;
        this.prepared = prepared;
        this.planningError = planningError;
        if (planningError != null) {
            report.complete(null);
            committedReport.complete(null);
        }
    }

    @Override
    public CompletionStage<RoutingReport> report() {
        return report;
    }

    @Override
    public CompletionStage<RoutingReport> started() {
        return committedReport;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ChatChunk> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(NoopSubscription.INSTANCE);
            subscriber.onError(new IllegalStateException("a ChatStream can be subscribed to once"));
            return;
        }
        if (planningError != null) {
            subscriber.onSubscribe(NoopSubscription.INSTANCE);
            subscriber.onError(planningError);
            return;
        }
        Downstream downstream = new Downstream(subscriber);
        subscriber.onSubscribe(downstream);
    }

    private enum NoopSubscription implements Flow.Subscription {
        INSTANCE;

        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    }

    private final class Downstream implements Flow.Subscription {
        private final Flow.Subscriber<? super ChatChunk> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
        private final boolean includeUsage;
        private final FallbackSequence sequence;

        // Drain-loop state.
        private final ArrayDeque<ChatChunk> pending = new ArrayDeque<>();
        private final List<Upstream> running = new ArrayList<>(2);
        private boolean started;
        private Upstream winner;        // the attempt whose content the caller gets, once one produced content
        private boolean upstreamDone;
        private boolean terminated;
        private ChatRouterException error;
        private Scheduler.Timer deadlineTimer = Scheduler.Timer.NONE;
        private double cost;

        Downstream(Flow.Subscriber<? super ChatChunk> subscriber) {
            this.subscriber = subscriber;
            this.includeUsage = request.streamOptions() != null
                    && Boolean.TRUE.equals(request.streamOptions().includeUsage());
            this.sequence = router.newSequence(prepared);
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                signal(() -> terminate(new IllegalArgumentException(
                        "request(n) needs n > 0 but was " + n + " (reactive streams rule 3.9)")));
                return;
            }
            demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            signal(() -> {
                if (!started) {
                    started = true;
                    Instant deadline = prepared.deadline();
                    if (deadline != null) {
                        deadlineTimer = router.scheduler().schedule(
                                Duration.between(router.clock().instant(), deadline),
                                () -> signal(this::deadlinePassed));
                    }
                    launch(sequence.first(), false);
                }
            });
        }

        @Override
        public void cancel() {
            signal(() -> {
                if (!terminated) {
                    terminated = true;
                    deadlineTimer.cancel();
                    cancelRunning("cancelled by the caller");
                    finishReport();
                }
            });
        }

        private void signal(Runnable event) {
            events.add(event);
            drain();
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                Runnable event;
                while ((event = events.poll()) != null) {
                    event.run();
                }
                deliver();
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }

        private void deliver() {
            if (terminated) {
                return;
            }
            if (!pending.isEmpty() && !committedReport.isDone()) {
                committedReport.complete(prepared.report(winner.target, sequence, 0));
            }
            while (demand.get() > 0 && !pending.isEmpty()) {
                demand.decrementAndGet();
                subscriber.onNext(pending.poll());
            }
            if (!pending.isEmpty()) {
                return;
            }
            if (error != null) {
                terminate(error);
                return;
            }
            if (upstreamDone) {
                terminated = true;
                deadlineTimer.cancel();
                finishReport();
                subscriber.onComplete();
                return;
            }
            for (Upstream upstream : running) {
                if (upstream.subscription != null && upstream.outstanding < PREFETCH / 2) {
                    long more = PREFETCH - upstream.outstanding;
                    upstream.outstanding += more;
                    upstream.subscription.request(more);
                }
            }
        }

        private void terminate(Throwable failure) {
            if (terminated) {
                return;
            }
            terminated = true;
            deadlineTimer.cancel();
            pending.clear();
            cancelRunning("cancelled: the stream failed");
            finishReport();
            subscriber.onError(failure);
        }

        private void finishReport() {
            RoutingReport done = prepared.report(winner == null ? null : winner.target, sequence, cost);
            committedReport.complete(done);
            report.complete(done);
        }

        /**
         * Settles an attempt's reservation: the winner's to the usage received (or counted), since a stream cut
         * short or cancelled is charged for what it delivered; any other attempt's is released.
         */
        private void account(Upstream upstream) {
            Budgets.Reservation reservation = upstream.reservation;
            if (reservation == null) {
                return;
            }
            upstream.reservation = null;
            if (upstream == winner) {
                if (upstream.usage == null) {
                    upstream.usage = Usage.of(prepared.shape().estimatedInputTokens(),
                            (upstream.completionChars + 3) / 4);
                }
                cost = prepared.accounting().settle(reservation, upstream.target.model(), upstream.usage);
            } else {
                prepared.accounting().release(reservation);
            }
        }

        /** Cancels every attempt under way, recording each as cancelled with {@code why}. */
        private void cancelRunning(String why) {
            for (Upstream upstream : running) {
                upstream.over = true;
                upstream.cancel();
                if (upstream == winner) {
                    upstream.lease.succeeded(); // it produced content: the target works
                } else {
                    upstream.lease.released();
                }
                account(upstream);
                sequence.record(upstream.attempt(null, 0, why));
            }
            running.clear();
        }

        private void deadlinePassed() {
            if (terminated) {
                return;
            }
            for (Upstream upstream : running) {
                upstream.over = true;
                upstream.cancel();
                upstream.lease.released();
                account(upstream);
                sequence.record(upstream.attempt(FailureKind.TIMEOUT, 0, "the request's deadline passed"));
            }
            running.clear();
            terminate(sequence.timeout());
        }

        private void launch(FallbackSequence.Step step, boolean hedged) {
            if (step.delay().isZero()) {
                begin(step, hedged);
            } else {
                router.scheduler().schedule(step.delay(), () -> signal(() -> begin(step, hedged)));
            }
        }

        private void begin(FallbackSequence.Step step, boolean hedged) {
            if (terminated) {
                return;
            }
            Target target = step.target();
            Admission admission = Admission.of(router, prepared, target);
            if (admission instanceof Admission.Refused refused) {
                cancelRunning("cancelled: " + refused.error().getMessage());
                error = refused.error();
                return;
            }
            if (admission instanceof Admission.Skipped skipped) {
                FallbackSequence.Step next = sequence.skip(step, skipped.reason());
                if (next != null) {
                    begin(next, hedged);
                } else if (running.isEmpty()) {
                    error = sequence.failure();
                }
                return;
            }
            Admission.Admitted admitted = (Admission.Admitted) admission;
            Upstream upstream = new Upstream(target, step.delay(), hedged, admitted.lease(), admitted.reservation());
            running.add(upstream);
            Duration hedgeAfter = prepared.route().hedgeAfter();
            if (!hedgeAfter.isZero() && !hedged) {
                upstream.hedgeTimer = router.scheduler().schedule(hedgeAfter, () -> signal(() -> hedge(upstream)));
            }
            ProviderCall call = new ProviderCall(prepared.requestId(), target.model(),
                    router.upstreamRequest(request, prepared, target), prepared.deadline());
            try {
                target.provider().stream(call).subscribe(upstream);
            } catch (RuntimeException e) {
                upstream.onError(e);
            }
        }

        /** The hedge timer of {@code alone} fired: start the next candidate beside it if it has shown no content. */
        private void hedge(Upstream alone) {
            if (terminated || winner != null || alone.over || running.size() != 1) {
                return;
            }
            FallbackSequence.Step step = sequence.hedge();
            if (step != null) {
                begin(step, true);
            }
        }

        /** {@code from} produced the first content: the caller gets its chunks, and the attempts beside it stop. */
        private void commit(Upstream from) {
            winner = from;
            from.firstToken = from.elapsed();
            from.hedgeTimer.cancel();
            router.latency().observe(from.target.id(), from.firstToken.toMillis());
            router.served(prepared, from.target);
            running.remove(from);
            cancelRunning("cancelled: " + from.target.id() + " answered first");
            running.add(from);
            pending.addAll(from.held);
            from.held.clear();
        }

        private void onChunk(Upstream from, ChatChunk chunk) {
            if (from.over || terminated) {
                return;
            }
            from.outstanding--;
            if (from.assembler != null) {
                from.assembler.add(chunk.withModel(prepared.intent()));
            }
            if (chunk.usage() != null) {
                from.usage = chunk.usage();
                double chunkCost = Costs.of(from.target.model().price(), from.usage);
                if (from == winner || winner == null) {
                    cost = chunkCost;
                }
                chunk = chunk.withUsage(from.usage.withCost(chunkCost));
                if (!includeUsage) {
                    if (chunk.choices().isEmpty()) {
                        return;
                    }
                    chunk = chunk.withUsage(null);
                }
            }
            for (var choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    from.completionChars += choice.delta().content().length();
                }
            }
            chunk = chunk.withModel(prepared.intent());
            if (winner == null) {
                if (!chunk.hasContent()) {
                    from.held.add(chunk);
                    return;
                }
                commit(from);
            }
            pending.add(chunk);
        }

        private void onComplete(Upstream from) {
            if (from.over || terminated) {
                return;
            }
            if (winner == null) {
                commit(from);
            }
            from.over = true;
            running.remove(from);
            boolean counted = from.usage == null;
            account(from);
            if (counted && includeUsage) {
                // The upstream sent no usage: it was charged from counted tokens, never zero.
                pending.add(new ChatChunk(pending.isEmpty() ? prepared.requestId() : pending.peekLast().id(),
                        "chat.completion.chunk", router.clock().instant().getEpochSecond(), prepared.intent(),
                        List.of(), from.usage.withCost(cost), null, java.util.Map.of()));
            }
            from.lease.succeeded();
            sequence.record(from.attempt(null, 200, null));
            upstreamDone = true;
            if (from.assembler != null) {
                ChatResponse assembled = from.assembler.response();
                router.remember(prepared, assembled.withUsage(from.usage.withCost(cost)), from.target.id());
            }
        }

        private void onError(Upstream from, Throwable failure) {
            if (from.over || terminated) {
                return;
            }
            from.over = true;
            from.hedgeTimer.cancel();
            running.remove(from);
            ProviderException pe = DefaultChatRouter.asProviderException(failure);
            router.settleFailure(from.lease, pe, prepared);
            account(from);
            sequence.record(from.attempt(pe.kind(), pe.status(), pe.getMessage()));
            if (from == winner) {
                error = ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR,
                                "the stream failed after content was sent: " + pe.getMessage())
                        .failureKind(pe.kind()).upstream(pe.status(), pe.upstreamType().orElse(null),
                                pe.upstreamCode().orElse(null)).attempts(sequence.attempts()).cause(pe).build();
                return;
            }
            if (!running.isEmpty()) {
                if (prepared.route().fallback().on().contains(pe.kind())) {
                    return; // the attempt beside it may still produce content
                }
                cancelRunning("cancelled: " + from.target.id() + " failed with " + pe.kind().wireName());
            }
            FallbackSequence.Step next = sequence.next(pe, from.target);
            if (next == null) {
                error = sequence.failure();
            } else {
                launch(next, false);
            }
        }

        /** One attempt's subscription to a provider stream. */
        private final class Upstream implements Flow.Subscriber<ChatChunk> {
            private final Target target;
            private final Duration waited;
            private final boolean hedged;
            private final Cooldowns.Lease lease;
            private Budgets.Reservation reservation;
            private final ChunkAssembler assembler = prepared.cacheKey() == null ? null : new ChunkAssembler();
            private final Instant start = router.clock().instant();
            private volatile Flow.Subscription subscription;
            private final AtomicBoolean cancelledUpstream = new AtomicBoolean();

            // Drain-loop state.
            private final List<ChatChunk> held = new ArrayList<>();
            private Scheduler.Timer hedgeTimer = Scheduler.Timer.NONE;
            private boolean over;
            private long outstanding;
            private Duration firstToken;
            private Usage usage;
            private long completionChars;

            Upstream(Target target, Duration waited, boolean hedged, Cooldowns.Lease lease,
                     Budgets.Reservation reservation) {
                this.target = target;
                this.waited = waited;
                this.hedged = hedged;
                this.lease = lease;
                this.reservation = reservation;
            }

            Duration elapsed() {
                return Duration.between(start, router.clock().instant());
            }

            Attempt attempt(FailureKind failure, int status, String message) {
                return new Attempt(target.id(), failure, status, message, waited, firstToken, elapsed(), hedged);
            }

            void cancel() {
                hedgeTimer.cancel();
                if (cancelledUpstream.compareAndSet(false, true)) {
                    Flow.Subscription s = subscription;
                    if (s != null) {
                        s.cancel();
                    }
                }
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                if (cancelledUpstream.get()) {
                    s.cancel();
                    return;
                }
                signal(() -> { });
            }

            @Override
            public void onNext(ChatChunk item) {
                signal(() -> onChunk(this, item));
            }

            @Override
            public void onError(Throwable throwable) {
                signal(() -> Downstream.this.onError(this, throwable));
            }

            @Override
            public void onComplete() {
                signal(() -> Downstream.this.onComplete(this));
            }
        }
    }
}
