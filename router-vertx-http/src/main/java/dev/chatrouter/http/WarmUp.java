package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.ProviderSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;


/**
 * Runs the request path for a bounded time before the real port opens, so that the JIT has compiled it when the
 * first client arrives: a throwaway server on a free loopback port, routing to an OpenAI-compatible upstream
 * answered in process, is sent chat completions (JSON answers and streams) from a few connections at once.
 * It shares nothing with the real router (no cache, budget, cooldown or sticky state), only the code. Costs its
 * duration in startup time and the CPU of the machine for that long.
 */
final class WarmUp {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    private static final int CONNECTIONS = 8;
    private static final String MODEL = "warm-up";
    private static final Buffer COMPLETION = Buffer.buffer("{\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion\","
            + "\"created\":1700000000,\"model\":\"warm-up\",\"system_fingerprint\":\"fp_warm\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello! This is a fixed reply.\",\"refusal\":null},"
            + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":8,"
            + "\"total_tokens\":20}}");
    private static final Buffer STREAM;

    static {
        StringBuilder sse = new StringBuilder();
        String head = "data: {\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"warm-up\",\"system_fingerprint\":\"fp_warm\",\"choices\":[{\"index\":0,\"delta\":";
        sse.append(head).append("{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        for (int i = 0; i < 5; i++) {
            sse.append(head).append("{\"content\":\"tok").append(i)
                    .append(" \"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }
        sse.append(head).append("{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
        sse.append("data: {\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"warm-up\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,"
                + "\"total_tokens\":17}}\n\n");
        sse.append("data: [DONE]\n\n");
        STREAM = Buffer.buffer(sse.toString());
    }

    private static final String[] BODIES = {
        "{\"model\":\"warm-up\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
                + "{\"role\":\"user\",\"content\":\"Say hello in one short sentence.\"}],\"max_tokens\":16,"
                + "\"temperature\":0}",
        "{\"model\":\"warm-up\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],\"stream\":true}",
        "{\"model\":\"warm-up\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a careful reviewer.\"},"
                + "{\"role\":\"user\",\"content\":\"Why does this fail?\\n```java\\nint x = list.get(0);\\n```\"}],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        "{\"model\":\"warm-up\",\"messages\":[{\"role\":\"user\",\"content\":\"Prove that the sum of two even numbers "
                + "is even, step by step.\"}],\"max_completion_tokens\":64}",
    };

    private WarmUp() {
    }

    /**
     * Warms up for about {@code duration} (at most a minute), then stops everything it started. Never throws: a
     * warm-up that fails is logged and skipped.
     *
     * @param instances the real server's event loops, so that each is warmed
     */
    static void run(Vertx vertx, Duration duration, int instances) {
        if (duration.isZero() || duration.isNegative()) {
            return;
        }
        long millis = Math.min(duration.toMillis(), 60_000);
        long started = System.nanoTime();
        HttpServer upstream = null;
        ChatRouter router = null;
        ChatRouterServer server = null;
        HttpClientAgent client = null;
        try {
            upstream = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                            .setTcpNoDelay(true))
                    .requestHandler(request -> request.body().onSuccess(body -> {
                        boolean stream = body.toString().contains("\"stream\":true");
                        request.response().putHeader("content-type", stream ? "text/event-stream" : "application/json")
                                .end(stream ? STREAM : COMPLETION);
                    }))
                    .listen().await(10, TimeUnit.SECONDS);
            router = ChatRouter.builder().service(Vertx.class, vertx).environment(Map.of())
                    .provider(ProviderSpec.builder("warm", "openai")
                            .baseUrl("http://127.0.0.1:" + upstream.actualPort() + "/v1").apiKey("sk-warm-up")
                            .model(new ModelSpec(MODEL, null, Price.of(0.15, 0.60), 128_000, 16_384,
                                    EnumSet.allOf(dev.chatrouter.api.spi.Capability.class)))
                            .build())
                    .route(RouteConfig.builder(MODEL).match("*").pool("*", PoolConfig.of("priority", "warm/" + MODEL))
                            .build())
                    .defaultRoute(MODEL)
                    .build();
            server = ChatRouterServer.start(vertx, router, ServerSettings.DEFAULTS.withPort(0), List.of(),
                    instances).toCompletableFuture().get(10, TimeUnit.SECONDS);
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(CONNECTIONS));
            long deadline = started + TimeUnit.MILLISECONDS.toNanos(millis);
            AtomicLong sent = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                    .setPort(server.port()).setURI("/v1/chat/completions")
                    .putHeader("content-type", "application/json").putHeader("authorization", "Bearer sk-warm-up");
            HttpClientAgent http = client;
            @SuppressWarnings("unchecked")
            Future<Void>[] loops = new Future[CONNECTIONS];
            for (int i = 0; i < CONNECTIONS; i++) {
                io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
                loops[i] = done.future();
                int first = i;
                vertx.runOnContext(v -> next(http, options, deadline, first, sent, failed, done));
            }
            Future.all(List.of(loops)).await(millis + 10_000, TimeUnit.MILLISECONDS);
            LOG.info(String.format("warm-up: %d requests in %d ms%s", sent.get(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                    failed.get() > 0 ? " (" + failed.get() + " failed)" : ""));
        } catch (Exception e) {
            LOG.warn("warm-up skipped: " + e);
        } finally {
            try {
                if (client != null) {
                    client.close().await(5, TimeUnit.SECONDS);
                }
                if (server != null) {
                    server.shutdown().toCompletableFuture().get(5, TimeUnit.SECONDS);
                }
                if (router != null) {
                    router.close();
                }
                if (upstream != null) {
                    upstream.close().await(5, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                LOG.warn("warm-up did not stop cleanly: " + e);
            }
        }
    }

    /** One connection's loop: a request, its whole answer, the next request, until the deadline. */
    private static void next(HttpClientAgent http, RequestOptions options, long deadline, int n, AtomicLong sent,
                             AtomicLong failed, io.vertx.core.Promise<Void> done) {
        if (System.nanoTime() >= deadline) {
            done.tryComplete();
            return;
        }
        sent.incrementAndGet();
        http.request(options)
                .compose(request -> request.send(BODIES[n % BODIES.length]))
                .compose(response -> response.body().map(body -> response.statusCode()))
                .onComplete(ar -> {
                    if (ar.failed() || ar.result() != 200) {
                        failed.incrementAndGet();
                        if (failed.get() > 100) {
                            done.tryComplete(); // something is wrong: stop rather than spin
                            return;
                        }
                    }
                    next(http, options, deadline, n + 1, sent, failed, done);
                });
    }
}
