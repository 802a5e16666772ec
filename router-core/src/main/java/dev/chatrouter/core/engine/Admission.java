package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Whether an attempt at a target may start, asked once by the attempt engine for every shape of answer: the target must
 * not be cooling down (or must be this attempt's single probe), and its worst case must fit the budgets. Asked
 * asynchronously, since the budgets may live in a remote store; the stage completes inline when the store answers
 * at once, and never fails.
 */
sealed interface Admission {

    /** Start the attempt; settle or release both afterwards. */
    record Admitted(Cooldowns.Lease lease, Accounting.Hold hold) implements Admission {
    }

    /** Skip this target (cooling down, its own budget or caps full) and try the next. */
    record Skipped(String reason) implements Admission {
    }

    /**
     * A key, user, tag or global budget has no room for this target's worst case: the next candidate (a cheaper
     * one, say) may still fit; the request is refused with this error only when none does. Or the accounting store
     * is unavailable (failing closed, {@code accounting_unavailable}): the request ends with this error.
     */
    record Refused(ChatRouterException error) implements Admission {
    }

    static CompletionStage<Admission> of(Cooldowns cooldowns, Prepared prepared, Target target) {
        Cooldowns.Lease lease = cooldowns.start(target.id());
        if (lease == null) {
            return CompletableFuture.completedFuture(new Skipped(Cooldowns.REASON));
        }
        CompletionStage<Accounting.Start> start;
        try {
            start = prepared.accounting().begin(target);
        } catch (RuntimeException e) {
            start = CompletableFuture.failedFuture(e);
        }
        return start.handle((begun, error) -> {
            if (error != null) {
                lease.released();
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                return new Refused(cause instanceof ChatRouterException refused ? refused
                        : ChatRouterException.internal(cause));
            }
            if (begun instanceof Accounting.Start.Skip skip) {
                lease.released();
                return new Skipped(skip.reason());
            }
            return new Admitted(lease, ((Accounting.Start.Granted) begun).hold());
        });
    }
}
