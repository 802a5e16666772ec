package dev.chatrouter.core;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.EmbeddingResult;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.TokenCount;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.DocumentStore;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.cache.ChunkAssembler;
import dev.chatrouter.core.cache.ReplayStream;
import dev.chatrouter.core.cache.ResponseCache;
import dev.chatrouter.core.classify.EffortResolver;
import dev.chatrouter.core.classify.RuleClassifier;
import dev.chatrouter.core.classify.PromptReadings;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.engine.Accounting;
import dev.chatrouter.core.engine.AttemptEngine;
import dev.chatrouter.core.engine.EngineContext;
import dev.chatrouter.core.engine.Prepared;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.LatencyTracker;
import dev.chatrouter.core.route.Plan;
import dev.chatrouter.core.route.Planner;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.RouteTable;
import dev.chatrouter.core.route.RoutingPolicies;
import dev.chatrouter.core.route.StickyPrefixes;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.store.SharedStore;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The default {@link ChatRouter}. The path of a request reads top to bottom: prepare (resolve the route,
 * classify, plan: a {@link Preparation}), then hand the plan to the {@link AttemptEngine}, which runs the attempts
 * and reports, whether the answer comes whole or streamed.
 */
final class DefaultChatRouter implements ChatRouter {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    private final RouteTable routes;
    private final RequestClassifier classifier;
    /** What {@link RequestShape#of(ChatRequest, int)} looks for on the built-in classifier's behalf. */
    private final int signalsWanted;
    /** The prompts, tools and long messages read lately: those sent with every request or turn are read once. */
    private final PromptReadings readings = new PromptReadings();
    private final Planner planner;
    private final StickyPrefixes sticky;
    private final LatencyTracker latency;
    private final ResponseCache responses;
    private final Budgets budgets;
    private final RateLimits rateLimits;
    private final long defaultOutputTokens;
    private final Cooldowns cooldowns;
    private final List<Provider> providers;
    private final Clock clock;
    private final AttemptEngine engine;
    private final Runnable onClose;
    private final RouterListener listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The configured store, for budgets and documents; closed with this router while it owns it. */
    private final SharedStore shared;
    private final AtomicBoolean ownsShared;

    DefaultChatRouter(RouteTable routes, RequestClassifier classifier, Planner planner, StickyPrefixes sticky,
                      LatencyTracker latency, ResponseCache responses, Budgets budgets, RateLimits rateLimits,
                      AccountingConfig accounting, Cooldowns cooldowns, List<Provider> providers, Clock clock,
                      Scheduler scheduler, DoubleSupplier random, Runnable onClose, RouterListener listener,
                      SharedStore shared, boolean ownsShared) {
        this.listener = listener;
        this.shared = shared;
        this.ownsShared = new AtomicBoolean(ownsShared);
        this.responses = responses;
        this.budgets = budgets;
        this.rateLimits = rateLimits;
        this.defaultOutputTokens = accounting.defaultOutputTokens();
        this.cooldowns = cooldowns;
        this.routes = routes;
        this.classifier = classifier;
        this.signalsWanted = classifier instanceof RuleClassifier rules ? rules.instructionSignalsWanted() : 0;
        this.planner = planner;
        this.sticky = sticky;
        this.latency = latency;
        this.providers = List.copyOf(providers);
        this.clock = clock;
        this.engine = new AttemptEngine(new EngineContext(clock, scheduler, random, latency, cooldowns,
                sticky == null ? EngineContext.Served.NONE : sticky::record,
                responses == null ? EngineContext.Answers.NONE
                        : (key, response, target) -> responses.put(key, new ResponseCache.Entry(response, target)),
                listener));
        this.onClose = onClose;
    }

