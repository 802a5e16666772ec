package dev.chatrouter.core;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
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
 * content; after that a failure ends the stream with {@code onError}. Chunks are passed on with {@code model}
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
        private final List<ChatChunk> held = new ArrayList<>();
        private boolean started;
        private boolean committed;
        private boolean upstreamDone;
        private boolean terminated;
        private boolean cancelled;
        private ChatRouterException error;
        private Upstream current;
        private Instant attemptStart;
        private Duration firstToken;
        private Duration waited = Duration.ZERO;
        private long outstanding;
        private Usage usage;
        private long completionChars;
        private double cost;
        private Budgets.Reservation reservation;
        private final ChunkAssembler assembler = prepared.cacheKey() == null ? null : new ChunkAssembler();

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
                    startAttempt(sequence.first());
                }
            });
        }

        @Override
        public void cancel() {
            signal(() -> {
                if (!terminated) {
                    cancelled = true;
                    terminated = true;
                    if (current != null) {
                        current.cancel();
                    }
                    Target target = current == null ? null : current.target;
                    if (target != null) {
                        sequence.record(new Attempt(target.id(), null, 200, "cancelled by the caller", waited,
                                firstToken, elapsed(), false));
                    }
                    account(target);
                    finishReport(target);
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
                committedReport.complete(prepared.report(current.target, sequence, 0));
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
                finishReport(current.target);
                subscriber.onComplete();
                return;
            }
            if (current != null && current.subscription != null && outstanding < PREFETCH / 2) {
                long more = PREFETCH - outstanding;
                outstanding += more;
                current.subscription.request(more);
            }
        }

        private void terminate(Throwable failure) {
            if (terminated) {
                return;
            }
            terminated = true;
            pending.clear();
            if (current != null) {
                current.cancel();
            }
            account(current == null ? null : current.target);
            finishReport(current == null ? null : current.target);
            subscriber.onError(failure);
        }

        private void finishReport(Target served) {
            RoutingReport done = prepared.report(served, sequence, cost);
            committedReport.complete(done);
            report.complete(done);
        }

        /**
         * Settles the current attempt's reservation: to the usage received (or counted) once content was sent, since
         * a stream cut short or cancelled is charged for what it delivered; else it is released.
         */
        private void account(Target target) {
            if (reservation == null) {
                return;
            }
            if (committed && target != null) {
                if (usage == null) {
                    usage = Usage.of(prepared.shape().estimatedInputTokens(), (completionChars + 3) / 4);
                }
                cost = prepared.accounting().settle(reservation, target.model(), usage);
            } else {
                prepared.accounting().release(reservation);
            }
            reservation = null;
        }

        private Duration elapsed() {
            return attemptStart == null ? Duration.ZERO : Duration.between(attemptStart, router.clock().instant());
        }

        private void startAttempt(FallbackSequence.Step step) {
            waited = step.delay();
            router.scheduler().schedule(step.delay(), () -> signal(() -> {
                if (terminated) {
                    return;
                }
                Target target = step.target();
                Accounting.Start start;
                try {
                    start = prepared.accounting().begin(target);
                } catch (ChatRouterException refused) {
                    error = refused;
                    return;
                }
                if (start instanceof Accounting.Start.Skip skip) {
                    FallbackSequence.Step next = sequence.skip(skip.reason());
                    if (next == null) {
                        error = sequence.failure();
                    } else {
                        startAttempt(next);
                    }
                    return;
                }
                reservation = ((Accounting.Start.Granted) start).reservation();
                attemptStart = router.clock().instant();
                firstToken = null;
                outstanding = 0;
                held.clear();
                current = new Upstream(target);
                ProviderCall call = new ProviderCall(prepared.requestId(), target.model(),
                        router.upstreamRequest(request, prepared, target), prepared.deadline());
                try {
                    target.provider().stream(call).subscribe(current);
                } catch (RuntimeException e) {
                    current.onError(e);
                }
            }));
        }

        private void onChunk(Upstream from, ChatChunk chunk) {
            if (from != current || terminated) {
                return;
            }
            outstanding--;
            if (assembler != null) {
                assembler.add(chunk.withModel(prepared.intent()));
            }
            if (chunk.usage() != null) {
                usage = chunk.usage();
                cost = Costs.of(from.target.model().price(), usage);
                chunk = chunk.withUsage(usage.withCost(cost));
                if (!includeUsage) {
                    if (chunk.choices().isEmpty()) {
                        return;
                    }
                    chunk = chunk.withUsage(null);
                }
            }
            for (var choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    completionChars += choice.delta().content().length();
                }
            }
            chunk = chunk.withModel(prepared.intent());
            if (!committed) {
                if (!chunk.hasContent()) {
                    held.add(chunk);
                    return;
                }
                committed = true;
                firstToken = elapsed();
                router.latency().observe(from.target.id(), firstToken.toMillis());
                router.served(prepared, from.target);
                pending.addAll(held);
                held.clear();
            }
            pending.add(chunk);
        }

        private void onComplete(Upstream from) {
            if (from != current || terminated) {
                return;
            }
            if (!committed) {
                committed = true;
                firstToken = elapsed();
                pending.addAll(held);
                held.clear();
            }
            boolean counted = usage == null;
            account(from.target);
            if (counted) {
                // The upstream sent no usage: it was charged from counted tokens, never zero.
                if (includeUsage) {
                    pending.add(new ChatChunk(pending.isEmpty() ? prepared.requestId() : pending.peekLast().id(),
                            "chat.completion.chunk", router.clock().instant().getEpochSecond(), prepared.intent(),
                            List.of(), usage.withCost(cost), null, java.util.Map.of()));
                }
            }
            sequence.record(new Attempt(from.target.id(), null, 200, null, waited, firstToken, elapsed(), false));
            upstreamDone = true;
            if (assembler != null) {
                ChatResponse assembled = assembler.response();
                router.remember(prepared, assembled.withUsage(usage.withCost(cost)), from.target.id());
            }
        }

        private void onError(Upstream from, Throwable failure) {
            if (from != current || terminated) {
                return;
            }
            ProviderException pe = DefaultChatRouter.asProviderException(failure);
            sequence.record(new Attempt(from.target.id(), pe.kind(), pe.status(), pe.getMessage(), waited, firstToken,
                    elapsed(), false));
            account(from.target);
            if (committed) {
                error = ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR,
                                "the stream failed after content was sent: " + pe.getMessage())
                        .failureKind(pe.kind()).upstream(pe.status(), pe.upstreamType().orElse(null),
                                pe.upstreamCode().orElse(null)).attempts(sequence.attempts()).cause(pe).build();
                return;
            }
            held.clear();
            FallbackSequence.Step next = sequence.next(pe);
            if (next == null) {
                error = sequence.failure();
            } else {
                startAttempt(next);
            }
        }

        /** One attempt's subscription to a provider stream. */
        private final class Upstream implements Flow.Subscriber<ChatChunk> {
            private final Target target;
            private volatile Flow.Subscription subscription;
            private final AtomicBoolean cancelledUpstream = new AtomicBoolean();

            Upstream(Target target) {
                this.target = target;
            }

            void cancel() {
                cancelledUpstream.set(true);
                Flow.Subscription s = subscription;
                if (s != null) {
                    s.cancel();
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
