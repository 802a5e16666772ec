package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.core.route.Target;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The one place a prepared request's attempts are run: admission, launch, retries, hedging, fallback, the
 * deadline, cancellation and settlement happen in one run per request (package-private), whatever the answer's
 * shape; only where the answer goes differs, a whole answer or a stream. What it needs from the router comes
 * through its {@link EngineContext}.
 */
public final class AttemptEngine {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    /** How long {@link #close} waits for runs busy on other threads to end. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final EngineContext context;
    private final LiveRuns live = new LiveRuns();

    public AttemptEngine(EngineContext context) {
        this.context = context;
    }

    /**
     * Ends every run under way with {@code router_closed}, cancelling its attempts: a router that is closed leaves
     * no request waiting (the HTTP server closes a router only once its own requests have finished). A run busy on
     * another thread at that moment (its answer arriving, a listener called) ends as soon as that thread lets it;
     * this waits for those, at most {@link #CLOSE_WAIT}, so that what they settle and release reaches the store
     * before the router closes it.
     */
    public void close() {
        try {
            live.close().get(CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn("closing the router: {} request(s) still running after {} s; what they spend may not be recorded",
                    live.size(), CLOSE_WAIT.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // never: nothing fails the drain
        }
    }

    /**
     * Runs a request whose answer comes whole (a chat completion, embeddings). Cancelling the returned future
     * cancels the attempts under way.
     *
     * @param call    starts the call at a target
     * @param usageOf the usage an answer reports, or {@code null}
     * @param finish  the answer as the caller gets it, given the usage it was charged (with its cost)
     * @param result  the answer with its report
     */
    public <R, T> CompletableFuture<T> answer(Prepared prepared, Function<Target, CompletionStage<R>> call,
                                              Function<R, Usage> usageOf, BiFunction<R, Usage, R> finish,
                                              BiFunction<R, RoutingReport, T> result) {
        AnswerSink<R, T> sink = new AnswerSink<>(call, usageOf, finish, result);
        return sink.run(new Run<>(context, prepared, sink, live));
    }

    /**
     * Runs a streamed request; the attempts start when the subscriber first asks for chunks.
     *
     * @param call         opens the stream at a target
     * @param includeUsage whether the caller asked for the usage chunk
     */
    public ChatStream stream(Prepared prepared, Function<Target, Flow.Publisher<ChatChunk>> call,
                             boolean includeUsage) {
        StreamSink sink = new StreamSink(context, call, includeUsage);
        sink.attach(new Run<>(context, prepared, sink, live));
        return sink;
    }

    /** A stream that fails with {@code error} as soon as it is subscribed to. */
    public static ChatStream failedStream(ChatRouterException error) {
        return new FailedStream(error);
    }
}