    @Override
    public CompletionStage<ChatResult> chat(ChatRequest request, RequestContext context) {
        Preparation preparation = prepare(request.model(), context, request, false, request.user(),
                () -> {
                    RequestValidator.check(request);
                    return RequestShape.of(request.isStream() ? request.toBuilder().stream(null).build() : request,
                            signalsWanted, readings);
                },
                encoding -> Tokens.countInput(request, encoding));
        if (preparation instanceof Preparation.Failed failed) {
            return CompletableFuture.failedFuture(failed.error());
        }
        if (preparation instanceof Preparation.Cached hit) {
            ChatResponse cached = hit.entry().response();
            return CompletableFuture.completedFuture(new ChatResult(
                    cached.usage() == null ? cached : cached.withUsage(cached.usage().withCost(0.0)), hit.report()));
        }
        Prepared prepared = ((Preparation.Planned) preparation).prepared();
        CompletableFuture<ChatResult> outcome = engine.answer(prepared,
                target -> target.provider().chat(new ProviderCall(prepared.requestId(), target.model(),
                        upstreamRequest(request, prepared, target), prepared.deadline())),
                ChatResponse::usage,
                (response, usage) -> response.withModelAndUsage(prepared.intent(), usage),
                ChatResult::new);
        if (prepared.cacheKey() != null) {
            // a hit is answered in the router's shape: the native body holds the upstream's ids of another answer
            outcome.thenAccept(result -> responses.put(prepared.cacheKey(),
                    new ResponseCache.Entry(result.response().withNativeAnswer(null), result.report().target())));
        }
        return outcome;
    }

    @Override
    public ChatStream stream(ChatRequest request, RequestContext context) {
        ChatRequest streamed = request.isStream() ? request : request.toBuilder().stream(true).build();
        boolean includeUsage = request.streamOptions() != null
                && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        Preparation preparation = prepare(request.model(), context, streamed, true, request.user(),
                () -> {
                    RequestValidator.check(request);
                    return RequestShape.of(streamed, signalsWanted, readings);
                }, encoding -> Tokens.countInput(streamed, encoding));
        if (preparation instanceof Preparation.Failed failed) {
            return AttemptEngine.failedStream(failed.error());
        }
        if (preparation instanceof Preparation.Cached hit) {
            ChatResponse cached = hit.entry().response();
            if (cached.usage() != null) {
                cached = cached.withUsage(cached.usage().withCost(0.0));
            }
            return new ReplayStream(ChunkAssembler.chunks(cached, includeUsage), hit.report());
        }
        Prepared prepared = ((Preparation.Planned) preparation).prepared();
        return engine.stream(prepared, target -> target.provider().stream(new ProviderCall(prepared.requestId(),
                target.model(), upstreamRequest(streamed, prepared, target), prepared.deadline())), includeUsage);
    }

    @Override
    public CompletionStage<EmbeddingResult> embed(EmbeddingRequest request, RequestContext context) {
        Preparation preparation = prepare(request.model(), context, null, false, request.user(), () -> {
            RequestValidator.check(request);
            return RequestShape.ofTexts(Set.of(Capability.EMBEDDINGS), request.input());
        }, encoding -> {
            long tokens = 0;
            for (String text : request.input()) {
                tokens += Tokens.count(text, encoding);
            }
            return tokens;
        });
        if (!(preparation instanceof Preparation.Planned planned)) {
            return CompletableFuture.failedFuture(((Preparation.Failed) preparation).error());
        }
        Prepared prepared = planned.prepared();
        return engine.answer(prepared,
                target -> target.provider().embed(new EmbeddingCall(prepared.requestId(), target.model(),
                        request.withModel(target.model().upstream()), prepared.deadline())),
                EmbeddingResponse::usage,
                (response, usage) -> response.withModel(prepared.intent()).withUsage(usage),
                EmbeddingResult::new);
    }

    @Override
    public long estimateInputTokens(ChatRequest request) {
        return RequestShape.of(java.util.Objects.requireNonNull(request, "request")).estimatedInputTokens();
    }

