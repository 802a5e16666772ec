package dev.chatrouter.core.store;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStoreFactory;
import dev.chatrouter.core.plugin.PluginRegistry;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The accounting stores the router can open by {@code accounting.store}: {@code memory} and {@code durable} from
 * router-core, and each {@link AccountingStoreFactory} that {@link ServiceLoader} finds (such as {@code redis} from
 * router-store-redis).
 */
public final class StoreFactories {

    private final Map<String, AccountingStoreFactory> factories;

    private StoreFactories(Map<String, AccountingStoreFactory> factories) {
        this.factories = factories;
    }

    /** The built-in stores and those on the class path of {@code loader}. */
    public static StoreFactories discover(ClassLoader loader) {
        Map<String, AccountingStoreFactory> all = new LinkedHashMap<>();
        all.put("memory", new Builtin("memory"));
        all.put("durable", new Builtin("durable"));
        for (AccountingStoreFactory f : PluginRegistry.load(AccountingStoreFactory.class, loader,
                "an accounting store plugin")) {
            AccountingStoreFactory previous = all.putIfAbsent(f.type(), f);
            if (previous != null && previous.getClass() != f.getClass()) {
                throw new ConfigurationException("plugins", null, "accounting store plugin " + f.getClass().getName()
                        + " claims the store type '" + f.type() + "' of " + (previous instanceof Builtin
                        ? "a built-in store" : previous.getClass().getName()));
            }
        }
        return new StoreFactories(all);
    }

    /**
     * Checks that {@code type} names an installed store.
     *
     * @throws ConfigurationException naming {@code accounting.store} when it does not
     */
    public void check(String source, String type) {
        if (!factories.containsKey(type)) {
            String hint = type.equals("redis") ? ": add the module dev.chatrouter:router-store-redis to the class path"
                    : "";
            throw new ConfigurationException(source, "accounting.store", "no accounting store '" + type
                    + "' is installed" + hint + " (installed: " + String.join(", ", factories.keySet()) + ")");
        }
    }

    /**
     * Opens the store {@code type}.
     *
     * @throws ConfigurationException      when the type is not installed or the section is wrong for it
     * @throws AccountingStore.Unavailable when the store cannot be reached or its file opened
     */
    public AccountingStore open(String source, String type, AccountingConfig config, Clock clock) {
        check(source, type);
        try {
            return factories.get(type).open(config.withStore(type), clock);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(source, "accounting", e.getMessage(), e);
        }
    }

    private record Builtin(String type) implements AccountingStoreFactory {
        @Override
        public AccountingStore open(AccountingConfig config, Clock clock) {
            if (type.equals("memory")) {
                return AccountingStores.inMemory(clock);
            }
            Path file = config.path() != null ? config.path() : Path.of(AccountingConfig.DEFAULT_PATH);
            return AccountingStores.durable(file.toAbsolutePath(), config.flushInterval(), clock);
        }
    }
}
