package dev.chatrouter.core.config;

import dev.chatrouter.kit.config.ConfigNode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns a parsed (and substituted) tree into a {@link RouterConfig}, checking every key, type and range before
 * a record is built, so that each failure names its path. Cross-references are left to {@link ConfigValidator}.
 */
final class ConfigReader {

    static final List<String> SECTIONS = List.of("providers", "routes", "default_route", "classification", "budgets",
            "rate_limits", "accounting", "cache", "server");
    private static final List<String> ACCOUNTING_KEYS = List.of("default_output_tokens", "store", "path",
            "flush_interval", "lease", "on_store_failure", "rate_limits_on_store_failure", "redis");
    private static final List<String> REDIS_KEYS = List.of("url", "key_prefix", "command_timeout");
    private static final List<String> BUDGET_KEYS = List.of("scope", "window", "limit_usd", "limit_tokens",
            "soft_limit_usd");
    private static final List<String> RATE_LIMIT_KEYS = List.of("scope", "rpm", "tpm");
    private static final List<String> CACHE_KEYS = List.of("sticky_prefix", "responses");
    private static final List<String> RESPONSE_CACHE_KEYS = List.of("enabled", "ttl", "max_entries",
            "deterministic_only");
    private static final List<String> STICKY_KEYS = List.of("enabled", "ttl", "max_entries");
    private static final List<String> CLASSIFICATION_KEYS = List.of("long_input_tokens", "order");
    private static final List<String> PROVIDER_KEYS = List.of("type", "base_url", "api_key", "headers", "timeouts",
            "max_connections", "limits", "models");
    private static final List<String> TIMEOUT_KEYS = List.of("connect_ms", "first_token_ms", "total_ms");
    private static final List<String> LIMIT_KEYS = List.of("rpm", "tpm");
    private static final List<String> MODEL_KEYS = List.of("upstream", "price", "context_window",
            "max_output_tokens", "capabilities");
    private static final List<String> PRICE_KEYS = List.of("input", "output", "cached_input", "cache_write");
    private static final List<String> ROUTE_KEYS = List.of("match", "base_type", "pools", "fallback",
            "hedge_after_ms");
    private static final List<String> POOL_KEYS = List.of("policy", "targets");
    private static final List<String> TARGET_KEYS = List.of("target", "weight");
    private static final List<String> FALLBACK_KEYS = List.of("max_attempts", "retries_per_target", "on",
            "max_retry_wait");
    private static final String CAPABILITY_NAMES = Arrays.stream(Capability.values()).map(Capability::wireName)
            .collect(Collectors.joining(", "));
    private static final String RETRYABLE_KINDS = Arrays.stream(FailureKind.values()).filter(FailureKind::retryable)
            .map(FailureKind::wireName).collect(Collectors.joining(", "));

    private final PluginCatalog plugins;

    /**
     * Every key the loader accepts, as a path with {@code <id>} for map keys the user chooses and {@code []} for
     * list elements (the HTTP module's {@code server} keys and plugin options are listed by their modules).
     */
    static List<String> keyPaths() {
        List<String> paths = new ArrayList<>();
        SECTIONS.stream().filter(s -> !s.equals("server")).forEach(paths::add);
        String provider = "providers.<id>.";
        PROVIDER_KEYS.forEach(k -> paths.add(provider + k));
        TIMEOUT_KEYS.forEach(k -> paths.add(provider + "timeouts." + k));
        LIMIT_KEYS.forEach(k -> paths.add(provider + "limits." + k));
        String model = provider + "models.<id>.";
        MODEL_KEYS.forEach(k -> paths.add(model + k));
        PRICE_KEYS.forEach(k -> paths.add(model + "price." + k));
        String route = "routes.<id>.";
        ROUTE_KEYS.forEach(k -> paths.add(route + k));
        POOL_KEYS.forEach(k -> paths.add(route + "pools.<type>." + k));
        TARGET_KEYS.forEach(k -> paths.add(route + "pools.<type>.targets[]." + k));
        FALLBACK_KEYS.forEach(k -> paths.add(route + "fallback." + k));
        CLASSIFICATION_KEYS.forEach(k -> paths.add("classification." + k));
        BUDGET_KEYS.forEach(k -> paths.add("budgets[]." + k));
        RATE_LIMIT_KEYS.forEach(k -> paths.add("rate_limits[]." + k));
        ACCOUNTING_KEYS.forEach(k -> paths.add("accounting." + k));
        CACHE_KEYS.forEach(k -> paths.add("cache." + k));
        RESPONSE_CACHE_KEYS.forEach(k -> paths.add("cache.responses." + k));
        STICKY_KEYS.forEach(k -> paths.add("cache.sticky_prefix." + k));
        ACCOUNTING_KEYS.forEach(k -> paths.add("accounting." + k));
        REDIS_KEYS.forEach(k -> paths.add("accounting.redis." + k));
        return paths;
    }

