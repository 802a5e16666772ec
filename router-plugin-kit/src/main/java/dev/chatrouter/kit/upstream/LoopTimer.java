package dev.chatrouter.kit.upstream;

import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A call's one-shot timeout, scheduled on its context's event loop with the loop's own scheduler. Almost every
 * timeout is cancelled within a millisecond of being set (the answer came), so what it costs to set and cancel is
 * what counts: a Vert.x timer also registers in the instance's timer map and in its deployment's close hooks, which
 * two event loops contend for; the loop's scheduler keeps a queue per loop. The task runs on {@code context}, as a
 * Vert.x timer's handler does.
 */
final class LoopTimer {

    private final Future<?> scheduled;

    private LoopTimer(Future<?> scheduled) {
        this.scheduled = scheduled;
    }

    /** Runs {@code task} on {@code context} after {@code delayMs} milliseconds, unless cancelled first. */
    static LoopTimer start(Context context, long delayMs, Runnable task) {
        ContextInternal loop = (ContextInternal) context; // every Vert.x 5 context is one
        return new LoopTimer(loop.nettyEventLoop().schedule(() -> loop.emit(v -> task.run()), delayMs,
                TimeUnit.MILLISECONDS));
    }

    /** Stops the timer if it has not fired; from any thread, any number of times. */
    void cancel() {
        scheduled.cancel(false);
    }
}
