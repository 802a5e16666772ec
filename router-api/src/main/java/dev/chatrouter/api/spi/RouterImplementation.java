package dev.chatrouter.api.spi;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.event.RouterListener;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * How {@link ChatRouter#builder()} finds the router implementation ({@code router-core}) with
 * {@link java.util.ServiceLoader}. Not for plugin authors.
 */
public interface RouterImplementation {

    /**
     * Builds a router.
     *
     * @throws dev.chatrouter.api.ConfigurationException if the configuration is wrong
     */
    ChatRouter create(Settings settings);

    /**
     * What the builder collected.
     *
     * @param configFile  the configuration file, or {@code null}
     * @param config      providers and routes given in code (added after the file's)
     * @param classificationSet whether the code set the classification (then it overrides the file's)
     * @param cacheSet    whether the code set the caches (then they override the file's)
     * @param factories   plugins given in code, beside those ServiceLoader finds
     * @param classifierPlugins classifier plugins given in code, applied after those ServiceLoader finds
     * @param policyFactories routing policies given in code, beside the built-in ones and those ServiceLoader finds
     * @param services    shared services by type
     * @param clock       the clock
     * @param environment where {@code ${VAR}} is looked up
     * @param listeners   the listeners, in the order added
     * @param previous    the router whose state the new one continues from, or {@code null}
     *                    ({@link ChatRouter.Builder#continueFrom})
     * @param defaultAccountingStore the accounting store's type when the configuration names none ({@code memory})
     */
    record Settings(Path configFile, RouterConfig config, boolean classificationSet, boolean cacheSet,
                    List<ProviderFactory> factories,
                    List<RequestClassifier.Plugin> classifierPlugins, List<RoutingPolicy.Factory> policyFactories,
                    Map<Class<?>, Object> services, Clock clock, Map<String, String> environment,
                    List<RouterListener> listeners, ChatRouter previous, String defaultAccountingStore) {
        public Settings {
            listeners = List.copyOf(listeners);
            defaultAccountingStore = defaultAccountingStore == null ? "memory" : defaultAccountingStore;
            factories = List.copyOf(factories);
            classifierPlugins = List.copyOf(classifierPlugins);
            policyFactories = List.copyOf(policyFactories);
            services = Map.copyOf(services);
            environment = Map.copyOf(environment);
        }
    }
}