    /**
     * The count of the provider of the request's first target, when the request has a native form and that
     * provider counts it; else, and when that count fails, the router's estimate. The route is resolved, the request
     * classified and planned as for a dispatch, but nothing is reserved, charged or rate limited.
     */
    @Override
    public CompletionStage<TokenCount> countInputTokens(ChatRequest request, RequestContext context) {
        long estimate;
        Target target;
        try {
            estimate = estimateInputTokens(request);
            target = request.nativeRequest() == null ? null : firstTarget(request, context);
        } catch (ChatRouterException e) {
            return CompletableFuture.failedFuture(e);
        }
        TokenCount routerCount = new TokenCount(estimate, TokenCount.Source.ROUTER);
        if (target == null) {
            return CompletableFuture.completedFuture(routerCount);
        }
        String requestId = context.requestId() != null ? context.requestId() : RequestIds.next();
        CompletionStage<java.util.OptionalLong> counted;
        try {
            counted = target.provider().countTokens(new ProviderCall(requestId, target.model(),
                    request.toBuilder().model(target.model().upstream()).build(), context.deadline()));
        } catch (RuntimeException e) {
            counted = CompletableFuture.failedFuture(e);
        }
        return counted.handle((count, error) -> {
            if (error != null) {
                LOG.debug("request {}: {} could not count the input tokens, the router counts them: {}", requestId,
                        target.id(), String.valueOf(dev.chatrouter.kit.upstream.Stages.unwrap(error).getMessage()));
                return routerCount;
            }
            return count == null || count.isEmpty() ? routerCount
                    : new TokenCount(Math.max(0, count.getAsLong()), TokenCount.Source.PROVIDER);
        });
    }

    /**
     * The target a request would be sent to first (ignoring budgets, which a count does not touch), or {@code null}
     * when it routes nowhere.
     *
     * @throws ChatRouterException if the caller may not use the route the model resolves to
     */
    private Target firstTarget(ChatRequest request, RequestContext context) {
        if (request.model() == null || closed.get()) {
            return null;
        }
        EffortResolver.Resolved effort = EffortResolver.resolve(request.model(), context.effort(), request);
        RouteConfig route = routes.resolve(effort.routedModel()).orElse(null);
        if (route == null) {
            return null;
        }
        if (!context.allowedRoutes().isEmpty() && !context.allowedRoutes().contains(route.id())) {
            throw ChatRouterException.builder(ErrorCode.MODEL_NOT_ALLOWED, "this key may not use model '"
                    + request.model() + "' (route '" + route.id() + "')").param("model").build();
        }
        RequestShape shape = RequestShape.of(request, signalsWanted, readings);
        String poolName;
        try {
            RequestClassifier.Classification classification = classify(request, shape,
                    new RequestClassifier.Input(route.baseType(), effort.effort(), shape.estimatedInputTokens()));
            poolName = Planner.poolName(route, classification.type());
        } catch (RuntimeException e) {
            LOG.debug("the classifier failed on a token count; the router counts", e);
            return null;
        }
        if (poolName == null) {
            return null;
        }
        Plan plan = planner.plan(route, poolName, shape, null,
                candidate -> cooldowns.eligible(candidate.id()) ? null : Cooldowns.REASON);
        return plan.candidates().isEmpty() ? null : plan.candidates().get(0);
    }

    /** The classifier's verdict; the built-in one is handed the text signals the shape's pass found. */
    private RequestClassifier.Classification classify(ChatRequest request, RequestShape shape,
                                                      RequestClassifier.Input input) {
        return classifier instanceof RuleClassifier rules && shape.instructionSignals() >= 0
                ? rules.classify(request, input, shape.instructionSignals())
                : classifier.classify(request, input);
    }

    @Override
    public List<ModelInfo> models() {
        return routes.models();
    }

    @Override
    public Optional<ModelInfo> model(String id) {
        return routes.model(EffortResolver.withoutSuffix(id)).map(m -> new ModelInfo(id, m.created(), m.ownedBy()));
    }

    @Override
    public List<ModelInfo> models(RequestContext context) {
        if (context.allowedRoutes().isEmpty()) {
            return models();
        }
        List<ModelInfo> allowed = new ArrayList<>();
        for (ModelInfo model : routes.models()) {
            if (allows(context, model.id())) {
                allowed.add(model);
            }
        }
        return List.copyOf(allowed);
    }

    @Override
    public Optional<ModelInfo> model(String id, RequestContext context) {
        return model(id).filter(m -> context.allowedRoutes().isEmpty()
                || allows(context, EffortResolver.withoutSuffix(id)));
    }

    /** Whether the caller may use the route {@code modelId} (a model some route claims) resolves to. */
    private boolean allows(RequestContext context, String modelId) {
        return routes.resolve(modelId).map(route -> context.allowedRoutes().contains(route.id())).orElse(false);
    }

