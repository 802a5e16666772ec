package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.core.config.PluginCatalog;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The provider plugins on the class path (found with {@link ServiceLoader}) and those given in code. A plugin
 * that cannot be loaded, or two plugins claiming one type, stop the router from starting, with the plugin
 * named.
 */
public final class PluginRegistry implements PluginCatalog {

    private final Map<String, ProviderFactory> byType;

    private PluginRegistry(Map<String, ProviderFactory> byType) {
        this.byType = Collections.unmodifiableMap(byType);
    }

    /**
     * Discovers the plugins visible to {@code loader}, then adds {@code extra}.
     *
     * @throws ConfigurationException naming the plugin when one is broken or a type is claimed twice
     */
    public static PluginRegistry discover(ClassLoader loader, List<ProviderFactory> extra) {
        Map<String, ProviderFactory> byType = new LinkedHashMap<>();
        Iterator<ProviderFactory> it = ServiceLoader.load(ProviderFactory.class, loader).iterator();
        while (true) {
            ProviderFactory factory;
            try {
                if (!it.hasNext()) {
                    break;
                }
                factory = it.next();
            } catch (ServiceConfigurationError e) {
                throw new ConfigurationException("plugins", null, "a provider plugin could not be loaded: "
                        + e.getMessage(), e);
            }
            register(byType, factory);
        }
        for (ProviderFactory factory : extra) {
            register(byType, factory);
        }
        return new PluginRegistry(byType);
    }

    private static void register(Map<String, ProviderFactory> byType, ProviderFactory factory) {
        String type;
        try {
            type = factory.type();
        } catch (RuntimeException e) {
            throw new ConfigurationException("plugins", null, "provider plugin " + factory.getClass().getName()
                    + " failed to report its type: " + e, e);
        }
        if (type == null || type.isBlank()) {
            throw new ConfigurationException("plugins", null, "provider plugin " + factory.getClass().getName()
                    + " reports no type");
        }
        ProviderFactory previous = byType.putIfAbsent(type, factory);
        if (previous != null && previous.getClass() != factory.getClass()) {
            throw new ConfigurationException("plugins", null, "provider plugins " + previous.getClass().getName()
                    + " and " + factory.getClass().getName() + " both claim type '" + type + "'");
        }
    }

    public Optional<ProviderFactory> factory(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    @Override
    public boolean hasType(String type) {
        return byType.containsKey(type);
    }

    @Override
    public Set<String> optionKeys(String type) {
        ProviderFactory factory = byType.get(type);
        return factory == null ? Set.of() : factory.optionKeys();
    }

    @Override
    public Set<String> types() {
        return new TreeSet<>(byType.keySet());
    }
}
