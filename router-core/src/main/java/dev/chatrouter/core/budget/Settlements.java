package dev.chatrouter.core.budget;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.core.dispatch.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Settlements fired at the store, and those it could not take kept in a bounded queue, retried one at a time with
 * backoff ({@link #FIRST_BACKOFF} doubling to {@link #MAX_BACKOFF}) until the store takes them: spend is never lost
 * while the process lives. Fails in a way that only ever counts more, never less: when the store took a settlement
 * but its answer was lost, the retry records the spend a second time.
 */
final class Settlements {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** At most this many settlements wait; beyond, the oldest is dropped and logged as an error. */
    static final int MAX_PENDING = 100_000;

    private record Pending(String id, List<Charge> actual) {
    }

    private final AccountingStore store;
    private final Scheduler scheduler;
    // guarded by this
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** The settlements sent and not answered yet (a remote store), each until its answer has been handled. */
    private final Set<CompletableFuture<Void>> underWay = ConcurrentHashMap.newKeySet();
    private boolean retrying;
    private boolean closed;
    private Duration backoff = FIRST_BACKOFF;
    private long dropped;
    /** Where waiting settlements go once this one is closed: the router a reload built to replace this one's. */
    private Settlements successor;

    Settlements(AccountingStore store, Scheduler scheduler) {
        this.store = store;
        this.scheduler = scheduler;
    }

    /**
     * Fires a settlement; when the store is unavailable, queues it for retries. Any other failure (the store was
     * closed, a bug) is logged as an error with the spend, not retried.
     */
    CompletionStage<Void> settle(String id, List<Charge> actual) {
        CompletableFuture<Void> sent = send(id, actual);
        if (sent.isDone() && !sent.isCompletedExceptionally()) {
            // taken at once (in memory, durable): nothing to watch
            return sent;
        }
        // under way until its answer is handled (a failure queued): close() waits for it
        CompletableFuture<Void> handled = new CompletableFuture<>();
        underWay.add(handled);
        sent.whenComplete((v, e) -> {
            try {
                handle(id, actual, e);
            } finally {
                underWay.remove(handled);
                handled.complete(null);
            }
        });
        return sent;
    }

    /** A settlement's answer: a failure of an unavailable store queues it for retries; any other is logged. */
    private void handle(String id, List<Charge> actual, Throwable e) {
        if (e == null) {
            return;
        }
        Throwable cause = e;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof AccountingStore.Unavailable) {
            queue(new Pending(id, actual), cause);
        } else {
            LOG.error("accounting: a settlement could not be recorded: {}", actual, cause);
        }
    }

    int pending() {
        synchronized (this) {
            return queue.size();
        }
    }

    private CompletableFuture<Void> send(String id, List<Charge> actual) {
        try {
            return store.settle(id, actual).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Hands the settlements still waiting when this one closes, and any that fail after, to {@code next} (the
     * router that replaces this one's), which retries them until its store takes them.
     */
    void handOverTo(Settlements next) {
        synchronized (this) {
            successor = next;
        }
    }

    private void queue(Pending p, Throwable why) {
        boolean start;
        Pending lost = null;
        int size;
        Settlements next;
        synchronized (this) {
            next = closed ? successor : null;
        }
        if (next != null) {
            next.queue(p, why);
            return;
        }
        synchronized (this) {
            if (closed) {
                LOG.error("accounting: closed, a settlement could not be recorded: {}", p.actual());
                return;
            }
            if (queue.size() >= MAX_PENDING) {
                lost = queue.pollFirst();
                dropped++;
            }
            queue.addLast(p);
            size = queue.size();
            start = !retrying && !closed;
            if (start) {
                retrying = true;
            }
        }
        if (lost != null) {
            LOG.error("accounting: " + MAX_PENDING + " settlements wait for the store; dropped the oldest: "
                    + lost.actual());
        }
        if (start) {
            LOG.warn("accounting: a settlement failed (" + reason(why) + "); kept (" + size
                    + " waiting) and retried until the store takes it");
            schedule();
        }
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException)) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private void schedule() {
        Duration wait;
        synchronized (this) {
            wait = backoff;
        }
        try {
            scheduler.schedule(wait, this::retry);
        } catch (RuntimeException e) {
            // the scheduler is gone (closing): close() hands over what is left
            synchronized (this) {
                retrying = false;
            }
        }
    }

    /** Sends the oldest waiting settlement; on success the next at once, on failure again after a longer wait. */
    private void retry() {
        Pending head;
        synchronized (this) {
            head = queue.peekFirst();
            if (head == null || closed) {
                retrying = false;
                return;
            }
        }
        send(head.id(), head.actual()).whenComplete((v, e) -> {
            boolean more;
            synchronized (this) {
                if (e == null) {
                    queue.remove(head);
                    backoff = FIRST_BACKOFF;
                } else {
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
                            : backoff.multipliedBy(2);
                }
                more = !queue.isEmpty() && !closed;
                if (!more) {
                    retrying = false;
                }
            }
            if (e == null && !more) {
                LOG.info("accounting: every waiting settlement is recorded");
            }
            if (more) {
                if (e == null) {
                    retry();
                } else {
                    schedule();
                }
            }
        });
    }

    /**
     * Waits for the settlements under way to be answered (one that fails joins the waiting ones), then hands every
     * waiting settlement to the successor when there is one; else sends each once more. Waits at most {@code wait} in
     * all, and logs what is still not recorded.
     */
    void close(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        for (CompletableFuture<Void> answer : List.copyOf(underWay)) {
            try {
                answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                break; // out of time: what is still under way is logged by its own answer, if it fails
            }
        }
        List<Pending> left;
        Settlements next;
        synchronized (this) {
            closed = true;
            left = new ArrayList<>(queue);
            queue.clear();
            next = successor;
        }
        if (left.isEmpty()) {
            return;
        }
        if (next != null) {
            for (Pending p : left) {
                next.queue(p, new IllegalStateException("handed over by the router a reload replaced"));
            }
            return;
        }
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (Pending p : left) {
            sent.add(send(p.id(), p.actual()));
        }
        int lost = 0;
        for (int i = 0; i < sent.size(); i++) {
            try {
                sent.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lost++;
            } catch (Exception e) {
                lost++;
                LOG.error("accounting: closing, a settlement could not be recorded: {}", left.get(i).actual());
            }
        }
        if (lost > 0) {
            LOG.error("accounting: closing, " + lost + " settlements could not be recorded");
        }
    }
}