    @Override
    public List<BudgetStatus> spend() {
        return budgets.status();
    }

    @Override
    public CompletionStage<List<BudgetStatus>> spendAsync() {
        return budgets.statusAsync();
    }

    @Override
    public List<TargetHealth> health() {
        List<TargetHealth> health = new ArrayList<>(cooldowns.targets().size());
        for (String target : cooldowns.targets()) {
            health.add(cooldowns.health(target, latency.averageMillis(target, false),
                    latency.averageMillis(target, true)));
        }
        return List.copyOf(health);
    }

    @Override
    public List<RouteConfig> routes() {
        return routes.routes();
    }

    /** The state a router built with {@code continueFrom(this)} takes over. */
    Budgets budgets() {
        return budgets;
    }

    SharedStore sharedStore() {
        return shared;
    }

    /**
     * Hands the configured store over to a router that continues from this one: closing this router leaves it open.
     *
     * @return whether this router owned it, so that the new one closes it
     */
    boolean handOverSharedStore() {
        return ownsShared.getAndSet(false);
    }

    @Override
    public CompletionStage<DocumentStore> documents() {
        if (closed.get()) {
            return CompletableFuture.failedFuture(
                    ChatRouterException.builder(ErrorCode.ROUTER_CLOSED, "the router is closed").build());
        }
        return shared.documents();
    }

    Cooldowns cooldowns() {
        return cooldowns;
    }

