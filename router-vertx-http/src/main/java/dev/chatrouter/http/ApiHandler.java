package dev.chatrouter.http;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.EmbeddingResult;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.kit.upstream.Bodies;
import dev.chatrouter.kit.wire.Decimals;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.internal.StripedSet;
import dev.chatrouter.kit.wire.WireCodec;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RoutingReport;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Serves the endpoints of docs/operations.md#endpoints under each base path: reads the body under the size limit, authenticates the
 * virtual key in constant time, builds the request context from the {@code X-DI-*} headers, and hands the
 * request to the router; errors leave through {@link HttpErrors}. Stateless apart from the set of exchanges in
 * flight, which graceful shutdown waits for.
 */
final class ApiHandler implements Handler<HttpServerRequest> {

    private static final Buffer HEALTH = Buffer.buffer("{\"status\":\"ok\"}");
    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    /** The longest X-DI-User, or tag in X-DI-Tags. */
    static final int MAX_SCOPE_VALUE = 256;
    /** The most tags X-DI-Tags may hold. */
    static final int MAX_TAGS = 32;

    /** The router serving now; a reload replaces it (see {@link Operations}). */
    final LiveRouter routers;
    private volatile ServerSettings settings;
    private volatile Redactor redactor;
    private final Clock clock;
    private final SurfaceEndpoints surfaces;
    private final ServerObservability observability;
    private final Vertx vertx;
    final Operations operations;
    /** The exchanges not finished, striped by event loop: each loop adds and removes its own without contention. */
    final StripedSet<Exchange> inFlight = new StripedSet<>();
    final AtomicBoolean draining = new AtomicBoolean();

    /**
     * @param reloader      re-reads the configuration file for {@code /router/reload}, or {@code null}
     * @param observability serves {@code GET /metrics}, or {@code null} for no metrics endpoint
     */
    ApiHandler(ChatRouter router, ServerSettings settings, List<String> secrets, Clock clock, Vertx vertx,
               ConfigReloader reloader, ServerObservability observability) {
        this.routers = new LiveRouter(router);
        this.settings = settings;
        this.redactor = new Redactor(secrets);
        this.clock = clock;
        this.vertx = vertx;
        this.observability = observability;
        this.operations = new Operations(this, clock, reloader, secrets);
        this.surfaces = new SurfaceEndpoints(this, settings, clock);
    }

    /** After a reload: the new file's server settings (those that apply without a restart) and secrets. */
    void reconfigure(ServerSettings settings, Redactor redactor) {
        this.settings = settings;
        this.redactor = redactor;
    }

