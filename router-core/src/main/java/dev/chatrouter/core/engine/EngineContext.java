package dev.chatrouter.core.engine;

import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.LatencyTracker;

import java.time.Clock;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * What the attempt engine needs from the router, and nothing more: time, timers, the jitter source, and where
 * each attempt's outcome is told. A feature that is off is a no-op object here ({@link Served#NONE},
 * {@link Answers#NONE}, {@link RouterListener#NONE}), never a null.
 *
 * @param clock     the router's clock
 * @param scheduler timers for backoffs, hedges and deadlines
 * @param random    the jitter of backoffs, in [0, 1)
 * @param latency   observes each winner's time to first token (streams) or to its answer
 * @param cooldowns each target's circuit breaker, told every attempt's outcome
 * @param served    remembers which target served a prompt prefix (sticky prefixes)
 * @param answers   keeps streamed answers in the response cache
 * @param listener  told of each attempt and of each request's end; {@link RouterListener#NONE} when none is
 *                  registered, and then no event is built
 */
public record EngineContext(Clock clock, Scheduler scheduler, DoubleSupplier random, LatencyTracker latency,
                            Cooldowns cooldowns, Served served, Answers answers, RouterListener listener) {

    /** A context without listeners. */
    public EngineContext(Clock clock, Scheduler scheduler, DoubleSupplier random, LatencyTracker latency,
                         Cooldowns cooldowns, Served served, Answers answers) {
        this(clock, scheduler, random, latency, cooldowns, served, answers, RouterListener.NONE);
    }

    public EngineContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(cooldowns, "cooldowns");
        Objects.requireNonNull(served, "served");
        Objects.requireNonNull(answers, "answers");
        Objects.requireNonNull(listener, "listener");
    }

    /** Told which target served a request's prompt prefix. */
    @FunctionalInterface
    public interface Served {
        /** Sticky prefixes are off. */
        Served NONE = (stickyKey, target) -> { };

        void served(long stickyKey, String target);
    }

    /** Keeps an answer under a response-cache key. */
    @FunctionalInterface
    public interface Answers {
        /** The response cache is off. */
        Answers NONE = (cacheKey, response, target) -> { };

        void remember(String cacheKey, ChatResponse response, String target);
    }
}
