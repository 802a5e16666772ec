package dev.chatrouter.api;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.api.spi.RouterImplementation;
import dev.chatrouter.api.spi.RoutingPolicy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.CompletionStage;

/**
 * Routes OpenAI-style chat and embedding requests to providers. The {@code model} of a request names a route
 * (the intent); the router classifies the request, picks a target and dispatches, and the response echoes the
 * intent as {@code model}. Every method is non-blocking and thread-safe. Failures arrive as a
 * {@link ChatRouterException} (in the stage, or the stream's {@code onError}).
 *
 * <pre>{@code
 * try (ChatRouter router = ChatRouter.builder().configFile(Path.of("chatrouter.yaml")).build()) {
 *     ChatResult result = router.chat(ChatRequest.builder().model("di")
 *             .addMessage(Message.user("Hello")).build()).toCompletableFuture().join();
 *     System.out.println(result.response().text() + " via " + result.report().target());
 * }
 * }</pre>
 */
public interface ChatRouter extends AutoCloseable {

    /**
     * Sends a chat request; {@code stream} in the request is ignored (use {@link #stream}). Cancelling the returned
     * stage's {@code toCompletableFuture()} cancels the upstream calls under way. The context's deadline bounds the
     * whole request, retries and fallbacks included: past it the stage fails with {@link ErrorCode#TIMEOUT}.
     */
    CompletionStage<ChatResult> chat(ChatRequest request, RequestContext context);

    default CompletionStage<ChatResult> chat(ChatRequest request) {
        return chat(request, RequestContext.empty());
    }

    /** Streams a chat request. Nothing is sent until a subscriber requests. */
    ChatStream stream(ChatRequest request, RequestContext context);

    default ChatStream stream(ChatRequest request) {
        return stream(request, RequestContext.empty());
    }

    /** Creates embeddings, routed like chat with request type {@code embedding}. */
    CompletionStage<EmbeddingResult> embed(EmbeddingRequest request, RequestContext context);

    default CompletionStage<EmbeddingResult> embed(EmbeddingRequest request) {
        return embed(request, RequestContext.empty());
    }

    /**
     * The router's estimate of a request's input tokens: the same figure routing uses to check context windows,
     * price candidates and classify long prompts. Local and cheap: no provider is called, nothing is reserved or
     * counted against a budget. The estimate is described in {@code docs/architecture.md}.
     */
    long estimateInputTokens(ChatRequest request);

    /**
     * Counts a request's input tokens for the target it routes to: when the request carries its
     * {@link ChatRequest#nativeRequest() native form} and the first target of its plan has a provider that counts
     * with its own API ({@link dev.chatrouter.api.spi.Provider#countTokens}), that provider answers
     * ({@link TokenCount.Source#PROVIDER}); otherwise, and when the provider's count call fails, the router's
     * {@link #estimateInputTokens estimate} does ({@link TokenCount.Source#ROUTER}). Nothing is generated, and no
     * budget or rate limit is touched. A request whose model routes nowhere is counted by the router. By default,
     * the estimate.
     *
     * @return the count; fails with a {@link ChatRouterException} when {@code context} may not use the route the
     *         model resolves to
     */
    default CompletionStage<TokenCount> countInputTokens(ChatRequest request, RequestContext context) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(
                    new TokenCount(estimateInputTokens(request), TokenCount.Source.ROUTER));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    default CompletionStage<TokenCount> countInputTokens(ChatRequest request) {
        return countInputTokens(request, RequestContext.empty());
    }

    /** The model ids clients may send: each route's intent and its {@code match} ids that are not globs. */
    List<ModelInfo> models();

