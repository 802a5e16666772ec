package dev.chatrouter.core.engine;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;

import java.time.Duration;
import java.time.Instant;

/**
 * One attempt under way, as the engine keeps it: its target, its claims (cooldown lease, budget reservation),
 * what it reported using, and its call. Touched on the run's serial executor only.
 *
 * @param <C> the sink's call
 */
final class Leg<C extends Sink.Call> {

    final FallbackSequence.Step step;
    final boolean hedged;
    final Cooldowns.Lease lease;
    final Instant start;
    Budgets.Reservation reservation;
    C call;
    Scheduler.Timer hedgeTimer = Scheduler.Timer.NONE;
    boolean over;
    Duration firstToken;
    /** The attempt's index in the request, from 0. */
    int index;
    /** The usage it was charged and its cost, once settled; {@code null} and 0 before or when released. */
    Usage settled;
    double cost;
    private Usage reported;
    private long countedChars;

    Leg(FallbackSequence.Step step, boolean hedged, Cooldowns.Lease lease, Budgets.Reservation reservation,
        Instant start) {
        this.step = step;
        this.hedged = hedged;
        this.lease = lease;
        this.reservation = reservation;
        this.start = start;
    }

    Target target() {
        return step.target();
    }

    /** True once the attempt ended (answered, failed or cancelled): later signals of its call are ignored. */
    boolean over() {
        return over;
    }

    /** The usage the upstream reported (a usage chunk, or the answer's usage). */
    void reported(Usage usage) {
        if (usage != null) {
            this.reported = usage;
        }
    }

    /** The usage the upstream reported, or {@code null}. */
    Usage reported() {
        return reported;
    }

    /** Counts output characters received, for when the upstream reports no usage. */
    void counted(long chars) {
        countedChars += chars;
    }

    /**
     * What the attempt is charged: the usage reported, else the estimated input and the counted output. Never
     * zero: the upstream read the prompt.
     */
    Usage charge(long estimatedInputTokens) {
        return reported != null ? reported : Usage.of(estimatedInputTokens, (countedChars + 3) / 4);
    }

    Attempt attempt(FailureKind failure, int status, String message, Duration latency) {
        return new Attempt(target().id(), failure, status, message, step.delay(), firstToken, latency, hedged);
    }
}
