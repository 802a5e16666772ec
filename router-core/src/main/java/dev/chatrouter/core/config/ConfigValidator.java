package dev.chatrouter.core.config;

import dev.chatrouter.kit.config.ConfigNode;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The checks a whole configuration must pass, whether it came from a file or from code: at least one provider
 * and one route, known plugin types and option keys, targets naming configured providers and models, known pool
 * types and installed routing policies, match ids that no two routes claim, and a defined default route. Paths use the file's keys,
 * so that a builder's configuration is reported as the equivalent file would be.
 */
final class ConfigValidator {

    static final List<String> POOL_TYPES;

    static {
        List<String> types = new ArrayList<>();
        Arrays.stream(RequestType.values()).map(RequestType::wireName).forEach(types::add);
        types.add("*");
        POOL_TYPES = List.copyOf(types);
    }

    private final String source;
    private final PluginCatalog plugins;
    private final Set<String> hiddenPaths;

    /** {@code hiddenPaths}: paths whose values came from the environment and must not be shown. */
    ConfigValidator(String source, PluginCatalog plugins, Set<String> hiddenPaths) {
        this.source = source;
        this.plugins = plugins;
        this.hiddenPaths = hiddenPaths;
    }

    static String unknownType(String shownType, PluginCatalog plugins) {
        Set<String> types = plugins.types();
        return "no installed plugin provides type " + shownType + "; "
                + (types.isEmpty() ? "no provider plugins are installed"
                : "available types: " + types.stream().sorted().collect(Collectors.joining(", ")));
    }

    void validate(RouterConfig config) {
        if (config.providers().isEmpty()) {
            throw error("providers", "no providers are configured; at least one is required");
        }
        config.providers().forEach(this::provider);
        if (config.routes().isEmpty()) {
            throw error("routes", "no routes are configured; at least one is required");
        }
        config.routes().forEach((id, route) -> route(id, route, config));
        matches(config.routes());
        if (config.defaultRoute() != null && !config.routes().containsKey(config.defaultRoute())) {
            throw error("default_route", "route " + shown("default_route", config.defaultRoute())
                    + " is not defined; defined routes: " + String.join(", ", config.routes().keySet()));
        }
        for (int i = 0; i < config.budgets().size(); i++) {
            budgetScope(ConfigNode.element("budgets", i) + ".scope", config.budgets().get(i).scope(), config);
        }
    }

    /** A provider or model budget must name a configured provider or target. */
    private void budgetScope(String path, String scope, RouterConfig config) {
        dev.chatrouter.api.config.BudgetConfig.Scope parsed = dev.chatrouter.api.config.BudgetConfig.Scope.parse(scope);
        if (parsed.value() == null || parsed.value().equals("*")) {
            return;
        }
        if (parsed.kind().equals("provider") && !config.providers().containsKey(parsed.value())) {
            throw error(path, "provider '" + parsed.value() + "' is not defined; defined providers: "
                    + String.join(", ", config.providers().keySet()));
        }
        if (parsed.kind().equals("model")) {
            String target = parsed.value();
            int slash = target.indexOf('/');
            ProviderSpec spec = config.providers().get(target.substring(0, slash));
            if (spec == null || !spec.models().containsKey(target.substring(slash + 1))) {
                throw error(path, "target '" + target + "' is not a configured provider/model");
            }
        }
    }

    private void provider(String key, ProviderSpec spec) {
        String path = ConfigNode.child("providers", key);
        if (!key.equals(spec.id())) {
            throw error(path, "holds provider '" + spec.id() + "'; the key and the provider's id must be the same");
        }
        if (key.isEmpty() || key.contains("/")) {
            throw error(path, "a provider id must be non-empty and must not contain '/' (targets are written"
                    + " provider/model, the provider being the part before the first '/')");
        }
        if (!plugins.hasType(spec.type())) {
            String typePath = ConfigNode.child(path, "type");
            throw error(typePath, unknownType(shown(typePath, spec.type()), plugins));
        }
        Set<String> optionKeys = plugins.optionKeys(spec.type());
        for (String option : spec.options().keySet()) {
            if (!optionKeys.contains(option)) {
                throw error(ConfigNode.child(path, option), "unknown key '" + option + "'; plugin type '"
                        + spec.type() + "' accepts " + (optionKeys.isEmpty() ? "no options"
                        : "the options " + optionKeys.stream().sorted().collect(Collectors.joining(", "))));
            }
        }
        String timeouts = ConfigNode.child(path, "timeouts");
        positive(ConfigNode.child(timeouts, "connect_ms"), spec.timeouts().connect());
        positive(ConfigNode.child(timeouts, "first_token_ms"), spec.timeouts().firstToken());
        positive(ConfigNode.child(timeouts, "total_ms"), spec.timeouts().total());
        String limits = ConfigNode.child(path, "limits");
        nonNegative(ConfigNode.child(limits, "rpm"), spec.limits().rpm());
        nonNegative(ConfigNode.child(limits, "tpm"), spec.limits().tpm());
        spec.models().forEach((modelKey, model) -> model(ConfigNode.child(ConfigNode.child(path, "models"), modelKey),
                modelKey, model));
    }

