package dev.chatrouter.api;

import dev.chatrouter.api.chat.ChatChunk;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A streamed chat. Subscribe once: chunks arrive as the upstream sends them, with backpressure, each with
 * {@code model} echoing the caller's intent. The stream completes normally only when the upstream finished
 * the answer; a failure after content was delivered ends it with {@link Flow.Subscriber#onError} carrying a
 * {@link ChatRouterException}. Cancelling the subscription cancels the upstream call.
 *
 * <p>Chunks are delivered on the router's threads (an event loop, or the thread that requested): subscribers
 * must not block in {@code onNext}. Signals are never concurrent.
 */
public interface ChatStream extends Flow.Publisher<ChatChunk> {

    /**
     * How the stream was routed; completes when the stream ends (normally, with an error or cancelled), and
     * never fails: errors are in the attempts.
     */
    CompletionStage<RoutingReport> report();

    /**
     * How the stream is being routed, as soon as it has committed to a target: completes just before the first
     * chunk is delivered (the report then names the serving target and the attempts so far, with no cost yet),
     * or with the final report when the stream ends before any chunk. Never fails. An HTTP front uses it to
     * write response headers before the body.
     */
    CompletionStage<RoutingReport> started();
}
