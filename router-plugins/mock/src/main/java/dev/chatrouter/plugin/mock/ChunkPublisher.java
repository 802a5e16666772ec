package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.chat.ChatChunk;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A cold publisher of a precomputed stream. Each subscription is one call: the call is made (and counted) on the
 * first {@code request}, and its chunks, or its failure, are delivered after the planned delay.
 *
 * <p>Signals go out from a drain loop guarded by a work-in-progress counter, so they are never concurrent, never
 * exceed demand, and a {@code request} made from inside {@code onNext} only adds demand for the running loop to
 * serve instead of recursing. They run on the thread that requested, or on the delayed executor's thread.
 */
final class ChunkPublisher implements Flow.Publisher<ChatChunk> {

    private final Supplier<Planned<List<ChatChunk>>> call;

    ChunkPublisher(Supplier<Planned<List<ChatChunk>>> call) {
        this.call = call;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ChatChunk> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        subscriber.onSubscribe(new ChunkSubscription(subscriber, call));
    }

    private static final class ChunkSubscription implements Flow.Subscription {
        private final Flow.Subscriber<? super ChatChunk> subscriber;
        private final Supplier<Planned<List<ChatChunk>>> call;
        private final AtomicLong requested = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean started;
        private volatile boolean cancelled;
        private volatile IllegalArgumentException badRequest;
        /** Set, once, before {@link #ready}; read only by the drain loop. */
        private Planned<List<ChatChunk>> answer;
        private volatile boolean ready;
        /** Touched only by the drain loop. */
        private int next;

        ChunkSubscription(Flow.Subscriber<? super ChatChunk> subscriber, Supplier<Planned<List<ChatChunk>>> call) {
            this.subscriber = subscriber;
            this.call = call;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                badRequest = new IllegalArgumentException(
                        "Reactive Streams rule 3.9: request must be positive but was " + n);
                drain();
                return;
            }
            requested.getAndAccumulate(n, (current, more) -> current + more < 0 ? Long.MAX_VALUE : current + more);
            if (!started) {
                start();
            }
            drain();
        }

        private synchronized void start() {
            if (started) {
                return;
            }
            started = true;
            Planned<List<ChatChunk>> planned = call.get();
            answer = planned;
            if (planned.delay().isZero()) {
                ready = true;
            } else {
                Planned.after(planned.delay(), () -> {
                    ready = true;
                    drain();
                });
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            while (true) {
                if (cancelled) {
                    return;
                }
                if (badRequest != null) {
                    cancelled = true;
                    subscriber.onError(badRequest);
                    return;
                }
                if (ready && emit()) {
                    return;
                }
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        /** Sends what demand allows; true once a terminal signal went out (the loop then stays claimed). */
        private boolean emit() {
            if (answer.failure() != null) {
                cancelled = true;
                subscriber.onError(answer.failure());
                return true;
            }
            List<ChatChunk> chunks = answer.value();
            long demand = requested.get();
            long sent = 0;
            while (sent != demand && next < chunks.size()) {
                if (cancelled || badRequest != null) {
                    return false;
                }
                subscriber.onNext(chunks.get(next++));
                sent++;
            }
            if (next == chunks.size() && !cancelled && badRequest == null) {
                cancelled = true;
                subscriber.onComplete();
                return true;
            }
            if (sent != 0 && demand != Long.MAX_VALUE) {
                requested.addAndGet(-sent);
            }
            return false;
        }
    }
}