    LatencyTracker latency() {
        return latency;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            engine.close();
            for (Provider provider : providers) {
                try {
                    provider.close();
                } catch (RuntimeException ignored) {
                    // closing the others matters more
                }
            }
            budgets.close();
            if (ownsShared.getAndSet(false)) {
                try {
                    shared.close();
                } catch (RuntimeException e) {
                    LOG.warn("closing the router's store failed: {}", e.getMessage());
                }
            }
            onClose.run();
        }
    }

    /**
     * Resolves the effort and the route, classifies and plans. Never throws: what goes wrong is the value
     * {@link Preparation.Failed}, naming the request; a bug (a classifier plugin that throws, say) is an
     * {@code internal_error}, logged with the request id.
     *
     * @param chat        the chat request, or {@code null} for embeddings
     * @param stream      whether the answer is streamed
     * @param requestUser the request's {@code user} field, used when the context names no user
     * @param shapeOf     what the request needs and its size; may throw a {@link ChatRouterException} for bad input
     * @param countInput  the exact prompt tokens under an encoding, for answers without usage
     */
    private Preparation prepare(String model, RequestContext context, ChatRequest chat, boolean stream,
                                String requestUser, Supplier<RequestShape> shapeOf,
                                ToLongFunction<Encoding> countInput) {
        String requestId = context.requestId() != null ? context.requestId() : RequestIds.next();
        Instant arrived = listener == RouterListener.NONE ? null : clock.instant();
        RequestType[] type = new RequestType[1];
        ChatRouterException failure;
        try {
            Preparation preparation = plan(model, context, chat, requestUser, shapeOf, countInput, requestId, type, arrived,
                    stream);
            if (arrived != null && preparation instanceof Preparation.Cached hit) {
                told(arrived, requestId, model, context, requestUser, stream, hit.report(), null,
                        hit.entry().response().usage());
            }
            return preparation;
        } catch (ChatRouterException e) {
            failure = e.withRequest(requestId, type[0]);
        } catch (RuntimeException bug) {
            LOG.error("request {} failed with an internal error while being prepared", requestId, bug);
            failure = ChatRouterException.internal(bug).withRequest(requestId, type[0]);
        }
        if (arrived != null) {
            told(arrived, requestId, model, context, requestUser, stream, null, failure, null);
        }
        return new Preparation.Failed(failure);
    }

    /**
     * Tells the listener of a request that ended without attempts: a response-cache hit ({@code report} set), or one
     * that failed before it could be routed ({@code error} set).
     */
    private void told(Instant arrived, String requestId, String model, RequestContext context, String requestUser,
                      boolean stream, RoutingReport report, ChatRouterException error,
                      dev.chatrouter.api.chat.Usage usage) {
        String user = context.user() != null ? context.user() : requestUser;
        listener.onRequestStarted(new RequestStarted(arrived, requestId, String.valueOf(model),
                report == null ? null : report.route(), report == null ? error.requestType().orElse(null)
                : report.type(), report == null ? null : report.effort(), stream, context.key(), user,
                context.tags()));
        Instant now = clock.instant();
        Duration total = Duration.between(arrived, now);
        listener.onRequestFinished(new RequestFinished(now, requestId, context.key(), report, error, false,
                usage == null ? 0 : usage.promptTokens(), usage == null ? 0 : usage.completionTokens(), total,
                total));
    }

    /** {@link #prepare}'s work; throws what the caller should see. {@code typeOut} gets the type once known. */
    private Preparation plan(String model, RequestContext context, ChatRequest chat, String requestUser,
                             Supplier<RequestShape> shapeOf, ToLongFunction<Encoding> countInput, String requestId,
                             RequestType[] typeOut, Instant arrived, boolean stream) {
        if (closed.get()) {
            throw ChatRouterException.builder(ErrorCode.ROUTER_CLOSED, "the router is closed").build();
        }
        if (chat != null && chat.messages().isEmpty()) {
            throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "messages",
                    "messages must hold at least one message");
        }
        RequestShape shape = shapeOf.get();
        if (model == null || model.isBlank()) {
            throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "model", "model is required");
        }
        EffortResolver.Resolved effort = EffortResolver.resolve(model, context.effort(), chat);
        RouteConfig route = routes.resolve(effort.routedModel()).orElseThrow(() -> ChatRouterException.builder(
                ErrorCode.MODEL_NOT_FOUND, "no route matches model '" + model + "' and there is no default route")
                .param("model").build());
        if (!context.allowedRoutes().isEmpty() && !context.allowedRoutes().contains(route.id())) {
            throw ChatRouterException.builder(ErrorCode.MODEL_NOT_ALLOWED, "this key may not use model '" + model
                    + "' (route '" + route.id() + "')").param("model").build();
        }
        RequestClassifier.Classification classification = chat == null
                ? new RequestClassifier.Classification(RequestType.EMBEDDING, "embedding")
                : classify(chat, shape, new RequestClassifier.Input(route.baseType(), effort.effort(),
                        shape.estimatedInputTokens()));
        RequestType type = classification.type();
        typeOut[0] = type;
        String cacheKey = responses != null && chat != null ? responses.key(context.key(), effort.effort(), chat) : null;
        if (cacheKey != null) {
            ResponseCache.Entry entry = responses.get(cacheKey);
            if (entry != null) {
                // a hit costs nothing and touches no budget or rate limit
                return new Preparation.Cached(entry, new RoutingReport(requestId, model, route.id(), type,
                        classification.rule(), effort.effort(), null, null, List.of(), List.of(), entry.target(),
                        List.of(), 0, true));
            }
        }
        String user = context.user() != null ? context.user() : requestUser;
        return planned(context, chat, shape, route, classification, effort, model, user, requestId, cacheKey,
                countInput, arrived, stream);
    }

    /**
     * The rest of {@link #plan}: the pool and its candidates. The router's rate limits are reserved with the first
     * attempt's budgets, in the same store call.
     */
    private Preparation planned(RequestContext context, ChatRequest chat, RequestShape shape, RouteConfig route,
                                RequestClassifier.Classification classification, EffortResolver.Resolved effort,
                                String model, String user, String requestId, String cacheKey,
                                ToLongFunction<Encoding> countInput, Instant arrived, boolean stream) {
        RequestType type = classification.type();
        String poolName = Planner.poolName(route, type);
        RoutingPolicy policyOverride = null;
        if (type != RequestType.EMBEDDING && route.pools().containsKey("flash") && budgets.softLimited(context, user)) {
            poolName = "flash";
            policyOverride = RoutingPolicies.cost();
        }
        if (poolName == null) {
            throw ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE, "route '" + route.id()
                    + "' has no pool for request type '" + type.wireName() + "' and no '*' pool").build();
        }
        Accounting accounting = new Accounting(budgets, rateLimits, context, user, shape, defaultOutputTokens,
                chat == null || chat.n() == null ? 1 : chat.n(), countInput);
        Plan plan = planner.plan(route, poolName, shape, policyOverride,
                target -> cooldowns.eligible(target.id()) ? accounting.unavailable(target) : Cooldowns.REASON);
        long stickyKey = 0;
        if (sticky != null && chat != null) {
            stickyKey = StickyPrefixes.key(route.id(), chat);
            if (policyOverride == null) {
                // under a soft budget the cheapest target wins, even over the one whose prompt cache is warm
                plan = plan.preferring(sticky.lookup(stickyKey));
            }
        }
        if (plan.candidates().isEmpty()) {
            throw planner.noTarget(route, plan, shape);
        }
        Instant deadline = context.deadline();
        if (deadline != null && !clock.instant().isBefore(deadline)) {
            throw ChatRouterException.builder(ErrorCode.TIMEOUT, "the request's deadline passed before dispatch")
                    .build();
        }
        RequestStarted started = null;
        if (arrived != null) {
            started = new RequestStarted(arrived, requestId, model, route.id(), type, effort.effort(), stream,
                    context.key(), user, context.tags());
            listener.onRequestStarted(started);
        }
        return new Preparation.Planned(new Prepared(requestId, model, route, type, classification.rule(),
                effort.effort(), upstreamEffort(chat, effort), shape, plan, stickyKey, deadline, accounting, cacheKey,
                started));
    }

    /**
     * The {@code reasoning_effort} reasoning targets get: the effort that won, in OpenAI's terms (none for
     * {@code auto}); or the request's own {@code reasoning_effort} untouched when it is not an effort the router
     * knows (a newer model's value) and nothing before it in the order named one.
     */
    private static String upstreamEffort(ChatRequest chat, EffortResolver.Resolved effort) {
        if (!"context".equals(effort.source()) && chat != null && chat.reasoningEffort() != null
                && EffortResolver.parse(chat.reasoningEffort()) == null) {
            return chat.reasoningEffort();
        }
        return EffortResolver.upstreamValue(effort.effort());
    }

    /**
     * The request as a target gets it: its upstream model name, {@code reasoning_effort} only when the target has
     * the {@code reasoning} capability, and {@code cache_control} on content parts only when it has
     * {@code prompt_cache} (see docs/configuration.md).
     */
    ChatRequest upstreamRequest(ChatRequest request, Prepared prepared, Target target) {
        List<Message> messages = request.messages();
        if (!target.model().has(Capability.PROMPT_CACHE)) {
            List<Message> stripped = CacheControls.strip(messages);
            if (stripped != null) {
                messages = stripped;
            }
        }
        String reasoningEffort = target.model().has(Capability.REASONING) ? prepared.upstreamEffort() : null;
        // the record's own constructor, as the builder's build() calls it: no builder per dispatch
        return new ChatRequest(target.model().upstream(), messages, request.tools(), request.toolChoice(),
                request.parallelToolCalls(), request.responseFormat(), request.stream(), request.streamOptions(),
                request.temperature(), request.topP(), request.maxTokens(), request.maxCompletionTokens(),
                request.n(), request.stop(), request.seed(), request.presencePenalty(), request.frequencyPenalty(),
                request.logprobs(), request.topLogprobs(), request.user(), request.metadata(), reasoningEffort,
                translatedExtra(request), request.nativeRequest());
    }

    /**
     * The extra fields a translation of an Anthropic Messages request carries upstream: all but {@code thinking},
     * which was read as the effort (sent as {@code reasoning_effort} to reasoning targets) and which OpenAI
     * refuses; a provider that speaks Messages sends the client's body, {@code thinking} and all.
     */
    private static Map<String, Object> translatedExtra(ChatRequest request) {
        Map<String, Object> extra = request.extra();
        if (request.nativeRequest() == null || request.nativeRequest().surface() != NativeRequest.Surface.MESSAGES
                || !extra.containsKey("thinking")) {
            return extra;
        }
        Map<String, Object> rest = new LinkedHashMap<>(extra);
        rest.remove("thinking");
        return rest;
    }

    /** Request ids: a prefix and 16 random hex digits. */
    static final class RequestIds {
        private RequestIds() {
        }

        static String next() {
            return "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        }
    }
}
