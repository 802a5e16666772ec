package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.function.Function;

/** Helpers for the stages plugins return. */
public final class Stages {
    private Stages() {
    }

    /**
     * Maps an upstream answer, keeping the caller's cancellation connected: cancelling the returned future cancels
     * {@code source} (which resets the upstream request). An exception thrown by {@code decode} that is not a
     * {@link ProviderException} becomes one of kind {@link FailureKind#SERVER}: the upstream sent what could not be
     * read.
     */
    public static <A, B> CompletableFuture<B> decode(CompletableFuture<A> source, Function<A, B> decode) {
        CompletableFuture<B> result = new CompletableFuture<>();
        source.whenComplete((value, error) -> {
            if (error != null) {
                result.completeExceptionally(unwrap(error));
                return;
            }
            try {
                result.complete(decode.apply(value));
            } catch (ProviderException e) {
                result.completeExceptionally(e);
            } catch (RuntimeException e) {
                result.completeExceptionally(new ProviderException(FailureKind.SERVER,
                        "unreadable upstream answer: " + e.getMessage(), e));
            }
        });
        result.whenComplete((value, error) -> {
            if (result.isCancelled()) {
                source.cancel(false);
            }
        });
        return result;
    }

    /**
     * A publisher that fails at once: each subscriber gets a subscription that does nothing, then {@code error}. For a
     * stream that cannot be started (its request cannot be written, say).
     */
    public static <T> Flow.Publisher<T> failedPublisher(Throwable error) {
        return subscriber -> {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(error);
        };
    }

    /** The cause of a {@link CompletionException}, or the throwable itself. */
    public static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
