package dev.chatrouter.core;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.EmbeddingResult;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.cache.ChunkAssembler;
import dev.chatrouter.core.cache.ReplayStream;
import dev.chatrouter.core.cache.ResponseCache;
import dev.chatrouter.core.classify.EffortResolver;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.dispatch.Scheduler;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.route.LatencyTracker;
import dev.chatrouter.core.route.Plan;
import dev.chatrouter.core.route.Planner;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.RouteTable;
import dev.chatrouter.core.route.StickyPrefixes;
import dev.chatrouter.core.route.Target;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * The default {@link ChatRouter}. The path of a request reads top to bottom: prepare (resolve the route,
 * classify, plan) then dispatch attempts along the plan, then report.
 */
final class DefaultChatRouter implements ChatRouter {

    /** How close to the deadline a timeout counts as the deadline's rather than the target's. */
    static final Duration DEADLINE_MARGIN = Duration.ofMillis(20);

    private final RouteTable routes;
    private final RequestClassifier classifier;
    private final Planner planner;
    private final StickyPrefixes sticky;
    private final LatencyTracker latency;
    private final ResponseCache responses;
    private final Budgets budgets;
    private final RateLimits rateLimits;
    private final Cooldowns cooldowns;
    private final List<Provider> providers;
    private final Clock clock;
    private final Scheduler scheduler;
    private final DoubleSupplier random;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    DefaultChatRouter(RouteTable routes, RequestClassifier classifier, Planner planner, StickyPrefixes sticky,
                      LatencyTracker latency, ResponseCache responses, Budgets budgets, RateLimits rateLimits,
                      Cooldowns cooldowns, List<Provider> providers, Clock clock, Scheduler scheduler,
                      DoubleSupplier random, Runnable onClose) {
        this.responses = responses;
        this.budgets = budgets;
        this.rateLimits = rateLimits;
        this.cooldowns = cooldowns;
        this.routes = routes;
        this.classifier = classifier;
        this.planner = planner;
        this.sticky = sticky;
        this.latency = latency;
        this.providers = List.copyOf(providers);
        this.clock = clock;
        this.scheduler = scheduler;
        this.random = random;
        this.onClose = onClose;
    }

    @Override
    public CompletionStage<ChatResult> chat(ChatRequest request, RequestContext context) {
        Prepared prepared;
        try {
            requireMessages(request);
            prepared = prepare(request.model(), context, request, request.user(), RequestShape.of(request.isStream()
                    ? request.toBuilder().stream(null).build() : request));
        } catch (CacheHit hit) {
            ChatResponse cached = hit.entry.response();
            return CompletableFuture.completedFuture(new ChatResult(
                    cached.usage() == null ? cached : cached.withUsage(cached.usage().withCost(0.0)), hit.report));
        } catch (ChatRouterException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ChatResult> outcome = dispatch(prepared,
                target -> target.provider().chat(new ProviderCall(prepared.requestId(), target.model(),
                        upstreamRequest(request, prepared, target), prepared.deadline())),
                ChatResponse::usage,
                (response, usage) -> response.withModel(prepared.intent()).withUsage(usage),
                ChatResult::new);
        if (prepared.cacheKey() != null) {
            outcome.thenAccept(result -> remember(prepared, result.response(), result.report().target()));
        }
        return outcome;
    }

    @Override
    public ChatStream stream(ChatRequest request, RequestContext context) {
        try {
            requireMessages(request);
            ChatRequest streamed = request.isStream() ? request : request.toBuilder().stream(true).build();
            return new RoutedStream(this, streamed, prepare(request.model(), context, streamed, request.user(),
                    RequestShape.of(streamed)), null);
        } catch (CacheHit hit) {
            boolean includeUsage = request.streamOptions() != null
                    && Boolean.TRUE.equals(request.streamOptions().includeUsage());
            ChatResponse cached = hit.entry.response();
            if (cached.usage() != null) {
                cached = cached.withUsage(cached.usage().withCost(0.0));
            }
            return new ReplayStream(ChunkAssembler.chunks(cached, includeUsage), hit.report);
        } catch (ChatRouterException e) {
            return new RoutedStream(this, request, null, e);
        }
    }

    /** Keeps an answer in the response cache. */
    void remember(Prepared prepared, ChatResponse response, String target) {
        responses.put(prepared.cacheKey(), new ResponseCache.Entry(response, target));
    }

    /** Thrown by {@link #prepare} when the response cache holds the answer: nothing is dispatched or charged. */
    private static final class CacheHit extends RuntimeException {
        final ResponseCache.Entry entry;
        final RoutingReport report;

        CacheHit(ResponseCache.Entry entry, RoutingReport report) {
            super(null, null, false, false);
            this.entry = entry;
            this.report = report;
        }
    }

    @Override
    public CompletionStage<EmbeddingResult> embed(EmbeddingRequest request, RequestContext context) {
        Prepared prepared;
        try {
            if (request.input().isEmpty()) {
                throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "input", "input must not be empty");
            }
            long chars = 0;
            for (String text : request.input()) {
                chars += text.length();
            }
            prepared = prepare(request.model(), context, null, request.user(),
                    new RequestShape(Set.of(Capability.EMBEDDINGS), (chars + 3) / 4, 0));
        } catch (ChatRouterException e) {
            return CompletableFuture.failedFuture(e);
        }
        return dispatch(prepared,
                target -> target.provider().embed(new EmbeddingCall(prepared.requestId(), target.model(),
                        request.withModel(target.model().upstream()), prepared.deadline())),
                EmbeddingResponse::usage,
                (response, usage) -> response.withModel(prepared.intent()).withUsage(usage),
                EmbeddingResult::new);
    }

