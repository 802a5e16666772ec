package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.chat.ChatChunk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records every signal and every breach of the Flow rules it can see: a signal before onSubscribe, onNext beyond
 * what was requested, concurrent signals, signals after a terminal one. By default it requests one chunk at a
 * time, from inside onNext.
 */
class RecordingSubscriber implements Flow.Subscriber<ChatChunk> {

    final List<ChatChunk> chunks = Collections.synchronizedList(new ArrayList<>());
    final List<String> violations = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final AtomicInteger signalsAfterTerminal = new AtomicInteger();
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicInteger inSignal = new AtomicInteger();
    private final long batch;
    volatile Flow.Subscription subscription;
    volatile int maxDepth;
    private int depth;

    RecordingSubscriber() {
        this(1);
    }

    /** Requests {@code batch} at subscribe and after each batch; 0 to request nothing by itself. */
    RecordingSubscriber(long batch) {
        this.batch = batch;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        enter("onSubscribe");
        if (this.subscription != null) {
            violations.add("onSubscribe twice");
        }
        this.subscription = subscription;
        leave();
        if (batch > 0) {
            request(batch);
        }
    }

    void request(long n) {
        outstanding.addAndGet(n);
        subscription.request(n);
    }

    @Override
    public void onNext(ChatChunk chunk) {
        enter("onNext");
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        if (subscription == null) {
            violations.add("onNext before onSubscribe");
        }
        if (outstanding.decrementAndGet() < 0) {
            violations.add("onNext beyond demand at chunk " + chunks.size());
        }
        chunks.add(chunk);
        leave();
        if (batch > 0 && outstanding.get() == 0) {
            request(batch);
        }
        depth--;
    }

    @Override
    public void onError(Throwable error) {
        enter("onError");
        leave();
        done.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        enter("onComplete");
        leave();
        done.complete(null);
    }

    private void enter(String signal) {
        if (inSignal.getAndIncrement() != 0) {
            violations.add(signal + " while another signal ran");
        }
        if (done.isDone()) {
            signalsAfterTerminal.incrementAndGet();
            violations.add(signal + " after the terminal signal");
        }
    }

    private void leave() {
        inSignal.decrementAndGet();
    }

    /** Waits at most 5 seconds for onComplete; throws what onError carried. */
    List<ChatChunk> awaitCompletion() throws InterruptedException, ExecutionException, TimeoutException {
        done.get(5, TimeUnit.SECONDS);
        return chunks;
    }

    /** Waits at most 5 seconds for onError and returns its error. */
    Throwable awaitError() throws InterruptedException, TimeoutException {
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the stream completed normally");
    }
}
