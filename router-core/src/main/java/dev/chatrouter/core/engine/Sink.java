package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.Usage;

/**
 * Where a request's answer goes, and how one attempt's call is made for it: a whole answer ({@link AnswerSink})
 * or a stream ({@link StreamSink}). The engine decides which attempt runs, wins, is settled and reported; the
 * sink makes calls, turns what they send into {@link Run#content}, {@link Run#completed} and {@link Run#failed},
 * and delivers the winner's answer. Every method runs on the run's serial executor.
 *
 * @param <C> the sink's call
 */
interface Sink<C extends Sink.Call> {

    /** One attempt's call, as the engine stops it. */
    interface Call {
        /** Stops the call (resets the upstream request); nothing it sends afterwards is read. */
        void cancel();

        /** The usage of a call that has answered although the engine had not heard yet, or {@code null}. */
        default Usage answeredUsage() {
            return null;
        }
    }

    /** Starts the call of {@code leg}; it reports back through {@code run}. */
    C start(Leg<C> leg, Run<C> run);

    /**
     * {@code winner} showed content first: its answer is the caller's. {@code started} counts it; it is built only
     * for a sink that is {@link #streaming()} ({@code null} otherwise).
     */
    void committed(Leg<C> winner, RoutingReport started);

    /** The winner ended well; it was charged {@code usage} at {@code cost} dollars. */
    void succeeded(Leg<C> winner, Usage usage, double cost, RoutingReport report);

    /**
     * The request failed. {@code now}: at once, dropping what waits for demand (a deadline, a bug); else after
     * what was received is delivered (a stream that broke after content).
     */
    void failed(ChatRouterException error, RoutingReport report, boolean now);

    /** The caller cancelled; every attempt has stopped. */
    void cancelled(RoutingReport report);

    /** True when the answer is streamed: the attempts' time to first token is then worth telling. */
    default boolean streaming() {
        return false;
    }

    /** After each event the run handled: a stream delivers what demand allows. */
    default void afterEvent() {
    }
}
