package dev.chatrouter.core;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.api.spi.RouterImplementation;
import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.cache.ResponseCache;
import dev.chatrouter.core.classify.RuleClassifier;
import dev.chatrouter.core.config.ConfigLoader;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.event.Listeners;
import dev.chatrouter.core.plugin.PluginRegistry;
import dev.chatrouter.core.plugin.ProviderFailures;
import dev.chatrouter.core.tokens.Tokens;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.LatencyTracker;
import dev.chatrouter.core.route.Planner;
import dev.chatrouter.core.route.RouteTable;
import dev.chatrouter.core.route.StickyPrefixes;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.store.SharedStore;
import dev.chatrouter.core.store.StoreFactories;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Builds the default router: finds the plugins and routing policies, loads and validates the configuration,
 * creates the policies, then the providers on a shared Vert.x instance (the embedder's, or one the router owns and
 * closes), and wires the routing tables.
 * Registered for {@link java.util.ServiceLoader} so that {@link ChatRouter#builder()} finds it.
 */
public final class DefaultRouterImplementation implements RouterImplementation {

    @Override
    public ChatRouter create(Settings settings) {
        DefaultChatRouter previous = null;
        if (settings.previous() != null) {
            if (!(settings.previous() instanceof DefaultChatRouter d)) {
                throw new IllegalArgumentException("continueFrom needs a router built by router-core, not "
                        + settings.previous().getClass().getName());
            }
            previous = d;
        }
        ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(DefaultRouterImplementation.class.getClassLoader());
        PluginRegistry plugins = PluginRegistry.discover(loader, settings.factories(), settings.policyFactories());
        String source = settings.configFile() == null ? "builder" : settings.configFile().toString();
        RouterConfig config;
        RouterConfig code = settings.config();
        // the classification, cache and accounting sections the builder sets replace the file's below
        boolean codeAddsNothing = code.providers().isEmpty() && code.routes().isEmpty() && code.defaultRoute() == null
                && code.budgets().isEmpty() && code.rateLimits().isEmpty();
        if (settings.configFile() == null) {
            config = code;
            ConfigLoader.validate(config, source, plugins);
        } else if (codeAddsNothing) {
            config = ConfigLoader.load(settings.configFile(), settings.environment(), plugins);
        } else {
            config = merge(ConfigLoader.loadPart(settings.configFile(), settings.environment(), plugins), code);
            ConfigLoader.validate(config, source, plugins);
        }
        ClassificationConfig classification = settings.classificationSet() ? code.classification()
                : config.classification();
        RequestClassifier classifier = new RuleClassifier(classification);
        for (RequestClassifier.Plugin plugin : PluginRegistry.load(RequestClassifier.Plugin.class, loader,
                "a classifier plugin")) {
            classifier = wrap(plugin, classifier);
        }
        for (RequestClassifier.Plugin plugin : settings.classifierPlugins()) {
            classifier = wrap(plugin, classifier);
        }

        Vertx vertx = (Vertx) settings.services().get(Vertx.class);
        boolean ownsVertx = vertx == null;
        if (ownsVertx) {
            // epoll when the application has Netty's native transport on its class path, else Java NIO
            vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        }
        Map<Class<?>, Object> services = new HashMap<>(settings.services());
        services.put(Vertx.class, vertx);
        ProviderContext context = new Context(settings.clock(), services);

        DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
        Map<String, RoutingPolicy> policies = plugins.createPolicies(new RoutingPolicy.Context(settings.clock(),
                random));

        List<Provider> created = new ArrayList<>();
        Map<String, Target> targets = new LinkedHashMap<>();
        try {
            for (ProviderSpec spec : config.providers().values()) {
                ProviderFactory factory = plugins.factory(spec.type()).orElseThrow();
                Provider provider;
                try {
                    provider = factory.create(spec, context);
                } catch (RuntimeException e) {
                    throw ProviderFailures.createFailed(source, factory, spec, e);
                }
                if (provider == null) {
                    throw new ConfigurationException(source, "providers." + spec.id(), "provider plugin "
                            + factory.getClass().getName() + " (type '" + spec.type() + "') created no provider");
                }
                created.add(provider);
                for (ModelSpec model : spec.models().values()) {
                    String id = spec.id() + "/" + model.id();
                    targets.put(id, new Target(id, spec.id(), provider, model));
                }
            }
        } catch (RuntimeException e) {
            created.forEach(Provider::close);
            if (ownsVertx) {
                vertx.close();
            }
            throw e;
        }

        Vertx shared = vertx;
        Scheduler scheduler = new VertxScheduler(shared);
        LatencyTracker latency = previous != null ? previous.latency() : new LatencyTracker();
        RouterListener listener = Listeners.of(settings.listeners());
        Cooldowns cooldowns = new Cooldowns(settings.clock(), targets.keySet(), listener);
        if (previous != null) {
            cooldowns.continueFrom(previous.cooldowns());
        }
        RouteTable routes = new RouteTable(config.routes(), config.defaultRoute(),
                settings.clock().instant().getEpochSecond());
        Planner planner = new Planner(targets, latency, policies);
        Runnable onClose = ownsVertx ? shared::close : () -> { };
        CacheConfig cache = settings.cacheSet() ? code.cache() : config.cache();
        StickyPrefixes sticky = cache.stickyPrefix().enabled()
                ? new StickyPrefixes(cache.stickyPrefix(), settings.clock()) : null;
        AccountingConfig accounting = code.accounting() != null ? code.accounting()
                : config.accounting() != null ? config.accounting() : AccountingConfig.DEFAULTS;
        AccountingStore handed = (AccountingStore) settings.services().get(AccountingStore.class);
        String storeType = accounting.store() != null ? accounting.store() : settings.defaultAccountingStore();
        StoreFactories stores = StoreFactories.discover(loader);
        stores.check(source, storeType);
        Map<String, ProviderLimits> providerLimits = new HashMap<>();
        config.providers().values().forEach(p -> providerLimits.put(p.id(), p.limits()));
        Duration lease = lease(accounting.lease(), config.providers().values());
        RateLimits rateLimits = new RateLimits(config.rateLimits(), providerLimits, settings.clock(), lease);
        Supplier<AccountingStore> opener = () -> stores.open(source, storeType, accounting,
                settings.clock());
        // the configured store is opened once: a router continuing from another takes its store over, with the
        // counts of budgets and rate limits in it
        SharedStore sharedStore;
        if (handed != null) {
            sharedStore = SharedStore.handed(handed, settings.clock());
        } else if (previous != null) {
            sharedStore = previous.sharedStore();
            sharedStore.reconfigure(opener);
        } else {
            sharedStore = SharedStore.configured(opener, settings.clock());
        }
        boolean counts = !config.budgets().isEmpty() || !rateLimits.isEmpty();
        AccountingStore store;
        try {
            // opened at start only when there is something to count: a router without budgets or rate limits
            // writes no file until it keeps a document
            store = counts ? sharedStore.openNow() : AccountingStores.inMemory(settings.clock());
        } catch (RuntimeException e) {
            created.forEach(Provider::close);
            onClose.run();
            throw e;
        }
        // the shared store belongs to the router (it closes it); Budgets closes only the one it counts in memory
        Budgets budgets = new Budgets(config.budgets(), store, !counts, settings.clock(), lease,
                accounting.onStoreFailure() == AccountingConfig.FailureMode.OPEN,
                accounting.rateLimitsOnStoreFailure() == AccountingConfig.FailureMode.OPEN, scheduler, listener);
        if (previous != null) {
            previous.budgets().handOverSettlementsTo(budgets);
        }
        ResponseCache responses = cache.responses().enabled()
                ? new ResponseCache(cache.responses(), () -> nanos(settings.clock())) : null;
        Tokens.preload();
        boolean ownsShared = handed != null || previous == null || previous.handOverSharedStore();
        return new DefaultChatRouter(routes, classifier, planner, sticky, latency, responses, budgets, rateLimits,
                accounting, cooldowns, created, settings.clock(), scheduler, random, onClose, listener, sharedStore,
                ownsShared);
    }

    /** What a running attempt may take beyond its provider's total timeout before its hold may expire. */
    static final Duration LEASE_MARGIN = Duration.ofSeconds(10);

    /**
     * How long a reservation holds: the configured lease, or longer when an attempt may run longer (a provider's
     * total timeout and a margin), so that a hold never expires under an attempt still running.
     */
    static Duration lease(Duration configured, java.util.Collection<ProviderSpec> providers) {
        Duration lease = configured;
        for (ProviderSpec spec : providers) {
            Duration attempt = spec.timeouts().total().plus(LEASE_MARGIN);
            if (attempt.compareTo(lease) > 0) {
                lease = attempt;
            }
        }
        return lease;
    }

    private static long nanos(Clock clock) {
        java.time.Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** {@code plugin}'s classifier around {@code inner}; a plugin that fails or gives none stops the start. */
    private static RequestClassifier wrap(RequestClassifier.Plugin plugin, RequestClassifier inner) {
        RequestClassifier wrapped;
        try {
            wrapped = plugin.wrap(inner);
        } catch (RuntimeException e) {
            throw new ConfigurationException("plugins", null, "classifier plugin " + plugin.getClass().getName()
                    + " failed: " + e, e);
        }
        if (wrapped == null) {
            throw new ConfigurationException("plugins", null, "classifier plugin " + plugin.getClass().getName()
                    + " gave no classifier");
        }
        return wrapped;
    }

    /** The file's configuration followed by what the builder added; an id defined in both is an error. */
    private static RouterConfig merge(RouterConfig file, RouterConfig code) {
        Map<String, ProviderSpec> providers = new LinkedHashMap<>(file.providers());
        for (ProviderSpec spec : code.providers().values()) {
            if (providers.putIfAbsent(spec.id(), spec) != null) {
                throw new ConfigurationException("builder", "providers." + spec.id(),
                        "provider is defined in the configuration file already");
            }
        }
        Map<String, RouteConfig> routes = new LinkedHashMap<>(file.routes());
        for (RouteConfig route : code.routes().values()) {
            if (routes.putIfAbsent(route.id(), route) != null) {
                throw new ConfigurationException("builder", "routes." + route.id(),
                        "route is defined in the configuration file already");
            }
        }
        return new RouterConfig(providers, routes,
                code.defaultRoute() != null ? code.defaultRoute() : file.defaultRoute(), file.classification(),
                file.cache(), concat(file.budgets(), code.budgets()), concat(file.rateLimits(), code.rateLimits()),
                code.accounting() != null ? code.accounting() : file.accounting());
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Vert.x timers; a zero delay runs the task at once. */
    private record VertxScheduler(Vertx vertx) implements Scheduler {
        @Override
        public Timer schedule(Duration delay, Runnable task) {
            long millis = delay.toMillis();
            if (millis <= 0) {
                task.run();
                return Timer.NONE;
            }
            long id = vertx.setTimer(millis, fired -> task.run());
            return () -> vertx.cancelTimer(id);
        }
    }

    private record Context(Clock clock, Map<Class<?>, Object> services) implements ProviderContext {
        @Override
        public <T> Optional<T> service(Class<T> type) {
            return Optional.ofNullable(services.get(type)).map(type::cast);
        }
    }
}
