package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.kit.config.ConfigFiles;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server as {@link Main} starts one from a file, reloads included, on a clock the test moves: the router, the
 * readiness check and the dashboard's counters all read it.
 */
final class OperatorServer implements AutoCloseable {

    final MutableClock clock = new MutableClock(Instant.parse("2026-04-01T12:00:00Z"));
    final Path file;
    final Map<String, String> env;
    final Vertx vertx = Vertx.vertx();
    final ChatRouter router;
    final ChatRouterServer server;

    OperatorServer(Path dir, String yaml, Map<String, String> env) {
        this.file = dir.resolve("chatrouter.yaml");
        this.env = env;
        write(yaml);
        try {
            router = ChatRouter.builder().configFile(file).environment(env).service(Vertx.class, vertx).clock(clock)
                    .build();
            ServerSettings settings = ServerSettings.read(ConfigFiles.section(file, "server", env)).withPort(0);
            ConfigReloader reloader = new ConfigReloader(file, env, vertx, b -> b.clock(clock));
            server = ChatRouterServer.start(vertx, router, settings, List.of(), 2, clock, reloader, null)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("server did not start: " + e, e);
        }
    }

    void write(String yaml) {
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    @Override
    public void close() {
        try {
            server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing the rest matters more
        }
        router.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the JVM ends the threads
        }
    }
}
