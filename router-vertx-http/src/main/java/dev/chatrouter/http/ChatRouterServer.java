package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The OpenAI-compatible HTTP front of a {@link ChatRouter} (docs/operations.md#endpoints): one HTTP server per event loop on
 * one port. {@link #shutdown()} is graceful: no new requests, in-flight ones finish within the grace period, and
 * streams still open after it end with an error event.
 */
public final class ChatRouterServer {

    private final Vertx vertx;
    private final ApiHandler handler;
    private final ServerSettings settings;
    private final int port;
    private final String deploymentId;
    private final ChatRouter initial;
    private final ConfigWatch watch;

    private ChatRouterServer(Vertx vertx, ApiHandler handler, ServerSettings settings, int port, String deploymentId,
                             ChatRouter initial) {
        this.vertx = vertx;
        this.handler = handler;
        this.settings = settings;
        this.port = port;
        this.deploymentId = deploymentId;
        this.initial = initial;
        ConfigReloader reloader = handler.operations.reloader();
        this.watch = reloader != null && settings.reload().watch()
                ? ConfigWatch.start(vertx, reloader, settings.reload().interval(), handler.operations::reload)
                : null;
    }

    /**
     * Starts serving.
     *
     * @param secrets provider API keys and other secrets to redact from anything sent to clients
     * @param instances how many servers (event loops) share the port; 0 for one per processor
     */
    public static CompletionStage<ChatRouterServer> start(Vertx vertx, ChatRouter router, ServerSettings settings,
                                                          List<String> secrets, int instances) {
        return start(vertx, router, settings, secrets, instances, Clock.systemUTC(), null, null);
    }

    /**
     * Starts serving, with reloads: {@code POST /router/reload} (and, with {@code server.reload.watch}, a change
     * of the file) re-reads the configuration through {@code reloader} and serves with the new router from then
     * on (docs/operations.md, "Reload"). The server closes a router it replaced once that router's requests have
     * finished, and on {@link #shutdown()} the router it built last. {@code GET /metrics} is served from
     * {@code observability} (installed on the router's builder before the router was built), or not at all when
     * {@code null}.
     *
     * @param secrets  provider API keys and other secrets to redact from anything sent to clients
     * @param instances how many servers (event loops) share the port; 0 for one per processor
     * @param clock    the clock for readiness, the dashboard's counters and its login sessions
     * @param reloader re-reads the configuration file; {@code null}: reloads answer 409 {@code reload_unavailable}
     */
    public static CompletionStage<ChatRouterServer> start(Vertx vertx, ChatRouter router, ServerSettings settings,
                                                          List<String> secrets, int instances, Clock clock,
                                                          ConfigReloader reloader,
                                                          ServerObservability observability) {
        Objects.requireNonNull(router, "router");
        ApiHandler handler = new ApiHandler(router, settings, secrets, clock, vertx, reloader, observability);
        int count = instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
        CompletableFuture<ChatRouterServer> result = new CompletableFuture<>();
        deploy(vertx, handler, settings, count, 3, result, router);
        return result;
    }

    /**
     * Re-reads the configuration file now, as {@code POST /router/reload} does.
     *
     * @return completes with the {@code server} keys that changed but need a restart, or fails with the
     *         {@link dev.chatrouter.api.ConfigurationException} that refused the file (the old configuration then
     *         keeps serving), or with an {@link IllegalStateException} when the server has no file to reload
     */
    public CompletionStage<List<String>> reload() {
        return handler.operations.reload().thenApply(ConfigReloader.Reloaded::restartRequired);
    }

    /** The router serving now: the one given to {@code start} until a reload replaced it. */
    public ChatRouter router() {
        return handler.routers.current();
    }

    /**
     * Deploys {@code count} servers on one port; Vert.x spreads the connections over them. Vert.x shares a port
     * between servers only when it is named, so port 0 becomes a free port found first; should another process
     * take it in between, the bind fails and another free port is tried.
     */
    private static void deploy(Vertx vertx, ApiHandler handler, ServerSettings settings, int count, int tries,
                               CompletableFuture<ChatRouterServer> result, ChatRouter initial) {
        int port;
        try {
            port = settings.port() != 0 ? settings.port() : freePort(settings.host());
        } catch (IOException e) {
            result.completeExceptionally(e);
            return;
        }
        vertx.deployVerticle(() -> new ServerVerticle(handler, settings, port), new DeploymentOptions()
                        .setInstances(count))
                .onSuccess(id -> result.complete(new ChatRouterServer(vertx, handler, settings, port, id, initial)))
                .onFailure(e -> {
                    if (settings.port() == 0 && tries > 1 && e instanceof BindException) {
                        deploy(vertx, handler, settings, count, tries - 1, result, initial);
                    } else {
                        result.completeExceptionally(cannotListen(settings.host(), port, e));
                    }
                });
    }

    /** A bind failure with its address: {@code cannot listen on 127.0.0.1:8080: address already in use}. */
    private static Throwable cannotListen(String host, int port, Throwable e) {
        String why = e instanceof BindException || String.valueOf(e.getMessage()).contains("Address already in use")
                ? "address already in use" : String.valueOf(e.getMessage());
        if (e instanceof IOException io) {
            return new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + why, io);
        }
        return e;
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        }
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    public ServerSettings settings() {
        return settings;
    }

    /** How long a shutdown lets requests in flight finish: {@code server.shutdown_grace}, as last reloaded. */
    public Duration shutdownGrace() {
        return handler.settings().shutdownGrace();
    }

    /**
     * Stops taking requests (new ones get 503), waits for those in flight up to the grace period, ends streams
     * still open with an error event, then closes the servers.
     */
    public CompletionStage<Void> shutdown() {
        handler.draining.set(true);
        if (watch != null) {
            watch.stop();
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + shutdownGrace().toNanos();
        Runnable[] poll = new Runnable[1];
        poll[0] = () -> {
            if (handler.inFlight.isEmpty() || System.nanoTime() >= deadline) {
                handler.inFlight.snapshot().forEach(Exchange::abortForShutdown);
                vertx.undeploy(deploymentId).onComplete(ar -> {
                    ChatRouter last = handler.routers.current();
                    if (last != initial) {
                        last.close(); // built by a reload: the server's own
                    }
                    done.complete(null);
                });
            } else {
                vertx.setTimer(20, id -> poll[0].run());
            }
        };
        poll[0].run();
        return done;
    }

    /** One server on one event loop. */
    private static final class ServerVerticle extends VerticleBase {
        private final ApiHandler handler;
        private final ServerSettings settings;
        private final int port;
        private HttpServer server;

        ServerVerticle(ApiHandler handler, ServerSettings settings, int port) {
            this.handler = handler;
            this.settings = settings;
            this.port = port;
        }

        @Override
        public Future<?> start() {
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(settings.host())
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setTcpQuickAck(true)
                    .setReusePort(true)
                    .setIdleTimeout(300)
                    .setCompressionSupported(false)
                    // no WebSockets are served: keep their extension handler out of every response's path
                    .setPerMessageWebSocketCompressionSupported(false)
                    .setPerFrameWebSocketCompressionSupported(false)
                    .setHandle100ContinueAutomatically(false); // ApiHandler answers 100 once the size fits
            server = vertx.createHttpServer(options).requestHandler(handler);
            return server.listen();
        }

        @Override
        public Future<?> stop() {
            Promise<Void> promise = Promise.promise();
            server.close().onComplete(promise);
            return promise.future();
        }
    }
}
