package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.Target;

/**
 * Whether an attempt at a target may start, asked once by the attempt engine for every shape of answer: the target must
 * not be cooling down (or must be this attempt's single probe), and its worst case must fit the budgets.
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
     * one, say) may still fit; the request is refused with this error only when none does.
     */
    record Refused(ChatRouterException error) implements Admission {
    }

    static Admission of(Cooldowns cooldowns, Prepared prepared, Target target) {
        Cooldowns.Lease lease = cooldowns.start(target.id());
        if (lease == null) {
            return new Skipped(Cooldowns.REASON);
        }
        Accounting.Start start;
        try {
            start = prepared.accounting().begin(target);
        } catch (ChatRouterException refused) {
            lease.released();
            return new Refused(refused);
        }
        if (start instanceof Accounting.Start.Skip skip) {
            lease.released();
            return new Skipped(skip.reason());
        }
        return new Admitted(lease, ((Accounting.Start.Granted) start).hold());
    }
}