    private void model(String path, String key, ModelSpec model) {
        if (!key.equals(model.id())) {
            throw error(path, "holds model '" + model.id() + "'; the key and the model's id must be the same");
        }
        if (key.isEmpty()) {
            throw error(path, "a model id must not be empty");
        }
        nonNegative(ConfigNode.child(path, "context_window"), model.contextWindow());
        nonNegative(ConfigNode.child(path, "max_output_tokens"), model.maxOutputTokens());
        String price = ConfigNode.child(path, "price");
        finite(ConfigNode.child(price, "input"), model.price().input());
        finite(ConfigNode.child(price, "output"), model.price().output());
        finite(ConfigNode.child(price, "cached_input"), model.price().cachedInput());
        finite(ConfigNode.child(price, "cache_write"), model.price().cacheWrite());
    }

    private void route(String key, RouteConfig route, RouterConfig config) {
        String path = ConfigNode.child("routes", key);
        if (!key.equals(route.id())) {
            throw error(path, "holds route '" + route.id() + "'; the key and the route's id must be the same");
        }
        if (key.isEmpty()) {
            throw error(path, "a route id must not be empty");
        }
        for (int i = 0; i < route.match().size(); i++) {
            if (route.match().get(i).isEmpty()) {
                throw error(ConfigNode.element(ConfigNode.child(path, "match"), i),
                        "expected a model id or a glob but found an empty string");
            }
        }
        String pools = ConfigNode.child(path, "pools");
        route.pools().forEach((type, pool) -> pool(ConfigNode.child(pools, type), type, pool, config));
        if (route.hedgeAfter().isNegative()) {
            throw error(ConfigNode.child(path, "hedge_after_ms"), "expected a non-negative integer but found "
                    + route.hedgeAfter().toMillis());
        }
        if (route.fallback().maxRetryWait().isZero()) {
            throw error(ConfigNode.child(ConfigNode.child(path, "fallback"), "max_retry_wait"),
                    "expected a positive duration (such as 10s) but found 0");
        }
    }

    private void pool(String path, String type, PoolConfig pool, RouterConfig config) {
        if (!POOL_TYPES.contains(type)) {
            throw error(path, "unknown request type '" + type + "'; a pool is keyed by one of: "
                    + String.join(", ", POOL_TYPES));
        }
        String policyPath = ConfigNode.child(path, "policy");
        if (!plugins.policies().contains(pool.policy())) {
            throw error(policyPath, "unknown policy " + shown(policyPath, pool.policy()) + "; expected one of the"
                    + " installed policies: " + String.join(", ", plugins.policies()));
        }
        Map<String, Integer> seen = new HashMap<>();
        String targets = ConfigNode.child(path, "targets");
        for (int i = 0; i < pool.targets().size(); i++) {
            String targetPath = ConfigNode.element(targets, i);
            PoolTarget target = pool.targets().get(i);
            target(targetPath, target, config);
            Integer previous = seen.putIfAbsent(target.target(), i);
            if (previous != null) {
                throw error(targetPath, "target " + shown(targetPath, target.target())
                        + " is listed twice in this pool (also at targets[" + previous + "])");
            }
        }
    }

    private void target(String path, PoolTarget target, RouterConfig config) {
        String shown = shown(path, target.target());
        if (target.providerId().isEmpty() || target.modelId().isEmpty()) {
            throw error(path, "expected a target written provider/model but found " + shown);
        }
        ProviderSpec provider = config.providers().get(target.providerId());
        if (provider == null) {
            throw error(path, "target " + shown + " names provider " + shown(path, target.providerId())
                    + ", which is not defined; defined providers: " + String.join(", ", config.providers().keySet()));
        }
        if (!provider.models().containsKey(target.modelId())) {
            throw error(path, "target " + shown + " names model " + shown(path, target.modelId())
                    + ", which provider '" + provider.id() + "' does not define; "
                    + (provider.models().isEmpty() ? "it defines no models"
                    : "its models: " + String.join(", ", provider.models().keySet())));
        }
    }

    /** Rejects a match id (not a glob) that is another route's id or another route's match id. */
    private void matches(Map<String, RouteConfig> routes) {
        Map<String, String> owners = new HashMap<>();
        routes.keySet().forEach(id -> owners.put(id, id));
        for (RouteConfig route : routes.values()) {
            for (int i = 0; i < route.match().size(); i++) {
                String id = route.match().get(i);
                if (id.contains("*")) {
                    continue;
                }
                String owner = owners.putIfAbsent(id, route.id());
                if (owner != null && !owner.equals(route.id())) {
                    String path = ConfigNode.element(ConfigNode.child(ConfigNode.child("routes", route.id()), "match"), i);
                    throw error(path, "model id " + shown(path, id) + " already resolves to route '" + owner
                            + "'; a model id may resolve to one route only");
                }
            }
        }
    }

    private void positive(String path, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw error(path, "expected a positive integer but found " + value.toMillis());
        }
    }

    private void nonNegative(String path, long value) {
        if (value < 0) {
            throw error(path, "expected a non-negative integer but found " + value);
        }
    }

    private void finite(String path, double value) {
        if (!Double.isFinite(value)) {
            throw error(path, "expected a non-negative number but found " + value);
        }
    }

    private String shown(String path, String value) {
        return hiddenPaths.contains(path) ? "(hidden)" : "'" + value + "'";
    }

    private ConfigurationException error(String path, String problem) {
        return new ConfigurationException(source, path, problem);
    }
}
