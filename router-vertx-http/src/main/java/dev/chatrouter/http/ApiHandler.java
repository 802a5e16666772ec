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
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.WireCodec;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Serves SPEC section 10's endpoints under each base path: reads the body under the size limit, authenticates the
 * virtual key in constant time, builds the request context from the {@code X-DI-*} headers, and hands the
 * request to the router; errors leave through {@link HttpErrors}. Stateless apart from the set of exchanges in
 * flight, which graceful shutdown waits for.
 */
final class ApiHandler implements Handler<HttpServerRequest> {

    private static final Buffer HEALTH = Buffer.buffer("{\"status\":\"ok\"}");
    private static final int INITIAL_BODY_BUFFER = 64 * 1024;
    private static final Logger LOG = Logger.getLogger("chatrouter");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final ChatRouter router;
    private final ServerSettings settings;
    private final Redactor redactor;
    private final Clock clock;
    final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
    final AtomicBoolean draining = new AtomicBoolean();

    ApiHandler(ChatRouter router, ServerSettings settings, Redactor redactor, Clock clock) {
        this.router = router;
        this.settings = settings;
        this.redactor = redactor;
        this.clock = clock;
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
        String endpoint = endpoint(path);
        if (endpoint == null) {
            notFound(request);
            return;
        }
        if (draining.get()) {
            send(response, HttpErrors.of(503, "api_error", "shutting_down", null, "the server is shutting down"));
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
                    router.spendAsync().whenComplete((all, error) -> {
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
            m.put("limit_usd", s.limitUsd());
            m.put("soft_limit_usd", s.softLimitUsd());
            m.put("spent_usd", s.spentUsd());
            m.put("reserved_usd", s.reservedUsd());
            m.put("remaining_usd", s.remainingUsd());
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

    private List<ModelInfo> visibleModels(ServerSettings.VirtualKey key) {
        return router.models();
    }

    private void model(HttpServerRequest request, String id, ServerSettings.VirtualKey key) {
        for (ModelInfo model : visibleModels(key)) {
            if (model.id().equals(id)) {
                request.response().putHeader("content-type", "application/json")
                        .end(Buffer.buffer(WireCodec.writeModel(model)));
                return;
            }
        }
        send(request.response(), HttpErrors.of(404, "invalid_request_error", ErrorCode.MODEL_NOT_FOUND.wireName(),
                "model", "no model '" + id + "'"));
    }

    /**
     * Finds the key whose SHA-256 matches the bearer token. Every configured key is compared, each in constant
     * time, so timing tells nothing about which key or how much of it matched.
     */
    private ServerSettings.VirtualKey authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] presented = ServerSettings.sha256(authorization.substring(7).trim());
        ServerSettings.VirtualKey found = null;
        for (ServerSettings.VirtualKey candidate : settings.keys().values()) {
            if (MessageDigest.isEqual(presented, candidate.sha256()) && found == null) {
                found = candidate;
            }
        }
        return found;
    }

    /** The request context from headers; a malformed header answers 400 and returns {@code null}. */
    private RequestContext requireContext(HttpServerRequest request, ServerSettings.VirtualKey key) {
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
        return context;
    }

    /**
     * Reads the body, enforcing the size limit while reading: a declared or actual size over the limit answers
     * 413 at once and closes the connection, without buffering the rest. A client that expects 100-continue is
     * told to continue only once its declared size fits.
     */
    private void readBody(HttpServerRequest request, java.util.function.Consumer<byte[]> then) {
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
                tooLarge(request);
                return;
            }
        }
        if ("100-continue".equalsIgnoreCase(request.getHeader("expect"))) {
            // only now that the declared size is known to fit: an oversized body is refused before it is sent
            request.response().writeContinue();
        }
        // Sized for what is declared, but a declaration alone (no bytes sent yet) reserves at most 64 KiB.
        Buffer body = Buffer.buffer((int) Math.min(INITIAL_BODY_BUFFER, declared < 0 ? 1024 : declared));
        AtomicBoolean refused = new AtomicBoolean();
        request.handler(chunk -> {
            if (refused.get()) {
                return;
            }
            if (body.length() + (long) chunk.length() > max) {
                refused.set(true);
                tooLarge(request);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> refused.set(true));
        request.endHandler(v -> {
            if (!refused.get()) {
                try {
                    then.accept(body.getBytes());
                } catch (ChatRouterException e) {
                    send(request.response(), HttpErrors.of(e.withRequest(requestId(request), null), redactor));
                } catch (RuntimeException bug) {
                    String id = requestId(request);
                    LOG.log(Level.SEVERE, "request " + id + " failed with an internal error", bug);
                    send(request.response(), HttpErrors.of(ChatRouterException.internal(bug).withRequest(id, null),
                            redactor));
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

    private void tooLarge(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (response.ended()) {
            return;
        }
        response.putHeader("connection", "close");
        send(response, HttpErrors.of(413, "invalid_request_error", ErrorCode.REQUEST_TOO_LARGE.wireName(), null,
                "request body is larger than " + settings.maxBodyBytes() + " bytes"));
        request.connection().close();
    }

    private void chat(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        ChatRequest chat = WireCodec.readChatRequest(body);
        Exchange exchange = exchange(request, start);
        if (chat.isStream()) {
            exchange.stream(router.stream(chat, context));
        } else {
            exchange.answer(router.chat(chat, context), ChatResult::report,
                    result -> WireCodec.writeChatResponse(result.response()));
        }
    }

    private void embed(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        EmbeddingRequest embedding = WireCodec.readEmbeddingRequest(body);
        exchange(request, start).answer(router.embed(embedding, context), EmbeddingResult::report,
                result -> WireCodec.writeEmbeddingResponse(result.response()));
    }

    private Exchange exchange(HttpServerRequest request, long start) {
        Exchange exchange = new Exchange(this, request, start);
        inFlight.add(exchange);
        return exchange;
    }

    ServerSettings settings() {
        return settings;
    }

    Redactor redactor() {
        return redactor;
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