    /**
     * The model a client may send as {@code id}: a route's intent or {@code match} id, or an id one of its
     * {@code match} globs matches (described with the id asked for); empty when no route names or matches it.
     * The default route does not count: it serves what no route claims.
     */
    default Optional<ModelInfo> model(String id) {
        return models().stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /**
     * The model ids the caller of {@code context} may send: {@link #models()}, less those of routes outside its
     * {@link RequestContext#allowedRoutes()}.
     */
    default List<ModelInfo> models(RequestContext context) {
        return models();
    }

    /**
     * {@link #model(String)} for the caller of {@code context}: empty for a model of a route outside its
     * {@link RequestContext#allowedRoutes()}, as for one that does not exist.
     */
    default Optional<ModelInfo> model(String id, RequestContext context) {
        return model(id);
    }

    /**
     * Spend against every budget in its current window: each configured budget without {@code *}, and each
     * value a {@code *} budget has counted (docs/routing.md#budgets).
     */
    List<BudgetStatus> spend();

    /**
     * {@link #spend()} without blocking: the default router reads its accounting store asynchronously (one
     * {@code counters()} call), so this is what to call on an event loop; {@link #spend()} waits for it, at most a
     * few seconds.
     */
    default CompletionStage<List<BudgetStatus>> spendAsync() {
        return java.util.concurrent.CompletableFuture.completedFuture(spend());
    }

    /**
     * Where state kept between requests lives (the HTTP server's stored Responses): the documents of the router's
     * accounting store ({@code accounting.store}: in memory, the durable store's file, or Redis), so that routers
     * sharing that store share the documents too. The store is opened at the first call when budgets did not open
     * it at start (on another thread: the caller is never blocked), and a router built with
     * {@link Builder#continueFrom} keeps the same one. A store handed to {@link Builder#accountingStore} that
     * keeps no documents leaves them in the router's memory.
     *
     * @return completes with the store, or fails with {@link AccountingStore.Unavailable}
     *         when it cannot be opened (the next call tries again); the default fails with
     *         {@link UnsupportedOperationException}
     */
    default CompletionStage<DocumentStore> documents() {
        return java.util.concurrent.CompletableFuture.failedFuture(
                new UnsupportedOperationException(getClass().getName() + " keeps no documents"));
    }

    /**
     * A snapshot of every configured target's health, in configuration order: whether it is cooling down after
     * repeated failures or being probed, its consecutive failures and its observed latency.
     */
    List<TargetHealth> health();

    /**
     * The routes as configured (the file's, then those added in code), in matching order, with their pools:
     * what an operator's readiness check needs to know which targets serve which route.
     */
    List<RouteConfig> routes();

    /**
     * Stops taking requests, closes providers and, when the router created it, its event loop. Requests under
     * way fail with {@link ErrorCode#ROUTER_CLOSED}: their attempts are charged or released in the accounting store
     * before the router closes it. A request busy on another thread at that moment (its answer arriving, a listener
     * called) ends as soon as that thread lets it; this waits for such requests, at most 5 seconds, and logs a
     * warning when some are still running then.
     */
    @Override
    void close();

    /** Starts a builder. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a {@link ChatRouter} from a configuration file, from code, or both (code adds to the file).
     * Provider plugins and routing policies are found with {@link ServiceLoader}; more can be added here.
     */
    final class Builder {
        private Path configFile;
        private final Map<String, ProviderSpec> providers = new LinkedHashMap<>();
        private final Map<String, RouteConfig> routes = new LinkedHashMap<>();
        private String defaultRoute;
        private ClassificationConfig classification;
        private CacheConfig cache;
        private AccountingConfig accounting;
        private String defaultAccountingStore = "memory";
        private final List<BudgetConfig> budgets = new ArrayList<>();
        private final List<RateLimitConfig> rateLimits = new ArrayList<>();
        private final List<ProviderFactory> factories = new ArrayList<>();
        private final List<RequestClassifier.Plugin> classifierPlugins = new ArrayList<>();
        private final List<RoutingPolicy.Factory> policyFactories = new ArrayList<>();
        private final Map<Class<?>, Object> services = new LinkedHashMap<>();
        private final List<RouterListener> listeners = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private Map<String, String> environment = System.getenv();
        private ChatRouter previous;

        private Builder() {
        }

        /** Reads the configuration from a YAML or JSON file; providers and routes added here come after it. */
        public Builder configFile(Path file) {
            if (configFile != null) {
                throw new IllegalStateException("config file was already set to " + configFile);
            }
            this.configFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** Adds everything a {@link RouterConfig} holds. */
        public Builder config(RouterConfig config) {
            config.providers().values().forEach(this::provider);
            config.routes().values().forEach(this::route);
            if (config.defaultRoute() != null) {
                defaultRoute(config.defaultRoute());
            }
            if (config.classification() != ClassificationConfig.DEFAULTS) {
                classification(config.classification());
            }
            if (config.cache() != CacheConfig.DEFAULTS) {
                cache(config.cache());
            }
            config.budgets().forEach(this::budget);
            config.rateLimits().forEach(this::rateLimit);
            if (config.accounting() != null) {
                accounting(config.accounting());
            }
            return this;
        }

        /** The built-in classifier's settings; overrides the file's {@code classification} section. */
        public Builder classification(ClassificationConfig classification) {
            this.classification = Objects.requireNonNull(classification, "classification");
            return this;
        }

        /** Adds a budget, after the file's. */
        public Builder budget(BudgetConfig budget) {
            budgets.add(Objects.requireNonNull(budget, "budget"));
            return this;
        }

        /** Adds a rate limit, after the file's. */
        public Builder rateLimit(RateLimitConfig rateLimit) {
            rateLimits.add(Objects.requireNonNull(rateLimit, "rateLimit"));
            return this;
        }

        /** The caches' settings; overrides the file's {@code cache} section. */
        public Builder cache(CacheConfig cache) {
            this.cache = Objects.requireNonNull(cache, "cache");
            return this;
        }

        /**
         * Where budgets and rate limits are counted and how worst cases are bounded (the default output tokens);
         * overrides the file's {@code accounting} section. Without it (and without the section) they count in memory:
         * a router never writes a file unless told to.
         */
        public Builder accounting(AccountingConfig accounting) {
            this.accounting = Objects.requireNonNull(accounting, "accounting");
            return this;
        }

        /**
         * Counts budgets and rate limits in this store instead of the one {@code accounting.store} names (the other
         * keys of the section, such as {@code lease} and {@code on_store_failure}, still apply). The router does not
         * close it.
         */
        public Builder accountingStore(AccountingStore store) {
            services.put(AccountingStore.class, Objects.requireNonNull(store, "store"));
            return this;
        }

        /**
         * The store used when neither the file nor {@link #accounting} names one: {@code memory} unless set. The
         * standalone server sets {@code durable}.
         */
        public Builder defaultAccountingStore(String store) {
            this.defaultAccountingStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Replaces or wraps the built-in classifier, after any {@link RequestClassifier.Plugin} that
         * {@link ServiceLoader} finds.
         */
        public Builder classifier(RequestClassifier.Plugin plugin) {
            classifierPlugins.add(Objects.requireNonNull(plugin, "plugin"));
            return this;
        }

        /**
         * Adds a provider.
         *
         * @throws IllegalArgumentException if a provider with that id was already added
         */
        public Builder provider(ProviderSpec provider) {
            if (providers.putIfAbsent(provider.id(), provider) != null) {
                throw new IllegalArgumentException("provider '" + provider.id() + "' was already added");
            }
            return this;
        }

        /**
         * Adds a route; routes are matched in the order added.
         *
         * @throws IllegalArgumentException if a route with that id was already added
         */
        public Builder route(RouteConfig route) {
            if (routes.putIfAbsent(route.id(), route) != null) {
                throw new IllegalArgumentException("route '" + route.id() + "' was already added");
            }
            return this;
        }

        /** The route for model ids no route matches; without one they fail with {@link ErrorCode#MODEL_NOT_FOUND}. */
        public Builder defaultRoute(String routeId) {
            this.defaultRoute = Objects.requireNonNull(routeId, "routeId");
            return this;
        }

        /**
         * Adds a provider plugin beside those {@link ServiceLoader} finds; it replaces the instance ServiceLoader
         * made of the same class. Another class claiming the same type fails {@link #build()}.
         */
        public Builder providerFactory(ProviderFactory factory) {
            factories.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Adds a routing policy beside the built-in ones ({@code priority}, {@code cost}, {@code latency},
         * {@code weighted}) and those {@link ServiceLoader} finds: pools may then name it in {@code policy:}.
         * Use {@link RoutingPolicy.Factory#of(RoutingPolicy)} for a policy that needs nothing from the router.
         * An instance replaces the one ServiceLoader made of the same class; another class claiming a name that is
         * taken fails {@link #build()} with a {@link ConfigurationException}.
         */
        public Builder routingPolicy(RoutingPolicy.Factory factory) {
            policyFactories.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Hands the router a shared service: pass {@code io.vertx.core.Vertx.class} and your instance to have the
         * router and its plugins use your event loop (the router then does not close it). (An accounting store is
         * handed in with {@link #accountingStore}.)
         */
        public <T> Builder service(Class<T> type, T instance) {
            services.put(Objects.requireNonNull(type, "type"), type.cast(Objects.requireNonNull(instance)));
            return this;
        }

        /**
         * Adds a listener told of every request, attempt, cooldown and budget limit, after those added before. Listeners
         * run inline on the router's threads (often an event loop): they must be quick and never block. One that
         * throws is logged and ignored; it never fails a request. See {@link RouterListener}.
         */
        public Builder listener(RouterListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** The clock for deadlines, windows and latency (default: the system UTC clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where {@code ${VAR}} in the configuration file is looked up (default: {@link System#getenv()}). */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /**
         * Makes the router built here continue where {@code previous} left off, for a configuration reload without
         * losing state (see docs/operations.md, "Reload"). The new router takes over, by target and scope:
         * <ul>
         *   <li>budget counters: it uses {@code previous}'s accounting store, unless one is handed over with
         *       {@link #accountingStore}, so spend in the current windows carries over; the store then belongs to
         *       the new router (closing {@code previous} leaves it open, closing the new router closes it);</li>
         *   <li>rate-limit buckets whose limit (per minute) is unchanged;</li>
         *   <li>the cooldown state of every target ({@code provider-id/model-id}) both routers have: consecutive
         *       failures, cooldowns and probes; requests still running on {@code previous} go on reporting into
         *       that shared state;</li>
         *   <li>latency observations, which the {@code latency} policy orders by.</li>
         * </ul>
         * Sticky prefixes and the response cache start empty. {@code previous} keeps serving until it is closed;
         * close it once its requests have finished.
         *
         * @throws IllegalArgumentException at {@link #build()} if {@code previous} was built by another
         *                                  implementation than the one on the class path
         */
        public Builder continueFrom(ChatRouter previous) {
            this.previous = Objects.requireNonNull(previous, "previous");
            return this;
        }

        /**
         * Builds the router.
         *
         * @throws ConfigurationException if the configuration is wrong; the message names the path
         * @throws IllegalStateException  if no router implementation ({@code router-core}) is on the class path
         */
        public ChatRouter build() {
            RouterImplementation implementation = ServiceLoader.load(RouterImplementation.class,
                            ChatRouter.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new IllegalStateException(
                            "no ChatRouter implementation on the class path: add dev.chatrouter:router-core"));
            return implementation.create(new RouterImplementation.Settings(configFile,
                    new RouterConfig(providers, routes, defaultRoute, classification, cache, budgets, rateLimits,
                            accounting),
                    classification != null,
                    cache != null,
                    factories, classifierPlugins, policyFactories, services, clock, environment, listeners,
                    previous, defaultAccountingStore));
        }
    }
}
