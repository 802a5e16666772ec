package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

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
        Objects.requireNonNull(router, "router");
        ApiHandler handler = new ApiHandler(router, settings, new Redactor(secrets), Clock.systemUTC());
        int count = instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
        CompletableFuture<ChatRouterServer> result = new CompletableFuture<>();
        int port;
        try {
            port = settings.port() != 0 ? settings.port() : freePort(settings.host());
        } catch (java.io.IOException e) {
            result.completeExceptionally(e);
            return result;
        }
        // every instance listens on the same host and port: Vert.x shares the socket among them
        vertx.deployVerticle(() -> new ServerVerticle(handler, settings, port), new DeploymentOptions()
                        .setInstances(count))
                .map(id -> new ChatRouterServer(vertx, handler, settings, port, id))
                .onSuccess(result::complete)
                .onFailure(result::completeExceptionally);
        return result;
    }

    /** A port free on {@code host} now, for a server configured with port 0. */
    private static int freePort(String host) throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
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

    /** One server on one event loop; the instances of a deployment share the port. */
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
                    .setHandle100ContinueAutomatically(true);
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
