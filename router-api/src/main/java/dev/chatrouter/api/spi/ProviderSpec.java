package dev.chatrouter.api.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A configured provider: what a {@link ProviderFactory} is given to create a {@link Provider}.
 * {@link #toString()} never shows the API key.
 *
 * @param id             the provider id (targets name it as {@code id/model})
 * @param type           the plugin type
 * @param baseUrl        the API's base URL, or {@code null} for the plugin's default
 * @param apiKey         the API key, or {@code null}
 * @param headers        extra headers sent with every request
 * @param timeouts       the timeouts
 * @param maxConnections the connection pool's size
 * @param limits         the provider's own rate caps
 * @param models         the models, by id, in configuration order
 * @param options        plugin-specific settings, by key (only keys the plugin declares are accepted)
 */
public record ProviderSpec(String id, String type, String baseUrl, String apiKey, Map<String, String> headers,
                           Timeouts timeouts, int maxConnections, ProviderLimits limits,
                           Map<String, ModelSpec> models, Map<String, Object> options) {

    public ProviderSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        headers = Map.copyOf(headers);
        timeouts = timeouts == null ? Timeouts.DEFAULTS : timeouts;
        maxConnections = maxConnections <= 0 ? 64 : maxConnections;
        limits = limits == null ? ProviderLimits.NONE : limits;
        models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Starts a spec for provider {@code id} of plugin {@code type}. */
    public static Builder builder(String id, String type) {
        return new Builder(id, type);
    }

    @Override
    public String toString() {
        return "ProviderSpec[id=" + id + ", type=" + type + ", baseUrl=" + baseUrl
                + ", apiKey=" + (apiKey == null ? "none" : "(set)") + ", headers=" + headers.keySet()
                + ", timeouts=" + timeouts + ", maxConnections=" + maxConnections + ", limits=" + limits
                + ", models=" + models.keySet() + ", options=" + options.keySet() + "]";
    }

    /** Builds a {@link ProviderSpec}; defaults: no base URL, no key, default timeouts, 64 connections. */
    public static final class Builder {
        private final String id;
        private final String type;
        private String baseUrl;
        private String apiKey;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Timeouts timeouts = Timeouts.DEFAULTS;
        private int maxConnections = 64;
        private ProviderLimits limits = ProviderLimits.NONE;
        private final Map<String, ModelSpec> models = new LinkedHashMap<>();
        private final Map<String, Object> options = new LinkedHashMap<>();

        private Builder(String id, String type) {
            this.id = Objects.requireNonNull(id, "id");
            this.type = Objects.requireNonNull(type, "type");
        }

        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Builder timeouts(Timeouts timeouts) {
            this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            if (maxConnections <= 0) {
                throw new IllegalArgumentException("maxConnections must be positive but was " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder limits(ProviderLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Adds a model.
         *
         * @throws IllegalArgumentException if a model with the same id was already added
         */
        public Builder model(ModelSpec model) {
            if (models.putIfAbsent(model.id(), model) != null) {
                throw new IllegalArgumentException("model '" + model.id() + "' was already added to provider " + id);
            }
            return this;
        }

        public Builder option(String key, Object value) {
            options.put(key, value);
            return this;
        }

        public ProviderSpec build() {
            return new ProviderSpec(id, type, baseUrl, apiKey, headers, timeouts, maxConnections, limits, models,
                    options);
        }
    }
}
