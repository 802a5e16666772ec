package dev.chatrouter.core.dispatch;

import java.time.Duration;

/** Runs a task after a delay without blocking a thread; the router's is backed by Vert.x timers. */
@FunctionalInterface
public interface Scheduler {

    /** Runs {@code task} after {@code delay}; a zero delay may run it at once, on the calling thread. */
    void schedule(Duration delay, Runnable task);
}
