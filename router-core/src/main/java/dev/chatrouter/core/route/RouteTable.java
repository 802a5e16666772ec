package dev.chatrouter.core.route;

import dev.chatrouter.api.ModelInfo;
import dev.chatrouter.api.config.RouteConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the model id a client sends to a route. Routes are tried in configuration order and the first whose
 * id or {@code match} entry fits wins (docs/configuration.md); then the default route. Exact ids are found by hash, and
 * only globs of earlier routes are tried before them.
 */
public final class RouteTable {

    private record Indexed(int order, RouteConfig route) {
    }

    private record GlobEntry(String pattern, int order, RouteConfig route) {
    }

    private final Map<String, Indexed> exact = new HashMap<>();
    private final List<GlobEntry> globs = new ArrayList<>();
    private final RouteConfig defaultRoute;
    private final List<ModelInfo> models = new ArrayList<>();
    private final long created;
    private final List<RouteConfig> routes;

    public RouteTable(Map<String, RouteConfig> routes, String defaultRouteId, long createdEpochSeconds) {
        this.created = createdEpochSeconds;
        this.routes = List.copyOf(routes.values());
        int order = 0;
        for (RouteConfig route : routes.values()) {
            add(route.id(), order, route, createdEpochSeconds);
            for (String match : route.match()) {
                if (Glob.isGlob(match)) {
                    globs.add(new GlobEntry(match, order, route));
                } else {
                    add(match, order, route, createdEpochSeconds);
                }
            }
            order++;
        }
        this.defaultRoute = defaultRouteId == null ? null : routes.get(defaultRouteId);
    }

    private void add(String id, int order, RouteConfig route, long created) {
        if (exact.putIfAbsent(id, new Indexed(order, route)) == null) {
            models.add(new ModelInfo(id, created, "chatrouter"));
        }
    }

    /** The route for a model id (effort suffix already stripped), or empty when none fits and there is no default. */
    public Optional<RouteConfig> resolve(String modelId) {
        Indexed hit = exact.get(modelId);
        int before = hit == null ? Integer.MAX_VALUE : hit.order();
        for (GlobEntry glob : globs) {
            if (glob.order() >= before) {
                break;
            }
            if (Glob.matches(glob.pattern(), modelId)) {
                return Optional.of(glob.route());
            }
        }
        return hit != null ? Optional.of(hit.route()) : Optional.ofNullable(defaultRoute);
    }

    /** The model {@code id} names: an exact id, or one a route's glob matches; the default route does not count. */
    public Optional<ModelInfo> model(String id) {
        Indexed hit = exact.get(id);
        if (hit != null) {
            return Optional.of(new ModelInfo(id, created, "chatrouter"));
        }
        for (GlobEntry glob : globs) {
            if (Glob.matches(glob.pattern(), id)) {
                return Optional.of(new ModelInfo(id, created, "chatrouter"));
            }
        }
        return Optional.empty();
    }

    /** The routes, in configuration order. */
    public List<RouteConfig> routes() {
        return routes;
    }

    /** The model ids clients may send: route ids and non-glob match ids, in configuration order. */
    public List<ModelInfo> models() {
        return List.copyOf(models);
    }
}
