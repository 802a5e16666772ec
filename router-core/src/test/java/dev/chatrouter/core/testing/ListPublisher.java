package dev.chatrouter.core.testing;

import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes a list, honouring demand, then completes or fails with the given error. Signals are delivered on the
 * thread that requests; re-entrant requests are trampolined. Counts cancellations.
 */
public final class ListPublisher<T> implements Flow.Publisher<T> {

    private final List<T> items;
    private final Throwable error;
    private final AtomicInteger cancellations = new AtomicInteger();

    public ListPublisher(List<T> items, Throwable error) {
        this.items = List.copyOf(items);
        this.error = error;
    }

    public int cancellations() {
        return cancellations.get();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        subscriber.onSubscribe(new Flow.Subscription() {
            private final AtomicLong demand = new AtomicLong();
            private final AtomicInteger wip = new AtomicInteger();
            private final AtomicBoolean done = new AtomicBoolean();
            private int index;

            @Override
            public void request(long n) {
                demand.getAndAdd(n);
                if (wip.getAndIncrement() != 0) {
                    return;
                }
                int missed = 1;
                do {
                    while (!done.get() && demand.get() > 0 && index < items.size()) {
                        demand.decrementAndGet();
                        subscriber.onNext(items.get(index++));
                    }
                    if (index == items.size() && done.compareAndSet(false, true)) {
                        if (error == null) {
                            subscriber.onComplete();
                        } else {
                            subscriber.onError(error);
                        }
                    }
                    missed = wip.addAndGet(-missed);
                } while (missed != 0);
            }

            @Override
            public void cancel() {
                if (done.compareAndSet(false, true)) {
                    cancellations.incrementAndGet();
                }
            }
        });
    }
}
