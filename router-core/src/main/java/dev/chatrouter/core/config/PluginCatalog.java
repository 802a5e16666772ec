package dev.chatrouter.core.config;

import dev.chatrouter.api.spi.ProviderFactory;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the configuration loader needs to know about the installed provider plugins: which {@code type:} values
 * exist, and which plugin-specific keys a provider entry of each type may carry.
 */
public interface PluginCatalog {

    /** True when a plugin provides {@code type}. */
    boolean hasType(String type);

    /**
     * The plugin-specific keys a provider entry of {@code type} may carry beside the common ones; they arrive in
     * {@link dev.chatrouter.api.spi.ProviderSpec#options()}. Empty for an unknown type.
     */
    Set<String> optionKeys(String type);

    /** Every type provided, for error messages that list what is available. */
    Set<String> types();

    /**
     * A catalog of the given plugins, as {@link ProviderFactory#type()} and {@link ProviderFactory#optionKeys()}
     * report them at this call.
     *
     * @throws IllegalArgumentException if two plugins provide the same type; the message names both classes
     */
    static PluginCatalog of(Iterable<? extends ProviderFactory> factories) {
        Map<String, ProviderFactory> byType = new TreeMap<>();
        Map<String, Set<String>> keys = new TreeMap<>();
        for (ProviderFactory factory : factories) {
            ProviderFactory previous = byType.putIfAbsent(factory.type(), factory);
            if (previous != null) {
                throw new IllegalArgumentException("plugin type '" + factory.type() + "' is provided twice: by "
                        + previous.getClass().getName() + " and by " + factory.getClass().getName());
            }
            keys.put(factory.type(), Set.copyOf(factory.optionKeys()));
        }
        Map<String, Set<String>> snapshot = Collections.unmodifiableMap(keys);
        return new PluginCatalog() {
            @Override
            public boolean hasType(String type) {
                return snapshot.containsKey(type);
            }

            @Override
            public Set<String> optionKeys(String type) {
                return snapshot.getOrDefault(type, Set.of());
            }

            @Override
            public Set<String> types() {
                return snapshot.keySet();
            }

            @Override
            public String toString() {
                return "PluginCatalog" + snapshot.keySet();
            }
        };
    }
}
