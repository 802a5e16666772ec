package dev.chatrouter.core.config;

import java.util.Map;
import java.util.Set;

/** The plugins the tests pretend are installed: openai, anthropic, and mock with its options. */
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
}
