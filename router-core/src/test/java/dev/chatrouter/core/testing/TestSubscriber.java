package dev.chatrouter.core.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Collects what a publisher signals; requests an initial amount and lets the test request more. */
public final class TestSubscriber<T> implements Flow.Subscriber<T> {

    private final long initialRequest;
    private final List<T> items = new CopyOnWriteArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch subscribed = new CountDownLatch(1);
    private final AtomicInteger terminalSignals = new AtomicInteger();
    private volatile Flow.Subscription subscription;
    private volatile Throwable error;
    private volatile boolean completed;
    private volatile Runnable atComplete = () -> { };

    public TestSubscriber(long initialRequest) {
        this.initialRequest = initialRequest;
    }

    /** Requests everything at once. */
    public static <T> TestSubscriber<T> unbounded() {
        return new TestSubscriber<>(Long.MAX_VALUE);
    }

    /**
     * Runs {@code action} inside {@link #onComplete}, on the thread that signals it, before {@link #awaitDone}
     * returns; what it throws is thrown to the publisher, as a subscriber's bug would be.
     */
    public TestSubscriber<T> atComplete(Runnable action) {
        this.atComplete = action;
        return this;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        subscribed.countDown();
        if (initialRequest > 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(T item) {
        items.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        error = throwable;
        terminalSignals.incrementAndGet();
        done.countDown();
    }

    @Override
    public void onComplete() {
        completed = true;
        terminalSignals.incrementAndGet();
        try {
            atComplete.run();
        } finally {
            done.countDown();
        }
    }

    public void request(long n) {
        subscription.request(n);
    }

    public void cancel() {
        subscription.cancel();
    }

    /** Waits for the end of the stream, at most {@code timeout}; fails the test when it does not come. */
    public TestSubscriber<T> awaitDone(Duration timeout) {
        try {
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("stream did not end within " + timeout + "; got " + items.size() + " items");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return this;
    }

    /** Waits until at least {@code count} items arrived, at most {@code timeout}. */
    public TestSubscriber<T> awaitItems(int count, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (items.size() < count) {
            if (System.nanoTime() > end) {
                throw new AssertionError("got " + items.size() + " items, wanted " + count + " within " + timeout);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return this;
    }

    public List<T> items() {
        return List.copyOf(items);
    }

    public Throwable error() {
        return error;
    }

    public boolean completed() {
        return completed;
    }

    public int terminalSignals() {
        return terminalSignals.get();
    }
}
