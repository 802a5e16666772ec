package dev.chatrouter.core.dispatch;

import java.time.Duration;

/** Runs a task after a delay without blocking a thread; the router's is backed by Vert.x timers. */
@FunctionalInterface
public interface Scheduler {

    /**
     * Runs {@code task} after {@code delay}; a zero delay may run it at once, on the calling thread.
     *
     * @return a handle that cancels the task if it has not run yet (and lets go of it)
     */
    Timer schedule(Duration delay, Runnable task);

    /** A scheduled task. */
    @FunctionalInterface
    interface Timer {
        /** A timer that has nothing left to cancel. */
        Timer NONE = () -> { };

        /** Cancels the task if it has not run; does nothing otherwise. */
        void cancel();
    }
}
