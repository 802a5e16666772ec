package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.spi.ProviderContext;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.Optional;

/** What the router offers a plugin, for these tests: a Vert.x instance the test owns, and a clock. */
record VertxContext(Vertx vertx, Clock clock) implements ProviderContext {

    @Override
    public <T> Optional<T> service(Class<T> type) {
        return type == Vertx.class ? Optional.of(type.cast(vertx)) : Optional.empty();
    }
}
