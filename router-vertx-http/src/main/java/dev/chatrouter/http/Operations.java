package dev.chatrouter.http;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.kit.wire.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's endpoints (docs/operations.md): {@code GET /ready}, and under each base path the admin endpoints
 * {@code POST /router/reload}, {@code GET /router/state}, the dashboard {@code GET /router/ui} (with its script and
 * style sheet, served from the jar) and {@code POST /router/login}. Holds what the dashboard shows ({@link Activity})
 * and runs reloads: one at a time, on a worker thread, swapping the router only when the new configuration built.
 */
final class Operations {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    private static final long MAX_LOGIN_BODY = 8 * 1024;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    private static final Map<String, Asset> ASSETS = Map.of(
            "/router/ui", Asset.load("index.html", "text/html; charset=utf-8"),
            "/router/ui/app.js", Asset.load("app.js", "text/javascript; charset=utf-8"),
            "/router/ui/app.css", Asset.load("app.css", "text/css; charset=utf-8"));
    private static final String LOGIN_PAGE = new String(Asset.load("login.html", "").bytes, StandardCharsets.UTF_8);

    private final ApiHandler api;
    private final Clock clock;
    private final ConfigReloader reloader;
    final Activity activity;
    private final AdminSessions sessions;
    private final List<String> secrets;
    private final Object reloadLock = new Object();
    private volatile Instant loadedAt;
    private volatile String lastReloadError;
    private volatile Instant lastReloadErrorAt;
    private volatile int reloads;

    /**
     * @param reloader re-reads the configuration file, or {@code null} when the server was not started from one
     * @param secrets  the secrets redacted at startup; a reload adds the new file's
     */
    Operations(ApiHandler api, Clock clock, ConfigReloader reloader, List<String> secrets) {
        this.api = api;
        this.clock = clock;
        this.reloader = reloader;
        this.activity = new Activity(clock);
        this.sessions = new AdminSessions(clock);
        this.secrets = new CopyOnWriteArrayList<>(secrets);
        this.loadedAt = clock.instant();
    }

    /** The admin endpoints, below a base path. */
    static boolean isAdminEndpoint(String endpoint) {
        return endpoint.equals("/router/reload") || endpoint.equals("/router/state")
                || endpoint.equals("/router/login") || ASSETS.containsKey(endpoint);
    }

    // ---- /ready ----

    /** {@code GET /ready}: 200 when every route has a target that is not cooling down, else 503; no key needed. */
    void ready(HttpServerRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean draining = api.draining.get();
        Readiness readiness = readiness(api.routers.current(), clock.instant());
        boolean ready = !draining && readiness.ready;
        body.put("status", ready ? "ready" : "not_ready");
        body.put("config", "loaded");
        if (draining) {
            body.put("reason", "shutting_down");
        } else if (!ready) {
            body.put("reason", "routes without an available target: " + readiness.unavailable);
        }
        body.put("routes", readiness.routes);
        request.response().setStatusCode(ready ? 200 : 503).putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(Buffer.buffer(Json.write(body)));
    }

    private record Readiness(boolean ready, List<String> unavailable, List<Map<String, Object>> routes,
                             Map<String, List<String>> routesOfTarget) {
    }