    ConfigReader(PluginCatalog plugins) {
        this.plugins = plugins;
    }

    RouterConfig read(ConfigNode root) {
        if (root.isAbsent()) {
            return new RouterConfig(Map.of(), Map.of(), null);
        }
        if (!root.isMap()) {
            throw root.mismatch("a map of sections (providers, routes, default_route) at the top level");
        }
        root.object("a map of sections", SECTIONS);
        Map<String, ProviderSpec> providers = new LinkedHashMap<>();
        root.field("providers").entries("a map of providers by id")
                .forEach((id, node) -> providers.put(id, provider(id, node)));
        Map<String, RouteConfig> routes = new LinkedHashMap<>();
        root.field("routes").entries("a map of routes by intent id")
                .forEach((id, node) -> routes.put(id, route(id, node)));
        return new RouterConfig(providers, routes, root.field("default_route").string(null),
                classification(root.field("classification")), cache(root.field("cache")),
                budgets(root.field("budgets")), rateLimits(root.field("rate_limits")),
                accounting(root.field("accounting")));
    }

    /** The {@code accounting} section, or {@code null} when absent; whether the store is installed is checked later. */
    private static AccountingConfig accounting(ConfigNode node) {
        if (node.isAbsent()) {
            return null;
        }
        node.object("a map", ACCOUNTING_KEYS);
        AccountingConfig d = AccountingConfig.DEFAULTS;
        ConfigNode storeNode = node.field("store");
        String store = storeNode.string(null);
        if (store != null && store.isBlank()) {
            throw storeNode.error("expected a store type (memory, durable, redis) but was empty");
        }
        ConfigNode pathNode = node.field("path");
        String path = pathNode.string(null);
        java.nio.file.Path file = null;
        if (path != null) {
            try {
                file = java.nio.file.Path.of(path);
            } catch (java.nio.file.InvalidPathException e) {
                throw pathNode.error("expected a file path: " + e.getMessage());
            }
        }
        AccountingConfig.FailureMode failure = failureMode(node.field("on_store_failure"), d.onStoreFailure());
        AccountingConfig.FailureMode rateFailure = failureMode(node.field("rate_limits_on_store_failure"),
                d.rateLimitsOnStoreFailure());
        AccountingConfig.Redis redis = null;
        ConfigNode r = node.field("redis");
        if (!r.isAbsent()) {
            r.object("a map", REDIS_KEYS);
            ConfigNode timeout = r.field("command_timeout");
            redis = new AccountingConfig.Redis(r.field("url").string(null), r.field("key_prefix").string(null),
                    timeout.isAbsent() ? null : duration(timeout, null));
        }
        return new AccountingConfig(node.field("default_output_tokens").longInteger(1, d.defaultOutputTokens()),
                store, file, duration(node.field("flush_interval"), d.flushInterval()),
                duration(node.field("lease"), d.lease()), failure, rateFailure, redis);
    }

    private static AccountingConfig.FailureMode failureMode(ConfigNode node, AccountingConfig.FailureMode absent) {
        String mode = node.string(absent.wireName());
        return switch (mode) {
            case "closed" -> AccountingConfig.FailureMode.CLOSED;
            case "open" -> AccountingConfig.FailureMode.OPEN;
            default -> throw node.error("expected closed or open but was " + node.shown(mode));
        };
    }

