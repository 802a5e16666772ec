package dev.chatrouter.api.config;

import dev.chatrouter.api.spi.ProviderSpec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole router configuration, as the YAML file or the builder says it. Validation (targets naming
 * configured models, known plugin types...) happens when the router is built.
 *
 * @param providers    providers by id, in order
 * @param routes       routes by intent id, in order: the first whose match fits wins
 * @param defaultRoute   the route for model ids no route matches, or {@code null}
 * @param classification the built-in classifier's settings
 * @param cache          the caches
 * @param budgets        the budgets
 * @param rateLimits     the router's rate limits
 * @param accounting     where budgets are counted and how worst cases are bounded, or {@code null} when not
 *                       configured (the router then uses {@link AccountingConfig#DEFAULTS} with its builder's
 *                       default store)
 */
public record RouterConfig(Map<String, ProviderSpec> providers, Map<String, RouteConfig> routes,
                           String defaultRoute, ClassificationConfig classification, CacheConfig cache,
                           List<BudgetConfig> budgets, List<RateLimitConfig> rateLimits,
                           AccountingConfig accounting) {
    public RouterConfig {
        providers = Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
        classification = classification == null ? ClassificationConfig.DEFAULTS : classification;
        cache = cache == null ? CacheConfig.DEFAULTS : cache;
        budgets = budgets == null ? List.of() : List.copyOf(budgets);
        rateLimits = rateLimits == null ? List.of() : List.copyOf(rateLimits);
    }

    /** A configuration without an {@code accounting} section. */
    public RouterConfig(Map<String, ProviderSpec> providers, Map<String, RouteConfig> routes, String defaultRoute,
                        ClassificationConfig classification, CacheConfig cache, List<BudgetConfig> budgets,
                        List<RateLimitConfig> rateLimits) {
        this(providers, routes, defaultRoute, classification, cache, budgets, rateLimits, null);
    }

    /** A configuration with the default classification and caches, and no budgets or rate limits. */
    public RouterConfig(Map<String, ProviderSpec> providers, Map<String, RouteConfig> routes, String defaultRoute) {
        this(providers, routes, defaultRoute, ClassificationConfig.DEFAULTS, CacheConfig.DEFAULTS, List.of(), List.of());
    }
}
