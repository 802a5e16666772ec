package dev.chatrouter.core.config;

import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.core.route.RoutingPolicies;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The plugins the tests pretend are installed: openai, anthropic, and mock with its options; and the built-in
 * routing policies.
 */
final class FakePlugins implements PluginCatalog {

    static final FakePlugins INSTANCE = new FakePlugins();

    private static final Map<String, Set<String>> OPTIONS = Map.of(
            "openai", Set.of(),
            "anthropic", Set.of(),
            "mock", Set.of("fail", "fail_first", "latency_ms"));

    @Override
    public boolean hasType(String type) {
        return OPTIONS.containsKey(type);
    }

    @Override
    public Set<String> optionKeys(String type) {
        return OPTIONS.getOrDefault(type, Set.of());
    }

    @Override
    public Set<String> types() {
        return OPTIONS.keySet();
    }

    @Override
    public Set<String> policies() {
        Set<String> names = new LinkedHashSet<>();
        RoutingPolicies.builtIns().stream().map(RoutingPolicy.Factory::name).forEach(names::add);
        return names;
    }
}