    @Override
    public List<ModelInfo> models() {
        return routes.models();
    }

    @Override
    public Optional<ModelInfo> model(String id) {
        return routes.model(id);
    }

    @Override
    public List<BudgetStatus> spend() {
        return budgets.status();
    }

    @Override
    public List<TargetHealth> health() {
        List<TargetHealth> health = new ArrayList<>(cooldowns.targets().size());
        for (String target : cooldowns.targets()) {
            health.add(cooldowns.health(target, latency.averageMillis(target)));
        }
        return List.copyOf(health);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (Provider provider : providers) {
                try {
                    provider.close();
                } catch (RuntimeException ignored) {
                    // closing the others matters more
                }
            }
            onClose.run();
        }
    }

    private static void requireMessages(ChatRequest request) {
        if (request.messages().isEmpty()) {
            throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "messages",
                    "messages must hold at least one message");
        }
    }

    /**
     * Resolves the effort and the route, classifies and plans; fails with the error the caller should see.
     *
     * @param chat        the chat request, or {@code null} for embeddings
     * @param requestUser the request's {@code user} field, used when the context names no user
     */
    private Prepared prepare(String model, RequestContext context, ChatRequest chat, String requestUser,
                             RequestShape shape) {
        if (closed.get()) {
            throw ChatRouterException.builder(ErrorCode.ROUTER_CLOSED, "the router is closed").build();
        }
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
                : classifier.classify(chat, new RequestClassifier.Input(route.baseType(), effort.effort(),
                        shape.estimatedInputTokens()));
        RequestType type = classification.type();
        String requestId = context.requestId() != null ? context.requestId() : RequestIds.next();
        String cacheKey = responses != null && chat != null ? responses.key(context.key(), chat) : null;
        if (cacheKey != null) {
            ResponseCache.Entry entry = responses.get(cacheKey);
            if (entry != null) {
                // a hit costs nothing and touches no budget or rate limit
                throw new CacheHit(entry, new RoutingReport(requestId, model, route.id(), type, classification.rule(),
                        effort.effort(), null, null, List.of(), List.of(), entry.target(), List.of(), 0, true));
            }
        }
        String user = context.user() != null ? context.user() : requestUser;
        rateLimits.acquire(context, user, shape.estimatedInputTokens() + shape.requestedOutputTokens());
        String poolName = Planner.poolName(route, type);
        String policyOverride = null;
        if (type != RequestType.EMBEDDING && route.pools().containsKey("flash") && budgets.softLimited(context, user)) {
            poolName = "flash";
            policyOverride = "cost";
        }
        if (poolName == null) {
            throw ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE, "route '" + route.id()
                    + "' has no pool for request type '" + type.wireName() + "' and no '*' pool").build();
        }
        Accounting accounting = new Accounting(budgets, rateLimits, context, user, shape);
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
            Map<String, String> why = new LinkedHashMap<>();
            plan.dropped().forEach(d -> why.put(d.target(), d.reason()));
            throw ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE, "no target of route '" + route.id()
                            + "' (pool '" + poolName + "') can serve this request: " + why)
                    .metadata("dropped", why).build();
        }
        Instant deadline = context.deadline();
        if (deadline != null && !clock.instant().isBefore(deadline)) {
            throw ChatRouterException.builder(ErrorCode.TIMEOUT, "the request's deadline passed before dispatch")
                    .build();
        }
        return new Prepared(requestId, model, route, type, classification.rule(), effort.effort(),
                upstreamEffort(chat, effort), shape, plan, stickyKey, deadline, accounting, cacheKey);
    }

    /**
     * The {@code reasoning_effort} reasoning targets get: the caller's own value when it sent one, else the
     * effort found elsewhere in OpenAI's terms, else none.
     */
    private static String upstreamEffort(ChatRequest chat, EffortResolver.Resolved effort) {
        if (chat != null && chat.reasoningEffort() != null) {
            return chat.reasoningEffort();
        }
        return EffortResolver.upstreamValue(effort.effort());
    }

    /**
     * The request as a target gets it: its upstream model name, {@code reasoning_effort} only when the target has
     * the {@code reasoning} capability, and {@code cache_control} on content parts only when it has
     * {@code prompt_cache} (SPEC section 9).
     */
    ChatRequest upstreamRequest(ChatRequest request, Prepared prepared, Target target) {
        ChatRequest.Builder builder = request.toBuilder().model(target.model().upstream())
                .reasoningEffort(target.model().has(Capability.REASONING) ? prepared.upstreamEffort() : null);
        if (!target.model().has(Capability.PROMPT_CACHE)) {
            List<Message> stripped = CacheControls.strip(request.messages());
            if (stripped != null) {
                builder.messages(stripped);
            }
        }
        return builder.build();
    }

    /** Notes which target served a request, for sticky prefixes. */
    void served(Prepared prepared, Target target) {
        if (sticky != null) {
            sticky.record(prepared.stickyKey(), target.id());
        }
    }

    FallbackSequence newSequence(Prepared prepared) {
        return new FallbackSequence(prepared.plan().candidates(), prepared.route().fallback(), clock,
                prepared.deadline(), random);
    }

    /**
     * Runs attempts along the plan until one succeeds or the fallback sequence ends (see {@link ChatDispatch}).
     * Cancelling the returned future cancels the attempts under way.
     */
    private <R, T> CompletableFuture<T> dispatch(Prepared prepared,
                                                 Function<Target, CompletionStage<R>> call,
                                                 Function<R, Usage> usageOf,
                                                 BiFunction<R, Usage, R> finish,
                                                 BiFunction<R, RoutingReport, T> result) {
        return new ChatDispatch<>(this, prepared, call, usageOf, finish, result).start();
    }

    /**
     * Feeds a failed attempt to its target's cooldown. A timeout that came when the request's deadline had (all but)
     * passed is the deadline's doing, not the target's: it is neutral. The margin covers the millisecond rounding of
     * the attempt's time budget and timer lateness.
     */
    void settleFailure(Cooldowns.Lease lease, ProviderException failure, Prepared prepared) {
        Instant deadline = prepared.deadline();
        if (failure.kind() == FailureKind.TIMEOUT && deadline != null
                && !clock.instant().plus(DEADLINE_MARGIN).isBefore(deadline)) {
            lease.released();
        } else {
            lease.failed(failure.kind());
        }
    }

    /** A provider failure as the fallback logic sees it; anything else a plugin throws counts as a server error. */
    static ProviderException asProviderException(Throwable error) {
        if (error instanceof ProviderException pe) {
            return pe;
        }
        return new ProviderException(FailureKind.SERVER, "provider failed: " + error, error);
    }

    Clock clock() {
        return clock;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    LatencyTracker latency() {
        return latency;
    }

    Cooldowns cooldowns() {
        return cooldowns;
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