    private static List<BudgetConfig> budgets(ConfigNode node) {
        List<BudgetConfig> budgets = new ArrayList<>();
        if (node.isAbsent()) {
            return budgets;
        }
        for (ConfigNode entry : node.elements("a list of budgets")) {
            entry.object("a map", BUDGET_KEYS);
            String scope = scope(entry.field("scope"));
            ConfigNode windowNode = entry.field("window");
            Window window;
            try {
                window = Window.fromWireName(windowNode.requiredString());
            } catch (IllegalArgumentException e) {
                throw windowNode.error(e.getMessage());
            }
            ConfigNode usd = entry.field("limit_usd");
            ConfigNode tokens = entry.field("limit_tokens");
            ConfigNode soft = entry.field("soft_limit_usd");
            if (usd.isAbsent() && tokens.isAbsent() && soft.isAbsent()) {
                throw entry.error("expected at least one of limit_usd, limit_tokens, soft_limit_usd");
            }
            budgets.add(new BudgetConfig(scope, window, usd.isAbsent() ? null : usd.number(false, 0),
                    tokens.isAbsent() ? null : tokens.longInteger(0, 0),
                    soft.isAbsent() ? null : soft.number(false, 0)));
        }
        return budgets;
    }

    private static List<RateLimitConfig> rateLimits(ConfigNode node) {
        List<RateLimitConfig> limits = new ArrayList<>();
        if (node.isAbsent()) {
            return limits;
        }
        for (ConfigNode entry : node.elements("a list of rate limits")) {
            entry.object("a map", RATE_LIMIT_KEYS);
            ConfigNode scopeNode = entry.field("scope");
            String scope = scope(scopeNode);
            if (!BudgetConfig.Scope.parse(scope).refusesRequest()) {
                throw scopeNode.error("a rate limit's scope must be global, key, user or tag; a provider's own caps"
                        + " go in its limits");
            }
            long rpm = entry.field("rpm").longInteger(0, 0);
            long tpm = entry.field("tpm").longInteger(0, 0);
            if (rpm == 0 && tpm == 0) {
                throw entry.error("expected rpm or tpm above 0");
            }
            limits.add(new RateLimitConfig(scope, rpm, tpm));
        }
        return limits;
    }

