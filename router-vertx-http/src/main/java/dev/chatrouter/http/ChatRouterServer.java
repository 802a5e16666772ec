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
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The OpenAI-compatible HTTP front of a {@link ChatRouter} (SPEC section 10): one HTTP server per event loop on
 * one port. {@link #shutdown()} is graceful: no new requests, in-flight ones finish within the grace period, and
 * streams still open after it end with an error event.
 */
public final class ChatRouterServer {

    private final Vertx vertx;
    private final ApiHandler handler;
    private final ServerSettings settings;
    private final int port;
    private final String deploymentId;

    private ChatRouterServer(Vertx vertx, ApiHandler handler, ServerSettings settings, int port, String deploymentId) {
        this.vertx = vertx;
        this.handler = handler;
        this.settings = settings;
        this.port = port;
        this.deploymentId = deploymentId;
    }

    /**
     * Starts serving.
     *
     * @param secrets provider API keys and other secrets to redact from anything sent to clients
     * @param instances how many servers (event loops) share the port; 0 for one per processor
     */
    public static CompletionStage<ChatRouterServer> start(Vertx vertx, ChatRouter router, ServerSettings settings,
                                                          List<String> secrets, int instances) {
        return start(vertx, router, settings, secrets, instances, null);
    }

    /**
     * Starts serving, with {@code GET /metrics} from {@code observability} (installed on the router's builder
     * before the router was built), or without it when {@code null}.
     *
     * @param secrets provider API keys and other secrets to redact from anything sent to clients
     * @param instances how many servers (event loops) share the port; 0 for one per processor
     */
    public static CompletionStage<ChatRouterServer> start(Vertx vertx, ChatRouter router, ServerSettings settings,
                                                          List<String> secrets, int instances,
                                                          ServerObservability observability) {
        Objects.requireNonNull(router, "router");
        ApiHandler handler = new ApiHandler(router, settings, new Redactor(secrets), Clock.systemUTC(),
                observability);
        int count = instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
        CompletableFuture<ChatRouterServer> result = new CompletableFuture<>();
        deploy(vertx, handler, settings, count, 3, result);
        return result;
    }

    /**
     * Deploys {@code count} servers on one port; Vert.x spreads the connections over them. Vert.x shares a port
     * between servers only when it is named, so port 0 becomes a free port found first; should another process
     * take it in between, the bind fails and another free port is tried.
     */
    private static void deploy(Vertx vertx, ApiHandler handler, ServerSettings settings, int count, int tries,
                               CompletableFuture<ChatRouterServer> result) {
        int port;
        try {
            port = settings.port() != 0 ? settings.port() : freePort(settings.host());
        } catch (IOException e) {
            result.completeExceptionally(e);
            return;
        }
        vertx.deployVerticle(() -> new ServerVerticle(handler, settings, port), new DeploymentOptions()
                        .setInstances(count))
                .onSuccess(id -> result.complete(new ChatRouterServer(vertx, handler, settings, port, id)))
                .onFailure(e -> {
                    if (settings.port() == 0 && tries > 1 && e instanceof BindException) {
                        deploy(vertx, handler, settings, count, tries - 1, result);
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

    /**
     * Stops taking requests (new ones get 503), waits for those in flight up to the grace period, ends streams
     * still open with an error event, then closes the servers.
     */
    public CompletionStage<Void> shutdown() {
        handler.draining.set(true);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        Runnable[] poll = new Runnable[1];
        poll[0] = () -> {
            if (handler.inFlight.isEmpty() || System.nanoTime() >= deadline) {
                handler.inFlight.forEach(Exchange::abortForShutdown);
                vertx.undeploy(deploymentId).onComplete(ar -> done.complete(null));
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
