package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.micrometer.RouterMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * What the server watches the router with, registered on the router's builder before it is built: the access log
 * ({@link AccessLog}), the metrics served at {@code GET /metrics} ({@link RouterMetrics} into a Prometheus registry),
 * and every {@link RouterListener} that {@link ServiceLoader} finds on the class path (such as
 * {@code router-opentelemetry}'s tracing, when its jar is added). See docs/operations.md.
 */
public final class ServerObservability {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<RouterListener> listeners = new ArrayList<>();

    private ServerObservability(ClassLoader loader) {
        listeners.add(new AccessLog());
        listeners.add(RouterMetrics.create(registry));
        for (RouterListener found : ServiceLoader.load(RouterListener.class, loader)) {
            LOG.info("router listener from the class path: {}", found);
            listeners.add(found);
        }
    }

    /** The access log, the metrics, and the listeners {@link ServiceLoader} finds with the context class loader. */
    public static ServerObservability create() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return new ServerObservability(loader != null ? loader : ServerObservability.class.getClassLoader());
    }

    /** Registers every listener on {@code builder}; call it before {@link ChatRouter.Builder#build()}. */
    public ChatRouter.Builder install(ChatRouter.Builder builder) {
        listeners.forEach(builder::listener);
        return builder;
    }

    /**
     * Counts a failed operation ({@code put} or {@code get}) of the store that keeps stored Responses:
     * {@code chatrouter.responses.store.failures}.
     */
    void responseStoreFailed(String operation) {
        registry.counter("chatrouter.responses.store.failures", "operation", operation).increment();
    }

    /** The metrics in the Prometheus text format (version 0.0.4). */
    String scrape() {
        return registry.scrape();
    }
}
