package dev.chatrouter.api.config;

import dev.chatrouter.api.RequestType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A route: the intent clients send, the further ids and globs that resolve to it, and a pool per request type.
 *
 * @param id         the intent id
 * @param match      further ids or globs ({@code *} matches any run of characters) that resolve here
 * @param baseType   the type of requests no other rule classifies: {@link RequestType#FLASH} or {@link RequestType#PRO}
 * @param pools      pools by request type wire name, and {@code *} for any type without its own
 * @param fallback   how attempts are retried and fall back
 * @param hedgeAfter when positive, start the next target beside an attempt that has no first token (a stream) or
 *                   no answer (otherwise) by then; the first to produce one wins and the other is cancelled
 */
public record RouteConfig(String id, List<String> match, RequestType baseType, Map<String, PoolConfig> pools,
                          FallbackConfig fallback, Duration hedgeAfter) {

    public RouteConfig {
        Objects.requireNonNull(id, "id");
        match = List.copyOf(match);
        baseType = baseType == null ? RequestType.PRO : baseType;
        if (baseType != RequestType.FLASH && baseType != RequestType.PRO) {
            throw new IllegalArgumentException("base type of route " + id + " must be flash or pro but was "
                    + baseType.wireName());
        }
        pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("route " + id + " needs at least one pool");
        }
        fallback = fallback == null ? FallbackConfig.DEFAULTS : fallback;
        hedgeAfter = hedgeAfter == null ? Duration.ZERO : hedgeAfter;
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** Builds a {@link RouteConfig}; defaults: base type pro, default fallback, no hedging. */
    public static final class Builder {
        private final String id;
        private final List<String> match = new ArrayList<>();
        private RequestType baseType = RequestType.PRO;
        private final Map<String, PoolConfig> pools = new LinkedHashMap<>();
        private FallbackConfig fallback = FallbackConfig.DEFAULTS;
        private Duration hedgeAfter = Duration.ZERO;

        private Builder(String id) {
            this.id = Objects.requireNonNull(id, "id");
        }

        public Builder match(String... idsOrGlobs) {
            match.addAll(List.of(idsOrGlobs));
            return this;
        }

        public Builder baseType(RequestType baseType) {
            this.baseType = Objects.requireNonNull(baseType, "baseType");
            return this;
        }

        /** Adds the pool for a request type's wire name, or {@code *}. */
        public Builder pool(String type, PoolConfig pool) {
            if (pools.putIfAbsent(type, pool) != null) {
                throw new IllegalArgumentException("pool '" + type + "' was already added to route " + id);
            }
            return this;
        }

        public Builder fallback(FallbackConfig fallback) {
            this.fallback = Objects.requireNonNull(fallback, "fallback");
            return this;
        }

        public Builder hedgeAfter(Duration hedgeAfter) {
            this.hedgeAfter = Objects.requireNonNull(hedgeAfter, "hedgeAfter");
            return this;
        }

        public RouteConfig build() {
            return new RouteConfig(id, match, baseType, pools, fallback, hedgeAfter);
        }
    }
}
