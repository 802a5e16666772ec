package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.spi.ProviderException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What one call will answer and when: a value or a failure, after a delay.
 *
 * @param delay   how long to wait before answering; zero answers on the caller's thread
 * @param value   the answer when {@code failure} is {@code null}
 * @param failure the failure, or {@code null}
 */
record Planned<T>(Duration delay, T value, ProviderException failure) {

    /** A future completed with the answer after the delay, off the caller's thread; at once when there is none. */
    CompletableFuture<T> deliver() {
        if (delay.isZero()) {
            return failure == null ? CompletableFuture.completedFuture(value) : CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        after(delay, () -> {
            if (failure == null) {
                future.complete(value);
            } else {
                future.completeExceptionally(failure);
            }
        });
        return future;
    }

    /** Runs {@code task} after {@code delay} without holding a thread meanwhile. */
    static void after(Duration delay, Runnable task) {
        CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS).execute(task);
    }
}
