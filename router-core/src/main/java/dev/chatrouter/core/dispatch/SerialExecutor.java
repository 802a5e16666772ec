package dev.chatrouter.core.dispatch;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs tasks one at a time, in the order submitted, on whichever thread submits while none is running (a
 * trampoline): the state a request's tasks share needs no lock, and a task that submits another never recurses.
 * Never blocks.
 */
public final class SerialExecutor implements Executor {

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final Consumer<Throwable> onError;

    /** @param onError called (serially) with what a task threw; the following tasks still run */
    public SerialExecutor(Consumer<Throwable> onError) {
        this.onError = onError;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            Runnable next;
            while ((next = tasks.poll()) != null) {
                try {
                    next.run();
                } catch (Throwable t) {
                    onError.accept(t);
                }
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }
}
