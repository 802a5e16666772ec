package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.core.route.Target;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A whole answer (a chat completion, embeddings): an attempt shows content when it answers, so the first answer
 * wins. The caller gets a future; cancelling it cancels the attempts under way.
 *
 * @param <R> the provider's answer
 * @param <T> what the caller gets
 */
final class AnswerSink<R, T> implements Sink<AnswerSink.AnswerCall<R>> {

    private final Function<Target, CompletionStage<R>> call;
    private final Function<R, Usage> usageOf;
    private final BiFunction<R, Usage, R> finish;
    private final BiFunction<R, RoutingReport, T> result;
    private final CompletableFuture<T> outcome = new CompletableFuture<>();

    AnswerSink(Function<Target, CompletionStage<R>> call, Function<R, Usage> usageOf, BiFunction<R, Usage, R> finish,
               BiFunction<R, RoutingReport, T> result) {
        this.call = call;
        this.usageOf = usageOf;
        this.finish = finish;
        this.result = result;
    }

    /** Starts {@code run} and answers through the returned future. */
    CompletableFuture<T> run(Run<AnswerCall<R>> run) {
        outcome.whenComplete((value, error) -> {
            if (outcome.isCancelled()) {
                run.cancel("cancelled by the caller");
            }
        });
        run.start();
        return outcome;
    }

    /** One provider call: its pending answer. */
    static final class AnswerCall<R> implements Sink.Call {
        private final CompletableFuture<R> pending;
        private final Function<R, Usage> usageOf;
        private R value;

        AnswerCall(CompletableFuture<R> pending, Function<R, Usage> usageOf) {
            this.pending = pending;
            this.usageOf = usageOf;
        }

        @Override
        public void cancel() {
            pending.cancel(false);
        }

        @Override
        public Usage answeredUsage() {
            if (pending.isDone() && !pending.isCompletedExceptionally()) {
                return usageOf.apply(pending.join());
            }
            return null;
        }
    }

    @Override
    public AnswerCall<R> start(Leg<AnswerCall<R>> leg, Run<AnswerCall<R>> run) {
        CompletableFuture<R> pending;
        try {
            pending = call.apply(leg.target()).toCompletableFuture();
        } catch (RuntimeException e) {
            pending = CompletableFuture.failedFuture(e);
        }
        AnswerCall<R> answer = new AnswerCall<>(pending, usageOf);
        pending.whenComplete((value, error) -> run.execute(() -> {
            if (error != null) {
                run.failed(leg, error);
            } else {
                answer.value = value;
                leg.reported(usageOf.apply(value));
                run.completed(leg);
            }
        }));
        return answer;
    }

    @Override
    public void committed(Leg<AnswerCall<R>> winner, RoutingReport started) {
        // a whole answer is delivered when it is settled
    }

    @Override
    public void succeeded(Leg<AnswerCall<R>> winner, Usage usage, double cost, RoutingReport report) {
        outcome.complete(result.apply(finish.apply(winner.call.value, usage.withCost(cost)), report));
    }

    @Override
    public void failed(ChatRouterException error, RoutingReport report, boolean now) {
        outcome.completeExceptionally(error);
    }

    @Override
    public void cancelled(RoutingReport report) {
        // the future is cancelled already
    }
}
