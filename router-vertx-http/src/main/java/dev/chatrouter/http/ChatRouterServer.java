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
        // The first server binds (a port of 0 picks a free one); the others then share that port.
        vertx.deployVerticle(() -> new ServerVerticle(handler, settings, settings.port()), new DeploymentOptions())
                .compose(first -> {
                    int bound = ServerVerticle.lastBoundPort;
                    Future<String> rest = count > 1
                            ? vertx.deployVerticle(() -> new ServerVerticle(handler, settings, bound),
                                    new DeploymentOptions().setInstances(count - 1))
                            : Future.succeededFuture(first);
                    return rest.map(id -> new ChatRouterServer(vertx, handler, settings, bound, first + "," + id));
                })
                .onSuccess(result::complete)
                .onFailure(result::completeExceptionally);
        return result;
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
                Future<Void> undeployed = Future.succeededFuture();
                for (String id : deploymentId.split(",")) {
                    undeployed = undeployed.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
                }
                undeployed.onComplete(ar -> done.complete(null));
            } else {
                vertx.setTimer(20, id -> poll[0].run());
            }
        };
        poll[0].run();
        return done;
    }

    /** One server on one event loop. */
    private static final class ServerVerticle extends VerticleBase {
        static volatile int lastBoundPort;
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
            return server.listen().onSuccess(s -> lastBoundPort = s.actualPort());
        }

        @Override
        public Future<?> stop() {
            Promise<Void> promise = Promise.promise();
            server.close().onComplete(promise);
            return promise.future();
        }
    }
}
