package dev.chatrouter.core.engine;

import dev.chatrouter.kit.internal.StripedSet;

import java.util.concurrent.CompletableFuture;

/**
 * The runs of one engine that started and have not ended, so that closing the router ends them. A run enters as it
 * starts and leaves as it ends; one that enters after the close (it was prepared just before) is told so at once.
 */
final class LiveRuns {

    /** Striped by the thread a run starts on: the event loops that start and end runs do not contend. */
    private final StripedSet<Run<?>> runs = new StripedSet<>();
    /** Completes once closed with no run left: every settlement and release of theirs has been handed on. */
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean closed;

    /** Adds {@code run}; false when the router is closed (then the run must end at once). */
    boolean enter(Run<?> run) {
        run.liveEntry = runs.add(run);
        return !closed;
    }

    void leave(Run<?> run) {
        runs.remove(run.liveEntry);
        if (closed && runs.isEmpty()) {
            drained.complete(null);
        }
    }

    /**
     * Ends every run under way with {@code router_closed}; a run entering from now on is refused. A run busy on
     * another thread ends when that thread lets it: the answer completes when none is left.
     */
    CompletableFuture<Void> close() {
        closed = true;
        for (Run<?> run : runs.snapshot()) {
            run.routerClosed();
        }
        if (runs.isEmpty()) {
            drained.complete(null);
        }
        return drained;
    }

    /** How many runs have not ended. */
    int size() {
        return runs.size();
    }
}
