package dev.chatrouter.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the caller stands after a request: the tightest of the router's rate limits that applied to it (the one
 * with the fewest requests, and the one with the fewest tokens, left) and the tightest of its dollar budgets
 * ({@code key}, {@code user}, {@code tag} and {@code global}: the one with the least left). In HTTP mode these are
 * the {@code X-RateLimit-*} and {@code X-DI-Budget-Remaining-USD} headers (docs/operations.md).
 *
 * @param requests the requests-per-minute limit with the fewest left, or {@code null} when none applied
 * @param tokens   the tokens-per-minute limit with the fewest left, or {@code null} when none applied
 * @param budget   the dollar budget with the least left, or {@code null} when none applied
 */
public record Headroom(Limit requests, Limit tokens, Budget budget) {

    /** No rate limit and no budget applied. */
    public static final Headroom NONE = new Headroom(null, null, null);

    /**
     * One rate limit's state.
     *
     * @param scope     the concrete scope, such as {@code key:team-a}
     * @param limit     the limit per minute
     * @param remaining what is left in the current minute (0 when it is used up or beyond)
     * @param reset     how long until the minute ends and the limit is whole again
     */
    public record Limit(String scope, long limit, long remaining, Duration reset) {
        public Limit {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(reset, "reset");
        }
    }

    /**
     * One budget's state.
     *
     * @param scope        the concrete scope, such as {@code key:team-a}
     * @param window       the window's wire name
     * @param remainingUsd what is left of its dollar limit (spent and reserved taken off), at least 0
     */
    public record Budget(String scope, String window, double remainingUsd) {
        public Budget {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(window, "window");
        }
    }
}
