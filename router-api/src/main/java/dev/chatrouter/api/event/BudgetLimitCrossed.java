package dev.chatrouter.api.event;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A budget crossed one of its limits, told once per budget, window and limit (per router instance): a
 * {@linkplain Limit#SOFT soft} limit when settled spend first reaches it (requests go the cheap way from then on), a
 * {@linkplain Limit#HARD hard} limit when it first refuses spend (a request, or for a provider or model budget, a
 * target).
 *
 * @param at     when, on the router's clock
 * @param scope  the concrete scope: {@code global}, {@code key:team-a}, {@code user:u-42}, {@code provider:openai}...
 * @param window {@code minute}, {@code hour}, {@code day} or {@code month}
 * @param limit  which limit
 * @param unit   what {@code spent} and {@code limitValue} count
 * @param spent  what was spent in the window when it crossed (settled, without reservations)
 * @param limitValue the limit
 */
public record BudgetLimitCrossed(Instant at, String scope, String window, Limit limit, Unit unit, double spent,
                                 double limitValue) {
    public BudgetLimitCrossed {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(limit, "limit");
        Objects.requireNonNull(unit, "unit");
    }

    /** Which limit a budget crossed. */
    public enum Limit {
        /** {@code soft_limit_usd}: reached; the route's {@code flash} pool is used with the cost policy. */
        SOFT,
        /** {@code limit_usd} or {@code limit_tokens}: spend was refused. */
        HARD;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a budget counts. */
    public enum Unit {
        USD, TOKENS;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
