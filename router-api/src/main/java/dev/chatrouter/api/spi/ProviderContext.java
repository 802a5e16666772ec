package dev.chatrouter.api.spi;

import java.time.Clock;
import java.util.Optional;

/**
 * What the router hands a plugin when creating a provider: its clock and the shared services it owns (the
 * router's Vert.x instance among them, looked up by class so that this API names no Vert.x type).
 */
public interface ProviderContext {

    /** The router's clock: use it for every time measurement, so that tests can control time. */
    Clock clock();

    /** A shared service of the given type, such as {@code io.vertx.core.Vertx}, when the router has one. */
    <T> Optional<T> service(Class<T> type);
}
