package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.core.config.PluginCatalog;
import dev.chatrouter.core.route.RoutingPolicies;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The provider plugins and routing policies on the class path (found with {@link ServiceLoader}) and those given
 * in code, beside the built-in routing policies. A plugin that cannot be loaded, two provider plugins claiming one
 * type, or two routing policies claiming one name (a built-in one included) stop the router from starting, with
 * the plugin named.
 */
public final class PluginRegistry implements PluginCatalog {

    private final Map<String, ProviderFactory> byType;
    private final Map<String, RoutingPolicy.Factory> policiesByName;

    private PluginRegistry(Map<String, ProviderFactory> byType, Map<String, RoutingPolicy.Factory> policiesByName) {
        this.byType = Collections.unmodifiableMap(byType);
        this.policiesByName = Collections.unmodifiableMap(policiesByName);
    }

    /**
     * Discovers the plugins visible to {@code loader}, then adds {@code extra} and {@code extraPolicies}.
     *
     * @param extra         provider plugins given in code
     * @param extraPolicies routing policies given in code
     * @throws ConfigurationException naming the plugin when one is broken, a type is claimed twice or a policy
     *                                name is
     */
    public static PluginRegistry discover(ClassLoader loader, List<ProviderFactory> extra,
                                          List<RoutingPolicy.Factory> extraPolicies) {
        Map<String, ProviderFactory> byType = new LinkedHashMap<>();
        for (ProviderFactory factory : load(ProviderFactory.class, loader, "a provider plugin")) {
            register(byType, factory, false);
        }
        for (ProviderFactory factory : extra) {
            register(byType, factory, true);
        }
        Map<String, RoutingPolicy.Factory> policies = new LinkedHashMap<>();
        List<RoutingPolicy.Factory> builtIns = RoutingPolicies.builtIns();
        builtIns.forEach(factory -> policies.put(factory.name(), factory));
        for (RoutingPolicy.Factory factory : load(RoutingPolicy.Factory.class, loader, "a routing policy plugin")) {
            registerPolicy(policies, factory, builtIns, false);
        }
        for (RoutingPolicy.Factory factory : extraPolicies) {
            registerPolicy(policies, factory, builtIns, true);
        }
        return new PluginRegistry(byType, policies);
    }

    /**
     * The implementations of {@code service} that {@link ServiceLoader} finds with {@code loader}.
     *
     * @param what what one is, for the message ({@code "a classifier plugin"})
     * @throws ConfigurationException naming the entry when one cannot be loaded or instantiated
     */
    public static <T> List<T> load(Class<T> service, ClassLoader loader, String what) {
        List<T> found = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(service, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    return found;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                throw new ConfigurationException("plugins", null, what + " could not be loaded: " + e.getMessage(),
                        e);
            }
        }
    }

    /**
     * One plugin class found on the class path and given in code is one plugin: the instance given in code wins, for
     * it may be configured.
     */
    private static void register(Map<String, ProviderFactory> byType, ProviderFactory factory, boolean given) {
        String type = reported(factory, "provider plugin", "type", ProviderFactory::type);
        ProviderFactory previous = byType.putIfAbsent(type, factory);
        if (previous == null) {
            return;
        }
        if (previous.getClass() != factory.getClass()) {
            throw new ConfigurationException("plugins", null, "provider plugins " + previous.getClass().getName()
                    + " and " + factory.getClass().getName() + " both claim type '" + type + "'");
        }
        if (given) {
            byType.put(type, factory);
        }
    }

    private static void registerPolicy(Map<String, RoutingPolicy.Factory> byName, RoutingPolicy.Factory factory,
                                       List<RoutingPolicy.Factory> builtIns, boolean given) {
        String name = reported(factory, "routing policy plugin", "name", RoutingPolicy.Factory::name);
        RoutingPolicy.Factory previous = byName.putIfAbsent(name, factory);
        if (previous == null) {
            return;
        }
        // one plugin class found twice (on the class path and given in code) is one plugin, the instance given in
        // code winning; instances of RoutingPolicy.Factory.of, or of any anonymous class, may each hold a
        // different policy
        if (previous.getClass() == factory.getClass() && !factory.getClass().isAnonymousClass()) {
            if (given) {
                byName.put(name, factory);
            }
            return;
        }
        throw new ConfigurationException("plugins", null, builtIns.contains(previous)
                ? "routing policy plugin " + describe(factory) + " claims the name '" + name
                + "' of a built-in policy"
                : "routing policy plugins " + describe(previous) + " and " + describe(factory)
                + " both claim the name '" + name + "'");
    }

    private static <T> String reported(T plugin, String what, String property, Function<T, String> read) {
        String value;
        try {
            value = read.apply(plugin);
        } catch (RuntimeException e) {
            throw new ConfigurationException("plugins", null, what + " " + plugin.getClass().getName()
                    + " failed to report its " + property + ": " + e, e);
        }
        if (value == null || value.isBlank()) {
            throw new ConfigurationException("plugins", null, what + " " + plugin.getClass().getName()
                    + " reports no " + property);
        }
        return value;
    }

    /** A factory's class, or for an anonymous one (such as {@code RoutingPolicy.Factory.of}'s) what it says. */
    private static String describe(RoutingPolicy.Factory factory) {
        return factory.getClass().isAnonymousClass() ? factory.toString() : factory.getClass().getName();
    }

    public Optional<ProviderFactory> factory(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    /**
     * Creates every installed routing policy, once.
     *
     * @return the policies by name, in {@link #policies()} order
     * @throws ConfigurationException naming the factory when it fails, returns null, or returns a policy whose
     *                                name is not its own
     */
    public Map<String, RoutingPolicy> createPolicies(RoutingPolicy.Context context) {
        Map<String, RoutingPolicy> created = new LinkedHashMap<>();
        policiesByName.forEach((name, factory) -> {
            RoutingPolicy policy;
            try {
                policy = factory.create(context);
            } catch (RuntimeException e) {
                throw new ConfigurationException("plugins", null, "routing policy plugin " + describe(factory)
                        + " failed to create policy '" + name + "': " + e.getMessage(), e);
            }
            if (policy == null) {
                throw new ConfigurationException("plugins", null, "routing policy plugin " + describe(factory)
                        + " created no policy for '" + name + "'");
            }
            if (!name.equals(policy.name())) {
                throw new ConfigurationException("plugins", null, "routing policy plugin " + describe(factory)
                        + " is named '" + name + "' but created a policy named '" + policy.name()
                        + "'; the two must be the same");
            }
            created.put(name, policy);
        });
        return created;
    }

    @Override
    public boolean hasType(String type) {
        return byType.containsKey(type);
    }

    @Override
    public Set<String> optionKeys(String type) {
        ProviderFactory factory = byType.get(type);
        if (factory == null) {
            return Set.of();
        }
        Set<String> keys;
        try {
            keys = factory.optionKeys();
        } catch (RuntimeException e) {
            throw new ConfigurationException("plugins", null, "provider plugin " + factory.getClass().getName()
                    + " (type '" + type + "') failed to report its option keys: " + e, e);
        }
        return keys == null ? Set.of() : keys;
    }

    @Override
    public Set<String> types() {
        return new TreeSet<>(byType.keySet());
    }

    @Override
    public Set<String> policies() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(policiesByName.keySet()));
    }
}
