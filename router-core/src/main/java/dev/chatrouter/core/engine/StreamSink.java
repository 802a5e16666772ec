package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.core.cache.ChunkAssembler;
import dev.chatrouter.core.dispatch.Costs;
import dev.chatrouter.core.route.Target;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A streamed answer. Each attempt's chunks are held until it shows content; the first to do so is committed (the
 * engine stops the others) and its chunks go to the subscriber, with {@code model} set to the intent and the usage
 * chunk priced (passed on only when the caller asked for usage). Until then a failure fails over unseen; after, it
 * ends the stream with {@code onError}. Demand is passed upstream in windows of {@value #PREFETCH}, so what is
 * buffered per stream is bounded.
 */
final class StreamSink implements Sink<StreamSink.Upstream>, ChatStream {

    /** Chunks requested from the upstream ahead of demand; bounds what is buffered per stream. */
    static final int PREFETCH = 16;

    private final Function<Target, Flow.Publisher<ChatChunk>> call;
    private final boolean includeUsage;
    private final EngineContext context;
    private final CompletableFuture<RoutingReport> report = new CompletableFuture<>();
    private final CompletableFuture<RoutingReport> started = new CompletableFuture<>();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicLong demand = new AtomicLong();
    private Run<Upstream> run;
    private volatile Flow.Subscriber<? super ChatChunk> subscriber;

    // Serial state.
    private final ArrayDeque<ChatChunk> pending = new ArrayDeque<>();
    private final List<Upstream> upstreams = new ArrayList<>(2);
    private boolean upstreamDone;
    private boolean terminated;
    private ChatRouterException error;

    StreamSink(EngineContext context, Function<Target, Flow.Publisher<ChatChunk>> call, boolean includeUsage) {
        this.context = context;
        this.call = call;
        this.includeUsage = includeUsage;
    }

    void attach(Run<Upstream> run) {
        this.run = run;
    }

    @Override
    public CompletionStage<RoutingReport> report() {
        return report;
    }

    @Override
    public CompletionStage<RoutingReport> started() {
        return started;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ChatChunk> s) {
        Objects.requireNonNull(s, "subscriber");
        if (!subscribed.compareAndSet(false, true)) {
            FailedStream.refuse(s, new IllegalStateException("a ChatStream can be subscribed to once"));
            return;
        }
        subscriber = s;
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0) {
                    run.execute(() -> terminate(new IllegalArgumentException(
                            "request(n) needs n > 0 but was " + n + " (reactive streams rule 3.9)")));
                    return;
                }
                demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
                run.start();
            }

            @Override
            public void cancel() {
                run.cancel("cancelled by the caller");
            }
        });
    }

    // ---- the engine's side ----

    @Override
    public Upstream start(Leg<Upstream> leg, Run<Upstream> run) {
        Upstream upstream = new Upstream(leg);
        upstreams.add(upstream);
        try {
            call.apply(leg.target()).subscribe(upstream);
        } catch (RuntimeException e) {
            upstream.onError(e);
        }
        return upstream;
    }

    @Override
    public void committed(Leg<Upstream> winner, RoutingReport startedReport) {
        pending.addAll(winner.call.held);
        winner.call.held.clear();
        started.complete(startedReport);
    }

    @Override
    public void succeeded(Leg<Upstream> winner, Usage usage, double cost, RoutingReport done) {
        Upstream from = winner.call;
        if (winner.reported() == null && includeUsage) {
            // the upstream sent no usage: it was charged from counted tokens, never zero
            pending.add(new ChatChunk(pending.isEmpty() ? run.prepared().requestId() : pending.peekLast().id(),
                    "chat.completion.chunk", context.clock().instant().getEpochSecond(), run.prepared().intent(),
                    List.of(), usage.withCost(cost), null, Map.of()));
        }
        if (from.assembler != null) {
            ChatResponse assembled = from.assembler.response();
            context.answers().remember(run.prepared().cacheKey(), assembled.withUsage(usage.withCost(cost)),
                    winner.target().id());
        }
        upstreamDone = true;
        finishReport(done);
    }

    @Override
    public void failed(ChatRouterException failure, RoutingReport done, boolean now) {
        finishReport(done);
        if (now) {
            terminate(failure);
        } else {
            error = failure;
        }
    }

    @Override
    public void cancelled(RoutingReport done) {
        terminated = true;
        pending.clear();
        finishReport(done);
    }

    private void finishReport(RoutingReport done) {
        if (done != null) {
            started.complete(done);
            report.complete(done);
        } else {
            started.complete(null);
            report.complete(null);
        }
    }

    @Override
    public boolean streaming() {
        return true;
    }

    @Override
    public void afterEvent() {
        if (terminated || subscriber == null) {
            return;
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
            subscriber.onComplete();
            return;
        }
        upstreams.removeIf(u -> u.leg.over());
        for (Upstream upstream : upstreams) {
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
        pending.clear();
        if (failure instanceof IllegalArgumentException) {
            run.cancel("cancelled: the subscriber broke the reactive streams rules");
        }
        subscriber.onError(failure);
    }

    private void onChunk(Upstream from, ChatChunk chunk) {
        Leg<Upstream> leg = from.leg;
        if (leg.over() || terminated) {
            return;
        }
        from.outstanding--;
        String intent = run.prepared().intent();
        if (from.assembler != null) {
            from.assembler.add(chunk.withModel(intent));
        }
        if (chunk.usage() != null) {
            leg.reported(chunk.usage());
            double chunkCost = Costs.of(leg.target().model().price(), chunk.usage());
            chunk = chunk.withUsage(chunk.usage().withCost(chunkCost));
            if (!includeUsage) {
                if (chunk.choices().isEmpty() && chunk.nativeAnswer() == null) {
                    return; // a native event is relayed whatever it carries
                }
                chunk = chunk.withUsage(null);
            }
        }
        if (leg.reported() == null) {
            for (var choice : chunk.choices()) {
                if (choice.delta() != null) {
                    countDelta(leg, choice.delta());
                }
            }
        }
        chunk = chunk.withModel(intent);
        if (run.winner() != leg) {
            if (!chunk.hasContent()) {
                from.held.add(chunk);
                return;
            }
            run.content(leg);
            if (run.winner() != leg) {
                return; // another attempt won: only the winner's chunks reach the subscriber
            }
        }
        pending.add(chunk);
    }

    /** Counts a delta's text (content, refusal, tool calls) for a stream that may report no usage. */
    private static void countDelta(Leg<Upstream> leg, dev.chatrouter.api.chat.Delta delta) {
        if (delta.content() != null) {
            leg.counted(delta.content());
        }
        if (delta.refusal() != null) {
            leg.counted(delta.refusal());
        }
        if (delta.toolCalls() != null) {
            for (var call : delta.toolCalls()) {
                if (call.function() != null) {
                    if (call.function().name() != null) {
                        leg.counted(call.function().name());
                    }
                    if (call.function().arguments() != null) {
                        leg.counted(call.function().arguments());
                    }
                }
            }
        }
    }

    /** One attempt's subscription to a provider stream. */
    final class Upstream implements Flow.Subscriber<ChatChunk>, Sink.Call {
        private final Leg<Upstream> leg;
        private final ChunkAssembler assembler = run.prepared().cacheKey() == null ? null : new ChunkAssembler();
        private final AtomicBoolean cancelledUpstream = new AtomicBoolean();
        private volatile Flow.Subscription subscription;

        // Serial state.
        private final List<ChatChunk> held = new ArrayList<>();
        private long outstanding;

        Upstream(Leg<Upstream> leg) {
            this.leg = leg;
        }

        @Override
        public void cancel() {
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
            run.execute(() -> { });
        }

        @Override
        public void onNext(ChatChunk item) {
            run.execute(() -> onChunk(this, item));
        }

        @Override
        public void onError(Throwable throwable) {
            run.execute(() -> run.failed(leg, throwable));
        }

        @Override
        public void onComplete() {
            run.execute(() -> run.completed(leg));
        }
    }
}
