package dev.chatrouter.core.dispatch;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs tasks one at a time, in the order submitted, on whichever thread submits while none is running (a
 * trampoline): the state a request's tasks share needs no lock, and a task that submits another never recurses.
 * Never blocks.
 *
 * <p>The queue is a plain linked list guarded by a monitor that is held only to link or unlink a node, never while
 * a task runs; the {@code wip} counter decides which thread drains. A request's executor mostly sees one thread
 * submitting at a time, with nothing running: such a task runs at once, for one compare-and-set and one decrement,
 * and is never queued.
 */
public final class SerialExecutor implements Executor {

    private static final class Node {
        final Runnable task;
        /** Run after the task when it returned normally, or {@code null}. */
        final Runnable after;
        Node next;

        Node(Runnable task, Runnable after) {
            this.task = task;
            this.after = after;
        }
    }

    private final AtomicInteger wip = new AtomicInteger();
    private final Consumer<Throwable> onError;
    /** The tasks not yet run, oldest first; guarded by {@code this}. */
    private Node head;
    private Node tail;

    /** @param onError called (serially) with what a task threw; the following tasks still run */
    public SerialExecutor(Consumer<Throwable> onError) {
        this.onError = onError;
    }

    @Override
    public void execute(Runnable task) {
        execute(task, null);
    }

    /**
     * Runs {@code task} and then, unless the task threw, {@code after} (when not null), as one task: what the
     * caller would otherwise wrap in a lambda per task.
     */
    public void execute(Runnable task, Runnable after) {
        if (wip.compareAndSet(0, 1)) {
            // nothing runs or waits (the commonest case): run it here, without a node or the monitor
            run(task, after);
            int missed = wip.decrementAndGet();
            if (missed != 0) {
                drain(missed); // what was submitted while it ran
            }
            return;
        }
        Node node = new Node(task, after);
        synchronized (this) {
            if (tail == null) {
                head = node;
            } else {
                tail.next = node;
            }
            tail = node;
        }
        if (wip.getAndIncrement() == 0) {
            drain(1);
        }
    }

    /** Runs the queued tasks while {@code wip} says there are more; {@code missed} is this thread's claim on it. */
    private void drain(int missed) {
        do {
            Node next;
            while ((next = poll()) != null) {
                run(next.task, next.after);
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void run(Runnable task, Runnable after) {
        try {
            task.run();
            if (after != null) {
                after.run();
            }
        } catch (Throwable t) {
            onError.accept(t);
        }
    }

    private synchronized Node poll() {
        Node first = head;
        if (first == null) {
            return null;
        }
        head = first.next;
        if (head == null) {
            tail = null;
        }
        return first;
    }
}
