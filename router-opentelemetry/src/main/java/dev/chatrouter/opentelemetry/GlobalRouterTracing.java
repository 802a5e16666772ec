package dev.chatrouter.opentelemetry;

import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * {@link RouterTracing} with {@link GlobalOpenTelemetry}, for the HTTP server, which finds it with
 * {@link java.util.ServiceLoader} when this module is on its class path. The global instance is the one the
 * OpenTelemetry Java agent installs, or the SDK's autoconfiguration when enabled
 * ({@code -Dotel.java.global-autoconfigure.enabled=true} with its jars present); without either it is a no-op and so
 * are the spans. Embedders pass their own instance to {@link RouterTracing#create} instead.
 */
public final class GlobalRouterTracing implements RouterListener {

    private final RouterTracing tracing = RouterTracing.create(GlobalOpenTelemetry.get());

    @Override
    public void onRequestStarted(RequestStarted event) {
        tracing.onRequestStarted(event);
    }

    @Override
    public void onAttemptStarted(AttemptStarted event) {
        tracing.onAttemptStarted(event);
    }

    @Override
    public void onAttemptFinished(AttemptFinished event) {
        tracing.onAttemptFinished(event);
    }

    @Override
    public void onRequestFinished(RequestFinished event) {
        tracing.onRequestFinished(event);
    }

    @Override
    public String toString() {
        return "GlobalRouterTracing";
    }
}
