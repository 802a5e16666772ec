package dev.chatrouter.core.engine;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.Tokens;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

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
    Accounting.Hold hold;
    /** The tokenizer of the target's model, for counting what arrives when no usage is reported. */
    final Encoding encoding;
    C call;
    Scheduler.Timer hedgeTimer = Scheduler.Timer.NONE;
    boolean over;
    Duration firstToken;
    /** The attempt's index in the request, from 0. */
    int index;
    /** The usage it was charged and its cost, once settled; {@code null} and 0 before or when released. */
    Usage settled;
    double cost;
    /** Completes once the store took this leg's settled spend (or queued it); done when nothing was settled. */
    CompletionStage<Void> recorded = CompletableFuture.completedFuture(null);
    private Usage reported;
    static final int COUNT_BATCH_CHARS = 1_024;
    private long countedTokens;
    private StringBuilder pending;

    Leg(FallbackSequence.Step step, boolean hedged, Cooldowns.Lease lease, Accounting.Hold hold, Instant start) {
        this.step = step;
        this.hedged = hedged;
        this.lease = lease;
        this.hold = hold;
        this.encoding = step.target().encoding();
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

    /**
     * Counts output text received with the target's tokenizer, for when the upstream reports no usage. The text is
     * gathered and counted {@value #COUNT_BATCH_CHARS} characters at a time (and the rest when charged), so memory
     * stays bounded; a token split across two batches counts twice, so the count can only err upwards, by at most
     * one token a batch.
     */
    void counted(String text) {
        if (pending == null) {
            pending = new StringBuilder(Math.max(64, text.length()));
        }
        pending.append(text);
        if (pending.length() >= COUNT_BATCH_CHARS) {
            countPending();
        }
    }

    private void countPending() {
        if (pending != null && !pending.isEmpty()) {
            countedTokens += Tokens.count(pending.toString(), encoding);
            pending.setLength(0);
        }
    }

    /**
     * What the attempt is charged: the usage reported, else the prompt's exact count and the counted output.
     * Never zero: the upstream read the prompt.
     */
    Usage charge(Accounting accounting) {
        if (reported != null) {
            return reported;
        }
        countPending();
        return Usage.of(accounting.countedInput(target()), countedTokens);
    }

    Attempt attempt(FailureKind failure, int status, String message, Duration latency) {
        return new Attempt(target().id(), failure, status, message, step.delay(), firstToken, latency, hedged);
    }
}