    private static String scope(ConfigNode node) {
        String scope = node.requiredString();
        try {
            BudgetConfig.Scope.parse(scope);
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
        return scope;
    }

    private static CacheConfig cache(ConfigNode node) {
        if (node.isAbsent()) {
            return CacheConfig.DEFAULTS;
        }
        node.object("a map", CACHE_KEYS);
        ResponseCacheConfig responses = ResponseCacheConfig.DEFAULTS;
        ConfigNode r = node.field("responses");
        if (!r.isAbsent()) {
            r.object("a map", RESPONSE_CACHE_KEYS);
            ResponseCacheConfig d = ResponseCacheConfig.DEFAULTS;
            responses = new ResponseCacheConfig(r.field("enabled").bool(d.enabled()), duration(r.field("ttl"), d.ttl()),
                    r.field("max_entries").longInteger(1, d.maxEntries()),
                    r.field("deterministic_only").bool(d.deterministicOnly()));
        }
        StickyPrefixConfig sticky = StickyPrefixConfig.DEFAULTS;
        ConfigNode s = node.field("sticky_prefix");
        if (!s.isAbsent()) {
            s.object("a map", STICKY_KEYS);
            StickyPrefixConfig d = StickyPrefixConfig.DEFAULTS;
            sticky = new StickyPrefixConfig(s.field("enabled").bool(d.enabled()), duration(s.field("ttl"), d.ttl()),
                    s.field("max_entries").longInteger(1, d.maxEntries()));
        }
        return new CacheConfig(responses, sticky);
    }

    private static Duration duration(ConfigNode node, Duration fallback) {
        if (node.isAbsent()) {
            return fallback;
        }
        Duration value = node.duration(fallback);
        if (value.isZero()) {
            throw node.error("expected a positive duration but was " + node.shown(node.requiredString()));
        }
        return value;
    }

    private static ClassificationConfig classification(ConfigNode node) {
        if (node.isAbsent()) {
            return ClassificationConfig.DEFAULTS;
        }
        node.object("a map", CLASSIFICATION_KEYS);
        long longInput = node.field("long_input_tokens").longInteger(1,
                ClassificationConfig.DEFAULTS.longInputTokens());
        List<String> order = ClassificationConfig.RULES;
        ConfigNode orderNode = node.field("order");
        if (!orderNode.isAbsent()) {
            order = new ArrayList<>();
            for (ConfigNode rule : orderNode.elements("a list of rule names (" + String.join(", ",
                    ClassificationConfig.RULES) + ")")) {
                String name = rule.requiredString();
                if (!ClassificationConfig.RULES.contains(name)) {
                    throw rule.error("unknown rule " + rule.shown(name) + "; expected one of: "
                            + String.join(", ", ClassificationConfig.RULES));
                }
                if (order.contains(name)) {
                    throw rule.error("rule " + rule.shown(name) + " is listed twice");
                }
                order.add(name);
            }
        }
        return new ClassificationConfig(longInput, order);
    }

    private ProviderSpec provider(String id, ConfigNode node) {
        node.requirePresent("a map with at least 'type'");
        node.requireMap("a map with at least 'type'");
        ConfigNode typeNode = node.field("type");
        String type = typeNode.requiredString();
        if (!plugins.hasType(type)) {
            throw typeNode.error(ConfigValidator.unknownType(typeNode.shown(type), plugins));
        }
        List<String> accepted = new ArrayList<>(PROVIDER_KEYS);
        plugins.optionKeys(type).stream().sorted().filter(k -> !accepted.contains(k)).forEach(accepted::add);
        node.object("a map", accepted);

        ProviderSpec.Builder spec = ProviderSpec.builder(id, type)
                .baseUrl(node.field("base_url").string(null))
                .apiKey(node.field("api_key").secret().string(null));
        node.field("headers").secret().entries("a map of header names to values")
                .forEach((name, value) -> spec.header(name, value.requiredString()));
        ConfigNode timeouts = node.field("timeouts").object("a map", TIMEOUT_KEYS);
        spec.timeouts(new Timeouts(
                millis(timeouts.field("connect_ms"), 1, Timeouts.DEFAULTS.connect()),
                millis(timeouts.field("first_token_ms"), 1, Timeouts.DEFAULTS.firstToken()),
                millis(timeouts.field("total_ms"), 1, Timeouts.DEFAULTS.total())));
        ConfigNode maxConnections = node.field("max_connections");
        if (!maxConnections.isAbsent()) {
            spec.maxConnections(maxConnections.integer(1, 0));
        }
        ConfigNode limits = node.field("limits").object("a map", LIMIT_KEYS);
        spec.limits(new ProviderLimits(limits.field("rpm").longInteger(0, 0),
                limits.field("tpm").longInteger(0, 0)));
        node.field("models").entries("a map of models by id")
                .forEach((modelId, model) -> spec.model(model(modelId, model)));
        node.entries("a map").forEach((key, value) -> {
            if (!PROVIDER_KEYS.contains(key) && !value.isAbsent()) {
                spec.option(key, value.plain());
            }
        });
        return spec.build();
    }

    private ModelSpec model(String id, ConfigNode node) {
        node.object("a map (or nothing, for all defaults)", MODEL_KEYS);
        Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
        for (ConfigNode c : node.field("capabilities").elements("a list of capabilities (" + CAPABILITY_NAMES + ")")) {
            String name = c.requiredString();
            try {
                capabilities.add(Capability.fromWireName(name));
            } catch (IllegalArgumentException e) {
                throw c.error("unknown capability " + c.shown(name) + "; expected one of: " + CAPABILITY_NAMES);
            }
        }
        return new ModelSpec(id, node.field("upstream").string(null), price(node.field("price")),
                node.field("context_window").integer(0, 0), node.field("max_output_tokens").integer(0, 0),
                capabilities);
    }

    private Price price(ConfigNode node) {
        node.object("a map of prices in USD per million tokens", PRICE_KEYS);
        if (node.isAbsent()) {
            return null;
        }
        ConfigNode input = node.field("input");
        ConfigNode output = node.field("output");
        input.requirePresent("a non-negative number (USD per million input tokens)");
        output.requirePresent("a non-negative number (USD per million output tokens)");
        double in = input.number(false, 0);
        return new Price(in, output.number(false, 0), node.field("cached_input").number(false, in),
                node.field("cache_write").number(false, in));
    }

    private RouteConfig route(String id, ConfigNode node) {
        node.requirePresent("a map with at least 'pools'");
        node.object("a map", ROUTE_KEYS);
        RouteConfig.Builder route = RouteConfig.builder(id);
        for (ConfigNode m : node.field("match").elements("a list of model ids or globs")) {
            route.match(m.requiredString());
        }
        ConfigNode baseType = node.field("base_type");
        String base = baseType.string("pro");
        if (!base.equals("flash") && !base.equals("pro")) {
            throw baseType.error("expected flash or pro but found " + baseType.shown(base));
        }
        route.baseType(RequestType.fromWireName(base));
        ConfigNode pools = node.field("pools");
        pools.requirePresent("a map of pools by request type");
        Map<String, ConfigNode> entries = pools.entries("a map of pools by request type");
        if (entries.isEmpty()) {
            throw pools.error("a route needs at least one pool");
        }
        entries.forEach((type, pool) -> route.pool(type, pool(pool)));
        route.fallback(fallback(node.field("fallback")));
        route.hedgeAfter(millis(node.field("hedge_after_ms"), 0, Duration.ZERO));
        return route.build();
    }

    private PoolConfig pool(ConfigNode node) {
        node.requirePresent("a map with 'targets'");
        node.object("a map", POOL_KEYS);
        ConfigNode targets = node.field("targets");
        targets.requirePresent("a list of targets");
        List<PoolTarget> list = new ArrayList<>();
        for (ConfigNode target : targets.elements("a list of targets")) {
            list.add(target(target));
        }
        if (list.isEmpty()) {
            throw targets.error("a pool needs at least one target");
        }
        return new PoolConfig(node.field("policy").string("priority"), list);
    }

    private PoolTarget target(ConfigNode node) {
        if (node.isString()) {
            return PoolTarget.of(node.requiredString());
        }
        if (!node.isMap()) {
            throw node.mismatch("'provider/model' or a map { target: provider/model, weight: N }");
        }
        node.object("a map", TARGET_KEYS);
        return new PoolTarget(node.field("target").requiredString(), node.field("weight").number(true, 1));
    }

    private FallbackConfig fallback(ConfigNode node) {
        if (node.isAbsent()) {
            return FallbackConfig.DEFAULTS;
        }
        node.object("a map", FALLBACK_KEYS);
        FallbackConfig defaults = FallbackConfig.DEFAULTS;
        Set<FailureKind> on = defaults.on();
        ConfigNode onNode = node.field("on");
        if (!onNode.isAbsent()) {
            on = new LinkedHashSet<>();
            for (ConfigNode kind : onNode.elements("a list of failure kinds (" + RETRYABLE_KINDS + ")")) {
                on.add(failureKind(kind));
            }
        }
        return new FallbackConfig(node.field("max_attempts").integer(1, defaults.maxAttempts()),
                node.field("retries_per_target").integer(0, defaults.retriesPerTarget()), on,
                duration(node.field("max_retry_wait"), defaults.maxRetryWait()));
    }

    private static FailureKind failureKind(ConfigNode node) {
        String name = node.requiredString();
        FailureKind kind;
        try {
            kind = FailureKind.fromWireName(name);
        } catch (IllegalArgumentException e) {
            throw node.error("unknown failure kind " + node.shown(name) + "; expected one of: " + RETRYABLE_KINDS);
        }
        if (!kind.retryable()) {
            throw node.error(node.shown(name) + " is never retried: bad_request and auth failures go back to the"
                    + " client; expected one of: " + RETRYABLE_KINDS);
        }
        return kind;
    }

    private static Duration millis(ConfigNode node, int min, Duration fallback) {
        return node.isAbsent() ? fallback : Duration.ofMillis(node.integer(min, 0));
    }
}