    /**
     * Each route with its targets' states. A target is available unless it is cooling down (until its cooldown
     * ends: then the next request probes it) or being probed by another request.
     */
    private static Readiness readiness(ChatRouter router, Instant now) {
        Map<String, TargetHealth> health = new LinkedHashMap<>();
        for (TargetHealth h : router.health()) {
            health.put(h.target(), h);
        }
        List<Map<String, Object>> routes = new ArrayList<>();
        List<String> unavailable = new ArrayList<>();
        Map<String, List<String>> routesOfTarget = new LinkedHashMap<>();
        for (RouteConfig route : router.routes()) {
            Set<String> targets = new LinkedHashSet<>();
            for (PoolConfig pool : route.pools().values()) {
                for (PoolTarget t : pool.targets()) {
                    targets.add(t.target());
                }
            }
            boolean any = false;
            List<Map<String, Object>> list = new ArrayList<>();
            for (String target : targets) {
                routesOfTarget.computeIfAbsent(target, k -> new ArrayList<>()).add(route.id());
                TargetHealth h = health.get(target);
                Map<String, Object> m = target(h == null ? new TargetHealth(target, TargetHealth.State.HEALTHY, 0,
                        null, Double.NaN, Double.NaN) : h, now);
                any |= (Boolean) m.get("available");
                list.add(m);
            }
            if (!any) {
                unavailable.add(route.id());
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("route", route.id());
            r.put("ready", any);
            r.put("targets", list);
            routes.add(r);
        }
        return new Readiness(unavailable.isEmpty(), unavailable, routes, routesOfTarget);
    }

    private static Map<String, Object> target(TargetHealth h, Instant now) {
        boolean available = h.state() == TargetHealth.State.HEALTHY
                || h.state() == TargetHealth.State.COOLING_DOWN && h.coolingUntil() != null
                && !now.isBefore(h.coolingUntil());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", h.target());
        m.put("state", h.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("available", available);
        m.put("consecutive_failures", h.consecutiveFailures());
        m.put("cooling_until", h.coolingUntil() == null ? null : h.coolingUntil().toString());
        m.put("latency_ms", millis(h.latencyMillis()));
        m.put("first_token_ms", millis(h.firstTokenMillis()));
        return m;
    }

    /** An average to a tenth of a millisecond, or {@code null} when unmeasured. */
    private static Double millis(double average) {
        return Double.isNaN(average) ? null : Math.round(average * 10) / 10.0;
    }

    // ---- admin endpoints ----

    /** Serves an admin endpoint after checking the caller may. */
    void admin(HttpServerRequest request, String endpoint) {
        if (endpoint.equals("/router/login")) {
            if (request.method() != HttpMethod.POST) {
                methodNotAllowed(request, "POST");
            } else {
                login(request);
            }
            return;
        }
        boolean get = request.method() == HttpMethod.GET;
        String allowed = endpoint.equals("/router/reload") ? "POST" : "GET";
        if (!request.method().name().equals(allowed)) {
            methodNotAllowed(request, allowed);
            return;
        }
        // the style sheet is public: the login page needs it too
        String refusal = endpoint.equals("/router/ui/app.css") ? null : refusal(request, get);
        if (refusal != null) {
            if (endpoint.equals("/router/ui") && refusal.startsWith("401")) {
                loginPage(request.response(), 401, "");
                return;
            }
            boolean unauthenticated = refusal.startsWith("401");
            ApiHandler.send(request.response(), HttpErrors.of(unauthenticated ? 401 : 403,
                    unauthenticated ? "authentication_error" : "permission_error",
                    unauthenticated ? ErrorCode.INVALID_API_KEY.wireName() : "admin_required", null,
                    refusal.substring(4)));
            return;
        }
        switch (endpoint) {
            case "/router/reload" -> request.end().onComplete(v -> reloadRequest(request));
            case "/router/state" -> request.response().putHeader("content-type", "application/json")
                    .putHeader("cache-control", "no-store").end(Buffer.buffer(Json.write(state())));
            default -> {
                Asset asset = ASSETS.get(endpoint);
                secureHeaders(request.response()).putHeader("content-type", asset.type)
                        .end(Buffer.buffer(asset.bytes));
            }
        }
    }

    /**
     * Why the caller may not use the admin endpoints ("401 ..." or "403 ..."), or {@code null} when it may: no keys
     * configured, a bearer key listed in {@code server.admin_keys}, or (for GET) a dashboard session of one.
     */
    private String refusal(HttpServerRequest request, boolean get) {
        ServerSettings settings = api.settings();
        if (settings.keys().isEmpty()) {
            return null;
        }
        String authorization = request.getHeader("authorization");
        if (authorization != null) {
            ServerSettings.VirtualKey key = api.authenticate(authorization);
            if (key == null) {
                return "401 invalid API key";
            }
            return settings.isAdmin(key) ? null
                    : "403 key '" + key.name() + "' may not use the admin endpoints: list it in server.admin_keys";
        }
        if (get) {
            String name = sessions.keyName(AdminSessions.token(request.getHeader("cookie")));
            if (name != null && settings.keys().containsKey(name) && settings.adminKeys().contains(name)) {
                return null;
            }
        }
        return "401 missing API key: send Authorization: Bearer <admin key>";
    }

    /** {@code POST /router/login} with a form field {@code key}: an admin key starts a dashboard session. */
    private void login(HttpServerRequest request) {
        Buffer body = Buffer.buffer();
        AtomicBoolean tooLarge = new AtomicBoolean();
        request.handler(chunk -> {
            if (body.length() + chunk.length() > MAX_LOGIN_BODY) {
                tooLarge.set(true);
            } else if (!tooLarge.get()) {
                body.appendBuffer(chunk);
            }
        });
        request.endHandler(v -> {
            HttpServerResponse response = request.response();
            if (tooLarge.get()) {
                loginPage(response, 413, "The form was too large.");
                return;
            }
            ServerSettings settings = api.settings();
            if (settings.keys().isEmpty()) {
                response.setStatusCode(303).putHeader("location", "ui").end();
                return;
            }
            String key = null;
            for (String field : body.toString(StandardCharsets.UTF_8).split("&")) {
                if (field.startsWith("key=")) {
                    key = URLDecoder.decode(field.substring(4), StandardCharsets.UTF_8).trim();
                }
            }
            ServerSettings.VirtualKey found = key == null || key.isEmpty() ? null : api.authenticate("Bearer " + key);
            if (found == null || !settings.isAdmin(found)) {
                loginPage(response, 401, "That is not an admin key of this server.");
                return;
            }
            String token = sessions.start(found.name());
            response.setStatusCode(303).putHeader("location", "ui")
                    .putHeader("set-cookie", AdminSessions.COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
                            + AdminSessions.TTL.toSeconds())
                    .end();
        });
    }

    private static void loginPage(HttpServerResponse response, int status, String message) {
        // the message is one of this class's fixed texts, never input
        secureHeaders(response).setStatusCode(status).putHeader("content-type", "text/html; charset=utf-8")
                .end(LOGIN_PAGE.replace("{{message}}", message));
    }

    private static HttpServerResponse secureHeaders(HttpServerResponse response) {
        return response.putHeader("content-security-policy", CSP).putHeader("x-content-type-options", "nosniff")
                .putHeader("referrer-policy", "no-referrer").putHeader("cache-control", "no-store");
    }

    private static void methodNotAllowed(HttpServerRequest request, String allowed) {
        request.response().putHeader("allow", allowed);
        ApiHandler.send(request.response(), HttpErrors.of(405, "invalid_request_error", "method_not_allowed", null,
                request.method() + " is not allowed on " + request.path() + "; use " + allowed));
    }

    // ---- reload ----

    private void reloadRequest(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        reload().whenComplete((reloaded, error) -> {
            if (error == null) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", "reloaded");
                body.put("generation", api.routers.generation());
                body.put("routes", reloaded.router().routes().stream().map(RouteConfig::id).toList());
                body.put("restart_required", reloaded.restartRequired());
                response.putHeader("content-type", "application/json").end(Buffer.buffer(Json.write(body)));
                return;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof ConfigurationException) {
                ApiHandler.send(response, HttpErrors.of(400, "invalid_request_error", "invalid_configuration",
                        null, api.redactor().redact(cause.getMessage())));
            } else if (cause instanceof IllegalStateException && reloader == null) {
                ApiHandler.send(response, HttpErrors.of(409, "invalid_request_error", "reload_unavailable", null,
                        cause.getMessage()));
            } else {
                ApiHandler.send(response, HttpErrors.of(500, "api_error", ErrorCode.INTERNAL_ERROR.wireName(), null,
                        "the reload failed with an internal error; the previous configuration keeps serving"));
            }
        });
    }

    /**
     * Re-reads the configuration file and, when it builds, serves with the new router; requests in flight finish
     * on the old one, which is closed after them. A file with an error changes nothing: the stage fails with its
     * {@link ConfigurationException}.
     */
    CompletionStage<ConfigReloader.Reloaded> reload() {
        if (reloader == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "this server was not started from a configuration file: there is nothing to reload"));
        }
        Vertx vertx = api.vertx();
        return vertx.executeBlocking(() -> {
            synchronized (reloadLock) {
                return reloadNow();
            }
        }, false).toCompletionStage();
    }

    private ConfigReloader.Reloaded reloadNow() {
        ConfigReloader.Reloaded reloaded;
        try {
            reloaded = reloader.load(api.routers.current());
        } catch (ConfigurationException e) {
            lastReloadError = api.redactor().redact(e.getMessage());
            lastReloadErrorAt = clock.instant();
            LOG.warn("configuration reload refused, the previous configuration keeps serving: "
                    + lastReloadError);
            throw e;
        } catch (RuntimeException e) {
            lastReloadError = "internal error: " + e.getClass().getSimpleName();
            lastReloadErrorAt = clock.instant();
            LOG.error("configuration reload failed, the previous configuration keeps serving", e);
            throw e;
        }
        secrets.addAll(reloaded.secrets());
        ServerSettings running = api.settings();
        api.reconfigure(reloaded.settings().withHost(running.host()).withPort(running.port())
                .withReload(running.reload()), new Redactor(secrets));
        api.routers.replace(reloaded.router());
        reloads++;
        loadedAt = clock.instant();
        lastReloadError = null;
        lastReloadErrorAt = null;
        LOG.info("configuration reloaded from " + reloader.file() + ": routes "
                + reloaded.router().routes().stream().map(RouteConfig::id).toList() + ", virtual keys "
                + reloaded.settings().keys().keySet());
        if (!reloaded.restartRequired().isEmpty()) {
            LOG.warn("changed, but take effect only after a restart: " + reloaded.restartRequired());
        }
        return reloaded;
    }

    ConfigReloader reloader() {
        return reloader;
    }

    // ---- /router/state ----

    /** What the dashboard shows; no secret: names, states, numbers. */
    Map<String, Object> state() {
        Instant now = clock.instant();
        ChatRouter router = api.routers.current();
        Readiness readiness = readiness(router, now);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("time", now.toString());
        body.put("ready", readiness.ready && !api.draining.get());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("file", reloader == null ? null : String.valueOf(reloader.file().getFileName()));
        config.put("generation", api.routers.generation());
        config.put("loaded_at", loadedAt.toString());
        config.put("reloads", reloads);
        config.put("watch", api.settings().reload().watch());
        config.put("last_reload_error", lastReloadError);
        config.put("last_reload_error_at", lastReloadErrorAt == null ? null : lastReloadErrorAt.toString());
        body.put("config", config);
        List<Map<String, Object>> targets = new ArrayList<>();
        for (TargetHealth h : router.health()) {
            Map<String, Object> m = target(h, now);
            m.put("routes", readiness.routesOfTarget.getOrDefault(h.target(), List.of()));
            targets.add(m);
        }
        body.put("targets", targets);
        body.put("routes", readiness.routes);
        List<Map<String, Object>> spend = new ArrayList<>();
        for (BudgetStatus s : router.spend()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scope", s.scope());
            m.put("window", s.window());
            m.put("limit_usd", s.limitUsd());
            m.put("soft_limit_usd", s.softLimitUsd());
            m.put("spent_usd", s.spentUsd());
            m.put("reserved_usd", s.reservedUsd());
            m.put("limit_tokens", s.limitTokens());
            m.put("spent_tokens", s.spentTokens());
            m.put("reserved_tokens", s.reservedTokens());
            m.put("resets_at", s.resetsAt().toString());
            spend.add(m);
        }
        body.put("spend", spend);
        body.put("traffic", activity.traffic());
        body.put("decisions", activity.decisions());
        return body;
    }

    /** A file of the dashboard, read from the jar once. */
    private record Asset(byte[] bytes, String type) {
        static Asset load(String name, String type) {
            try (InputStream in = Operations.class.getResourceAsStream("ui/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("dashboard file ui/" + name + " is missing from the jar");
                }
                return new Asset(in.readAllBytes(), type);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