    Vertx vertx() {
        return vertx;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String path = request.path();
        HttpServerResponse response = request.response();
        if ("/health".equals(path)) {
            if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
                methodNotAllowed(request, "GET");
                return;
            }
            response.putHeader("content-type", "application/json").end(HEALTH);
            return;
        }
        if ("/metrics".equals(path) && observability != null) {
            metrics(request);
            return;
        }
        if ("/ready".equals(path)) {
            if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
                methodNotAllowed(request, "GET");
                return;
            }
            operations.ready(request);
            return;
        }
        ServerSettings settings = this.settings;
        String endpoint = endpoint(path);
        if (endpoint == null) {
            notFound(request);
            return;
        }
        if (surfaces.serves(endpoint)) {
            surfaces.handle(request, endpoint);
            return;
        }
        if (draining.get()) {
            send(response, HttpErrors.of(503, "api_error", "shutting_down", null, "the server is shutting down"));
            return;
        }
        if (Operations.isAdminEndpoint(endpoint)) {
            operations.admin(request, endpoint);
            return;
        }
        ServerSettings.VirtualKey key = settings.keys().isEmpty() ? null
                : authenticate(request.getHeader("authorization"));
        if (!settings.keys().isEmpty()) {
            if (key == null) {
                send(response, HttpErrors.of(401, "authentication_error", ErrorCode.INVALID_API_KEY.wireName(), null,
                        request.getHeader("authorization") == null
                                ? "missing API key: send Authorization: Bearer <key>" : "invalid API key"));
                return;
            }
        }
        switch (endpoint) {
            case "/chat/completions" -> {
                if (request.method() != HttpMethod.POST) {
                    methodNotAllowed(request, "POST");
                } else {
                    readBody(request, body -> chat(request, body, requireContext(request, key)));
                }
            }
            case "/embeddings" -> {
                if (request.method() != HttpMethod.POST) {
                    methodNotAllowed(request, "POST");
                } else {
                    readBody(request, body -> embed(request, body, requireContext(request, key)));
                }
            }
            case "/models" -> {
                if (request.method() != HttpMethod.GET) {
                    methodNotAllowed(request, "GET");
                } else {
                    response.putHeader("content-type", "application/json")
                            .end(Buffer.buffer(WireCodec.writeModels(visibleModels(key))));
                }
            }
            case "/router/spend" -> {
                if (request.method() != HttpMethod.GET) {
                    methodNotAllowed(request, "GET");
                } else {
                    // read without blocking the event loop: the store may be remote
                    routers.current().spendAsync().whenComplete((all, error) -> {
                        if (error != null) {
                            Throwable cause = error instanceof java.util.concurrent.CompletionException
                                    && error.getCause() != null ? error.getCause() : error;
                            ChatRouterException e = cause instanceof ChatRouterException c ? c
                                    : ChatRouterException.internal(cause);
                            send(response, HttpErrors.of(e, redactor));
                        } else {
                            response.putHeader("content-type", "application/json")
                                    .end(Buffer.buffer(Json.write(spend(key, all))));
                        }
                    });
                }
            }
            default -> {
                if (endpoint.startsWith("/models/") && request.method() == HttpMethod.GET) {
                    model(request, endpoint.substring("/models/".length()), key);
                } else {
                    notFound(request);
                }
            }
        }
    }

    /**
     * {@code GET /metrics}: the router's meters in Prometheus text, for the keys named in {@code server.admin_keys}
     * (anyone when the server has no keys).
     */
    private void metrics(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            methodNotAllowed(request, "GET");
            return;
        }
        ServerSettings.VirtualKey key = settings.keys().isEmpty() ? null
                : authenticate(request.getHeader("authorization"));
        if (!settings.keys().isEmpty() && key == null) {
            send(request.response(), HttpErrors.of(401, "authentication_error", ErrorCode.INVALID_API_KEY.wireName(),
                    null, request.getHeader("authorization") == null
                            ? "missing API key: send Authorization: Bearer <key>" : "invalid API key"));
            return;
        }
        if (!settings.isAdmin(key)) {
            send(request.response(), HttpErrors.of(403, "permission_error", "admin_required", null,
                    "key '" + key.name() + "' may not read /metrics: list it in server.admin_keys"));
            return;
        }
        request.response().putHeader("content-type", METRICS_CONTENT_TYPE).end(observability.scrape());
    }

    /** The content type of the Prometheus text format. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** The path below a base path, or {@code null} when the path is under none. */
    private String endpoint(String path) {
        for (String base : settings.basePaths()) {
            if (path.startsWith(base) && path.length() > base.length() && path.charAt(base.length()) == '/') {
                return path.substring(base.length());
            }
        }
        return null;
    }

    /**
     * The caller's spend: the global budgets and the budgets of the caller's key; without authentication,
     * every budget.
     */
    private Map<String, Object> spend(ServerSettings.VirtualKey key, List<BudgetStatus> all) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (BudgetStatus s : all) {
            if (key != null && !s.scope().equals("global") && !s.scope().equals("key:" + key.name())) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scope", s.scope());
            m.put("window", s.window());
            m.put("limit_usd", Decimals.usdJson(s.limitUsd()));
            m.put("soft_limit_usd", Decimals.usdJson(s.softLimitUsd()));
            m.put("spent_usd", Decimals.usdJson(s.spentUsd()));
            m.put("reserved_usd", Decimals.usdJson(s.reservedUsd()));
            m.put("remaining_usd", Decimals.usdJson(s.remainingUsd()));
            m.put("limit_tokens", s.limitTokens());
            m.put("spent_tokens", s.spentTokens());
            m.put("reserved_tokens", s.reservedTokens());
            m.put("remaining_tokens", s.remainingTokens());
            m.put("resets_at", s.resetsAt().toString());
            data.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("key", key == null ? null : key.name());
        body.put("data", data);
        return body;
    }

    /** The models {@code key} may use: those of its routes, when it names any. */
    private List<ModelInfo> visibleModels(ServerSettings.VirtualKey key) {
        return routers.current().models(keyScope(key));
    }

    private static RequestContext keyScope(ServerSettings.VirtualKey key) {
        return key == null ? RequestContext.empty() : RequestContext.empty().withAllowedRoutes(key.routes());
    }

    /**
     * A model a route names or whose glob matches {@code id} (percent-decoded, its effort suffix allowed, as chat
     * reads it), described with the id asked for; 404 for a model of a route {@code key} may not use.
     */
    private void model(HttpServerRequest request, String rawId, ServerSettings.VirtualKey key) {
        String id;
        try {
            // '+' is a plus in a path, not a space
            id = java.net.URLDecoder.decode(rawId.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            id = rawId;
        }
        var model = routers.current().model(id, keyScope(key));
        if (model.isPresent()) {
            request.response().putHeader("content-type", "application/json")
                    .end(Buffer.buffer(WireCodec.writeModel(model.get())));
            return;
        }
        send(request.response(), HttpErrors.of(404, "invalid_request_error", ErrorCode.MODEL_NOT_FOUND.wireName(),
                "model", "no model '" + id + "'"));
    }

    /**
     * Finds the key whose SHA-256 matches the bearer token. Every configured key is compared, each in constant
     * time, so timing tells nothing about which key or how much of it matched.
     */
    ServerSettings.VirtualKey authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authenticateKey(authorization.substring(7).trim());
    }

    /** The key a presented secret belongs to, compared in constant time; {@code null} when it is no key. */
    ServerSettings.VirtualKey authenticateKey(String secret) {
        byte[] presented = ServerSettings.sha256(secret);
        ServerSettings.VirtualKey found = null;
        for (ServerSettings.VirtualKey candidate : this.settings.keys().values()) {
            if (MessageDigest.isEqual(presented, candidate.sha256()) && found == null) {
                found = candidate;
            }
        }
        return found;
    }

    /** The request context from headers; a malformed header answers 400 and returns {@code null}. */
    RequestContext requireContext(HttpServerRequest request, ServerSettings.VirtualKey key) {
        RequestContext context = RequestContext.empty();
        if (key != null) {
            context = context.withKey(key.name()).withAllowedRoutes(key.routes());
        }
        String effortHeader = request.getHeader("x-di-effort");
        String effortQuery = request.getParam("effort");
        if (effortHeader != null || effortQuery != null) {
            String raw = effortHeader != null ? effortHeader : effortQuery;
            String param = effortHeader != null ? "X-DI-Effort" : "effort";
            try {
                context = context.withEffort(Effort.fromWireName(raw.trim().toLowerCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, param, param
                        + " must be one of fast, minimal, low, medium, high, xhigh, max, auto but was '" + raw + "'");
            }
        }
        String timeout = request.getHeader("x-di-timeout-ms");
        if (timeout != null) {
            long millis;
            try {
                millis = Long.parseLong(timeout.trim());
            } catch (NumberFormatException e) {
                millis = -1;
            }
            if (millis <= 0) {
                throw ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, "X-DI-Timeout-Ms",
                        "X-DI-Timeout-Ms must be a positive number of milliseconds but was '" + timeout + "'");
            }
            context = context.withDeadline(clock.instant().plusMillis(millis));
        }
        String requestId = request.getHeader("x-request-id");
        if (requestId != null && REQUEST_ID.matcher(requestId).matches()) {
            context = context.withRequestId(requestId);
        }
        String user = request.getHeader("x-di-user");
        if (user != null) {
            user = user.trim();
            if (user.isEmpty() || user.length() > MAX_SCOPE_VALUE) {
                throw ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, "X-DI-User", "X-DI-User must be 1 to "
                        + MAX_SCOPE_VALUE + " characters but was " + user.length());
            }
            context = context.withUser(user);
        }
        String tags = request.getHeader("x-di-tags");
        if (tags != null) {
            List<String> list = new ArrayList<>();
            for (String tag : tags.split(",")) {
                String t = tag.trim();
                if (t.length() > MAX_SCOPE_VALUE) {
                    throw ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, "X-DI-Tags", "each tag in X-DI-Tags"
                            + " must be at most " + MAX_SCOPE_VALUE + " characters; one was " + t.length());
                }
                if (!t.isEmpty() && !list.contains(t)) {
                    list.add(t);
                }
            }
            if (list.size() > MAX_TAGS) {
                throw ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, "X-DI-Tags", "X-DI-Tags may hold at most "
                        + MAX_TAGS + " tags but held " + list.size());
            }
            context = context.withTags(list);
        }
        return context;
    }

    /**
     * The caller's user and tags completed from the body: its {@code user} when no {@code X-DI-User} was sent, and
     * each {@code metadata} entry as the tag {@code key=value} after the {@code X-DI-Tags} ones
     * (docs/operations.md#users-and-tags).
     */
    static RequestContext withBodyScopes(RequestContext context, String user, Map<String, Object> metadata) {
        if (context.user() == null && user != null && !user.isBlank()) {
            context = context.withUser(user);
        }
        if (metadata != null && !metadata.isEmpty()) {
            List<String> tags = new ArrayList<>(context.tags());
            metadata.forEach((k, v) -> {
                if (v != null) {
                    String tag = k + "=" + v;
                    if (!tags.contains(tag)) {
                        tags.add(tag);
                    }
                }
            });
            context = context.withTags(tags);
        }
        return context;
    }

    /**
     * Reads the body, enforcing the size limit while reading: a declared or actual size over the limit answers
     * 413 at once and closes the connection, without buffering the rest. A client that expects 100-continue is
     * told to continue only once its declared size fits.
     */
    private void readBody(HttpServerRequest request, java.util.function.Consumer<byte[]> then) {
        readBody(request, Surface.CHAT, then);
    }

    /** Reads the body as {@link #readBody(HttpServerRequest, java.util.function.Consumer)}, errors in {@code surface}'s envelope. */
    void readBody(HttpServerRequest request, Surface surface, java.util.function.Consumer<byte[]> then) {
        long max = settings.maxBodyBytes();
        long declared = -1;
        String length = request.getHeader("content-length");
        if (length != null) {
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException ignored) {
                // the HTTP codec refuses it before this runs
            }
            if (declared > max) {
                tooLarge(request, surface);
                return;
            }
        }
        if ("100-continue".equalsIgnoreCase(request.getHeader("expect"))) {
            // only now that the declared size is known to fit: an oversized body is refused before it is sent
            request.response().writeContinue();
        }
        Bodies.Whole body = new Bodies.Whole(declared);
        AtomicBoolean refused = new AtomicBoolean();
        request.handler(chunk -> {
            if (refused.get()) {
                return;
            }
            if (body.length() + (long) chunk.length() > max) {
                refused.set(true);
                tooLarge(request, surface);
                return;
            }
            body.append(chunk);
        });
        request.exceptionHandler(e -> refused.set(true));
        request.endHandler(v -> {
            if (!refused.get()) {
                try {
                    then.accept(body.bytes());
                } catch (ChatRouterException e) {
                    send(request.response(), surface.error(e.withRequest(requestId(request), null), redactor));
                    abandonExchanges(request);
                } catch (RuntimeException bug) {
                    String id = requestId(request);
                    LOG.error("request {} failed with an internal error", id, bug);
                    send(request.response(), surface.error(ChatRouterException.internal(bug).withRequest(id, null),
                            redactor));
                    abandonExchanges(request);
                }
            }
        });
    }

    /**
     * The id of a request the router did not take: the caller's {@code X-Request-Id} when well formed, else a new
     * one, so that every error answer can be found in the logs.
     */
    static String requestId(HttpServerRequest request) {
        String given = request.getHeader("x-request-id");
        if (given != null && REQUEST_ID.matcher(given).matches()) {
            return given;
        }
        return "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    private void tooLarge(HttpServerRequest request, Surface surface) {
        HttpServerResponse response = request.response();
        if (response.ended()) {
            return;
        }
        response.putHeader("connection", "close");
        send(response, surface.error(413, ErrorCode.REQUEST_TOO_LARGE.wireName(),
                "request body is larger than " + settings.maxBodyBytes() + " bytes"));
        request.connection().close();
    }

    private void chat(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        ChatRequest chat = WireCodec.readChatRequest(body);
        context = withBodyScopes(context, chat.user(), chat.metadata());
        LiveRouter.Lease lease = routers.acquire();
        Exchange exchange = exchange(request, start, Surface.CHAT, lease);
        if (chat.isStream()) {
            ChatStream stream = lease.router().stream(chat, context);
            record(exchange, chat.model(), stream.report().toCompletableFuture(), null);
            exchange.stream(stream);
        } else {
            CompletionStage<ChatResult> call = lease.router().chat(chat, context);
            record(exchange, chat.model(), null, call.thenApply(ChatResult::report));
            exchange.answer(call, ChatResult::report, result -> WireCodec.writeChatResponse(result.response()));
        }
    }

    private void embed(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        EmbeddingRequest embedding = WireCodec.readEmbeddingRequest(body);
        context = withBodyScopes(context, embedding.user(), null);
        LiveRouter.Lease lease = routers.acquire();
        Exchange exchange = exchange(request, start, Surface.CHAT, lease);
        CompletionStage<EmbeddingResult> call = lease.router().embed(embedding, context);
        record(exchange, embedding.model(), null, call.thenApply(EmbeddingResult::report));
        exchange.answer(call, EmbeddingResult::report, result -> WireCodec.writeEmbeddingResponse(result.response()));
    }

    /** The router serving now, held until {@link LiveRouter.Lease#release()}: a reload closes it only after. */
    LiveRouter.Lease acquireRouter() {
        return routers.acquire();
    }

    /** An exchange on {@code surface} holding the router it started on until it finishes. */
    /**
     * Finishes the exchanges made for {@code request} before its handler threw (a {@link ChatRouter} that throws
     * instead of failing its stage): answered with the error, they are no longer in flight, and their router's
     * lease is given back.
     */
    private void abandonExchanges(HttpServerRequest request) {
        for (Exchange exchange : inFlight.snapshot()) {
            if (exchange.request() == request) {
                exchange.abandon();
            }
        }
    }

    Exchange exchange(HttpServerRequest request, long start, Surface surface, LiveRouter.Lease lease) {
        Exchange exchange = new Exchange(this, request, start, surface);
        exchange.inFlightEntry = inFlight.add(exchange);
        exchange.done().whenComplete((v, e) -> lease.release());
        return exchange;
    }

    /**
     * Feeds the dashboard once the exchange finished: a stream's final report, or a call's report or error.
     *
     * @param streamReport a stream's report, which never fails; or {@code null}
     * @param callReport   a call's report, failing with the call's error; or {@code null}
     */
    private void record(Exchange exchange, String intent, CompletableFuture<RoutingReport> streamReport,
                        CompletionStage<RoutingReport> callReport) {
        CompletionStage<RoutingReport> report = streamReport != null ? streamReport : callReport;
        report.toCompletableFuture().handle((r, e) -> {
            ChatRouterException error = null;
            if (e != null) {
                Throwable cause = dev.chatrouter.kit.upstream.Stages.unwrap(e);
                error = cause instanceof ChatRouterException cre ? cre : ChatRouterException.internal(cause);
            }
            return new Object[]{r, error};
        }).thenCombine(exchange.done(), (outcome, v) -> {
            ChatRouterException error = (ChatRouterException) outcome[1];
            int status = error != null ? HttpErrors.status(error) : exchange.request().response().getStatusCode();
            operations.activity.finished(intent, (RoutingReport) outcome[0], error, status);
            return null;
        }).exceptionally(bug -> {
            LOG.warn("could not record a finished request for the dashboard", bug);
            return null;
        });
    }

    ServerSettings settings() {
        return settings;
    }

    Redactor redactor() {
        return redactor;
    }

    /** Counts a failed operation of the stored Responses' store, when the server has metrics. */
    void responseStoreFailed(String operation) {
        if (observability != null) {
            observability.responseStoreFailed(operation);
        }
    }

    static void send(HttpServerResponse response, HttpErrors.HttpError error) {
        if (response.ended() || response.headWritten()) {
            return;
        }
        response.setStatusCode(error.status()).putHeader("content-type", "application/json");
        if (error.requestId() != null) {
            // on every error, whatever route_headers says: a failed call must be found in the logs
            response.putHeader("x-request-id", error.requestId());
        }
        if (error.requestType() != null) {
            response.putHeader("x-di-request-type", error.requestType());
        }
        if (error.retryAfterSeconds() > 0) {
            response.putHeader("retry-after", Long.toString(error.retryAfterSeconds()));
        }
        response.end(Buffer.buffer(error.body()));
    }

    private static void notFound(HttpServerRequest request) {
        send(request.response(), HttpErrors.of(404, "invalid_request_error", "not_found", null,
                "no endpoint " + request.method() + " " + request.path()));
    }

    private static void methodNotAllowed(HttpServerRequest request, String allowed) {
        request.response().putHeader("allow", allowed);
        send(request.response(), HttpErrors.of(405, "invalid_request_error", "method_not_allowed", null,
                request.method() + " is not allowed on " + request.path() + "; use " + allowed));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static Instant now(Clock clock) {
        return clock.instant();
    }
}
