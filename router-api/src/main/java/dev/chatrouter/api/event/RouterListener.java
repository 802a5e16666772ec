package dev.chatrouter.api.event;

/**
 * Told what the router does, as it does it: requests and their attempts, cooldowns opening and closing, budgets
 * crossing their limits, attempts going on unaccounted. Register one with
 * {@link dev.chatrouter.api.ChatRouter.Builder#listener}; every method has a no-op default, so a listener overrides
 * only what it needs. Metrics ({@code router-micrometer}), tracing
 * ({@code router-opentelemetry}) and the HTTP server's access log are listeners.
 *
 * <p><b>Listeners run inline</b>, on the thread that made the event happen, which is often an event loop: they
 * must be quick and must never block (no I/O, no locks held long, no waiting on futures). A listener that needs to
 * do slow work hands the event to a queue of its own. The router calls listeners outside its own locks. A listener
 * that throws is logged and otherwise ignored: it never fails or slows a request beyond its own running time.
 *
 * <p>Events carry no secret (no provider key, no virtual key, only the key's name) and no prompt or completion
 * content. For one request the events come in order: {@link #onRequestStarted}, then for each attempt
 * {@link #onAttemptStarted} and later its {@link #onAttemptFinished} (a hedged attempt may start before the one
 * beside it finishes), then {@link #onRequestFinished}. Events of different requests interleave, possibly on
 * different threads: implementations must be thread-safe.
 */
public interface RouterListener {

    /** A listener that does nothing; the router skips building events when it is the only one. */
    RouterListener NONE = new RouterListener() {
        @Override
        public String toString() {
            return "RouterListener.NONE";
        }
    };

    /** A request was classified and is about to be routed, or failed before it could be (then a finish follows). */
    default void onRequestStarted(RequestStarted event) {
    }

    /** An attempt at one target starts. */
    default void onAttemptStarted(AttemptStarted event) {
    }

    /** An attempt ended: it succeeded, failed with a kind, or was cancelled. */
    default void onAttemptFinished(AttemptFinished event) {
    }

    /** A request ended: answered, failed or cancelled by the caller. */
    default void onRequestFinished(RequestFinished event) {
    }

    /** A target failed repeatedly and cools down: it is skipped until {@link CooldownOpened#until()}. */
    default void onCooldownOpened(CooldownOpened event) {
    }

    /** A cooling target's probe succeeded: it takes requests again. */
    default void onCooldownClosed(CooldownClosed event) {
    }

    /** A budget reached its soft limit, or its hard limit refused spend, for the first time in its window. */
    default void onBudgetLimitCrossed(BudgetLimitCrossed event) {
    }

    /** The accounting store could not be reached and an attempt went on without a reservation (failing open). */
    default void onUnaccounted(Unaccounted event) {
    }
}
