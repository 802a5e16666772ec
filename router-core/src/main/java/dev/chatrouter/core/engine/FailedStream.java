package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/** A stream that failed before any attempt: its subscriber gets the error, and its reports are {@code null}. */
final class FailedStream implements ChatStream {

    private static final CompletableFuture<RoutingReport> NONE = CompletableFuture.completedFuture(null);

    private final ChatRouterException error;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    FailedStream(ChatRouterException error) {
        this.error = error;
    }

    @Override
    public CompletionStage<RoutingReport> report() {
        return NONE;
    }

    @Override
    public CompletionStage<RoutingReport> started() {
        return NONE;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ChatChunk> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        refuse(subscriber, subscribed.compareAndSet(false, true) ? error
                : new IllegalStateException("a ChatStream can be subscribed to once"));
    }

    /** Gives {@code subscriber} a subscription that does nothing, then {@code error}. */
    static void refuse(Flow.Subscriber<?> subscriber, Throwable error) {
        subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        subscriber.onError(error);
    }
}
