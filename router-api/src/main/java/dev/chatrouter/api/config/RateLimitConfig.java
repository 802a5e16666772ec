package dev.chatrouter.api.config;

import java.util.Objects;

/**
 * A router rate limit (docs/routing.md#budgets): requests and tokens per minute for a scope.
 *
 * @param scope {@code global}, {@code key:NAME}, {@code user:ID} or {@code tag:NAME}; {@code *} for one per value
 * @param rpm   requests per minute, 0 for none
 * @param tpm   tokens per minute (estimated input plus requested output), 0 for none
 */
public record RateLimitConfig(String scope, long rpm, long tpm) {
    public RateLimitConfig {
        Objects.requireNonNull(scope, "scope");
        if (rpm < 0 || tpm < 0) {
            throw new IllegalArgumentException("rpm and tpm of " + scope + " must not be negative");
        }
        if (rpm == 0 && tpm == 0) {
            throw new IllegalArgumentException("rate limit " + scope + " needs rpm or tpm");
        }
        BudgetConfig.Scope parsed = BudgetConfig.Scope.parse(scope);
        if (!parsed.refusesRequest()) {
            throw new IllegalArgumentException("rate limit scope '" + scope + "' must be global, key, user or tag;"
                    + " a provider's own caps go in its limits");
        }
    }
}
