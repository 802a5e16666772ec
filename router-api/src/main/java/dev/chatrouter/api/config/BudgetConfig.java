package dev.chatrouter.api.config;

import java.util.Objects;

/**
 * A budget (docs/routing.md#budgets).
 *
 * @param scope        {@code global}, {@code key:NAME}, {@code user:ID}, {@code tag:NAME}, {@code provider:ID} or
 *                     {@code model:PROVIDER/MODEL}; {@code *} in place of the name makes one budget per value
 * @param window       the calendar window (UTC) over which spend counts
 * @param limitUsd     the hard limit in US dollars, or {@code null}
 * @param limitTokens  the hard limit in tokens, or {@code null}
 * @param softLimitUsd above this spend the route's {@code flash} pool is used with the cost policy, or {@code null}
 */
public record BudgetConfig(String scope, Window window, Double limitUsd, Long limitTokens, Double softLimitUsd) {

    public BudgetConfig {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(window, "window");
        if (limitUsd == null && limitTokens == null && softLimitUsd == null) {
            throw new IllegalArgumentException("budget " + scope + " needs limit_usd, limit_tokens or soft_limit_usd");
        }
        if (limitUsd != null && !(limitUsd >= 0)) {
            throw new IllegalArgumentException("limit_usd of " + scope + " must not be negative");
        }
        if (limitTokens != null && limitTokens < 0) {
            throw new IllegalArgumentException("limit_tokens of " + scope + " must not be negative");
        }
        if (softLimitUsd != null && !(softLimitUsd >= 0)) {
            throw new IllegalArgumentException("soft_limit_usd of " + scope + " must not be negative");
        }
        Scope.parse(scope);
    }

    /** A dollar budget. */
    public static BudgetConfig usd(String scope, Window window, double limitUsd) {
        return new BudgetConfig(scope, window, limitUsd, null, null);
    }

    /** A token budget. */
    public static BudgetConfig tokens(String scope, Window window, long limitTokens) {
        return new BudgetConfig(scope, window, null, limitTokens, null);
    }

    /**
     * A parsed scope.
     *
     * @param kind  {@code global}, {@code key}, {@code user}, {@code tag}, {@code provider} or {@code model}
     * @param value the name, {@code *} for one per value, or {@code null} for global
     */
    public record Scope(String kind, String value) {

        /**
         * Parses {@code global} or {@code kind:value}.
         *
         * @throws IllegalArgumentException if the scope is malformed
         */
        public static Scope parse(String scope) {
            if ("global".equals(scope)) {
                return new Scope("global", null);
            }
            int colon = scope.indexOf(':');
            String kind = colon < 0 ? scope : scope.substring(0, colon);
            String value = colon < 0 ? "" : scope.substring(colon + 1);
            if (!(kind.equals("key") || kind.equals("user") || kind.equals("tag") || kind.equals("provider")
                    || kind.equals("model")) || value.isEmpty()) {
                throw new IllegalArgumentException("scope '" + scope + "' must be global, key:NAME, user:ID, tag:NAME,"
                        + " provider:ID or model:PROVIDER/MODEL (NAME may be *)");
            }
            if (kind.equals("model") && !value.equals("*") && value.indexOf('/') <= 0) {
                throw new IllegalArgumentException("scope '" + scope + "' must name a target: model:PROVIDER/MODEL");
            }
            return new Scope(kind, value);
        }

        /** True for the scopes that refuse the request (key, user, tag, global) rather than drop a target. */
        public boolean refusesRequest() {
            return !kind.equals("provider") && !kind.equals("model");
        }
    }
}
