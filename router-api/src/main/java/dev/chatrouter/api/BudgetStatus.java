package dev.chatrouter.api;

import java.time.Instant;

/**
 * Spend against one budget in its current window.
 *
 * @param scope           the concrete scope, such as {@code key:team-a}
 * @param window          the window's wire name
 * @param limitUsd        the hard dollar limit, or {@code null}
 * @param softLimitUsd    the soft dollar limit, or {@code null}
 * @param spentUsd        settled spend in dollars
 * @param reservedUsd     reserved for requests in flight, in dollars
 * @param remainingUsd    what is left of the dollar limit ({@code null} without one)
 * @param limitTokens     the token limit, or {@code null}
 * @param spentTokens     settled tokens
 * @param reservedTokens  tokens reserved for requests in flight
 * @param remainingTokens what is left of the token limit ({@code null} without one)
 * @param resetsAt        when the window ends
 */
public record BudgetStatus(String scope, String window, Double limitUsd, Double softLimitUsd, double spentUsd,
                           double reservedUsd, Double remainingUsd, Long limitTokens, long spentTokens,
                           long reservedTokens, Long remainingTokens, Instant resetsAt) {
}
