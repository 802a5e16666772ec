package dev.chatrouter.core.cache;

import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A cached answer replayed as a stream, honouring demand; signals arrive on the thread that requests. */
public final class ReplayStream implements ChatStream {

    private final List<ChatChunk> chunks;
    private final CompletableFuture<RoutingReport> report;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    public ReplayStream(List<ChatChunk> chunks, RoutingReport report) {
        this.chunks = List.copyOf(chunks);
        this.report = CompletableFuture.completedFuture(report);
    }

    @Override
    public CompletionStage<RoutingReport> report() {
        return report;
    }

    @Override
    public CompletionStage<RoutingReport> started() {
        return report;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ChatChunk> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        boolean first = subscribed.compareAndSet(false, true);
        subscriber.onSubscribe(new Flow.Subscription() {
            private final AtomicLong demand = new AtomicLong();
            private final AtomicInteger wip = new AtomicInteger();
            private final AtomicBoolean done = new AtomicBoolean(!first);
            private int index;

            @Override
            public void request(long n) {
                if (n <= 0) {
                    if (done.compareAndSet(false, true)) {
                        subscriber.onError(new IllegalArgumentException("request(n) needs n > 0 but was " + n));
                    }
                    return;
                }
                demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
                if (wip.getAndIncrement() != 0) {
                    return;
                }
                int missed = 1;
                do {
                    while (!done.get() && demand.get() > 0 && index < chunks.size()) {
                        demand.decrementAndGet();
                        subscriber.onNext(chunks.get(index++));
                    }
                    if (index == chunks.size() && done.compareAndSet(false, true)) {
                        subscriber.onComplete();
                    }
                    missed = wip.addAndGet(-missed);
                } while (missed != 0);
            }

            @Override
            public void cancel() {
                done.set(true);
            }
        });
        if (!first) {
            subscriber.onError(new IllegalStateException("a ChatStream can be subscribed to once"));
        }
    }
}
