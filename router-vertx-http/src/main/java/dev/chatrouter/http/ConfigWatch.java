package dev.chatrouter.http;

import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code server.reload.watch}: polls the configuration file's modification time and size on a Vert.x timer and
 * reloads when they changed. A refused file is not retried until it changes again; polls never overlap a reload.
 */
final class ConfigWatch {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    private final Vertx vertx;
    private final long timer;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile String seen;

    private ConfigWatch(Vertx vertx, ConfigReloader reloader, Duration interval,
                        Supplier<? extends CompletionStage<?>> reload) {
        this.vertx = vertx;
        this.seen = reloader.fingerprint();
        this.timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (!busy.compareAndSet(false, true)) {
                return;
            }
            vertx.<String>executeBlocking(reloader::fingerprint, false).onComplete(ar -> {
                String now = ar.succeeded() ? ar.result() : null;
                if (now == null || now.equals(seen)) {
                    busy.set(false);
                    return;
                }
                seen = now;
                LOG.info("configuration file " + reloader.file() + " changed: reloading");
                // a refused file was logged by the reload; the next change is tried again
                reload.get().whenComplete((r, e) -> busy.set(false));
            });
        });
    }

    static ConfigWatch start(Vertx vertx, ConfigReloader reloader, Duration interval,
                             Supplier<? extends CompletionStage<?>> reload) {
        Objects.requireNonNull(reloader, "reloader");
        return new ConfigWatch(vertx, reloader, interval, reload);
    }

    void stop() {
        vertx.cancelTimer(timer);
    }
}
