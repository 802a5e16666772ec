package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.micrometer.RouterMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;


/**
 * Runs the request path before the real port opens, so that the JIT has compiled it when the first client
 * arrives: a throwaway server on a free loopback port, routing to an OpenAI-compatible upstream answered in
 * process, is sent chat completions (JSON answers and streams) from a few connections at once. It runs until the
 * JIT has gone quiet (after at least {@link #MIN_MILLIS} ms and {@link #MIN_REQUESTS} requests, the
 * compilers worked less than {@link #QUIET_PERCENT}% of the last {@link #WINDOW_MILLIS} ms), or for the configured
 * duration at most: how long that takes depends on the machine (on 2 cores usually the whole 20 s of the server's
 * default), not on a guess. It shares nothing with the real router (no cache, budget, cooldown or sticky state),
 * only the code. Costs its duration in startup time and the CPU of the machine for that long.
 *
 * <p>The JIT compiles for what it has seen, and code that then meets something else (another class, a branch never
 * taken) is thrown away and compiled again, on the real requests. So the warm-up's traffic varies where real traffic
 * does: header names in lower and in title case, as different clients send them; connections closed and opened
 * throughout; prompts seen before and new ones; intents that name a route, match its glob or fall to the default
 * route; targets with a few capabilities, not all; answers with a provider's headers ({@code Date},
 * {@code Keep-Alive}) and streams sent chunked, in parts written apart, one part ending inside an event.
 */
final class WarmUp {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    private static final int CONNECTIONS = 8;
    /**
     * A loop asks for its connection to be closed every this many requests, so that the event loops accept and open
     * connections throughout, as under real load, and the JIT's view of their read path includes new connections.
     */
    private static final int REQUESTS_PER_CONNECTION = 256;
    /** The shortest warm-up, however quiet the JIT looks at first. */
    static final long MIN_MILLIS = 2_000;
    /** The window over which the JIT's activity is measured. */
    static final long WINDOW_MILLIS = 1_000;
    /** The JIT is quiet when it compiled for less than this share of the last window. */
    static final int QUIET_PERCENT = 3;
    /**
     * The fewest requests before a quiet JIT ends the warm-up: C2 compiles a method after some thousands of calls, so
     * a JIT that is quiet before this many requests (on a starved machine) has not been asked yet.
     */
    static final long MIN_REQUESTS = 10_000;
    private static final String ROUTE = "warm-up";
    /** The model of the route's target, whose name gives it OpenAI's newer tokenizer. */
    private static final String MODEL = "gpt-4o-mini";
    /** The model of the other route's target, a name no tokenizer is known for. */
    private static final String OTHER_MODEL = "llama-3.3-70b-instruct";
    /** What the requests ask for in turn: the route by name, by an id it matches, by its glob, and by no route. */
    private static final String[] INTENTS = {ROUTE, MODEL, "open-llama", "unrouted"};
    private static final Buffer COMPLETION = Buffer.buffer("{\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_warm\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello! This is a fixed reply.\",\"refusal\":null},"
            + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":8,"
            + "\"total_tokens\":20}}");
    /** A stream's answer in two parts, the first ending inside the second event. */
    private static final Buffer STREAM_START;
    private static final Buffer STREAM_REST;

    static {
        StringBuilder sse = new StringBuilder();
        String head = "data: {\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_warm\","
                + "\"choices\":[{\"index\":0,\"delta\":";
        sse.append(head).append("{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        for (int i = 0; i < 5; i++) {
            sse.append(head).append("{\"content\":\"tok").append(i)
                    .append(" \"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }
        sse.append(head).append("{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
        sse.append("data: {\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,"
                + "\"total_tokens\":17}}\n\n");
        sse.append("data: [DONE]\n\n");
        int cut = sse.indexOf("\n\n") + 2 + head.length() / 2; // inside the second event
        STREAM_START = Buffer.buffer(sse.substring(0, cut));
        STREAM_REST = Buffer.buffer(sse.substring(cut));
    }

    /** The requests' bodies after their {@code model}: answers and streams, a system prompt, code, a reasoning ask. */
    private static final String[] BODIES = {
        "\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
                + "{\"role\":\"user\",\"content\":\"Say hello in one short sentence.\"}],\"max_tokens\":16,"
                + "\"temperature\":0}",
        "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],\"stream\":true}",
        "\"messages\":[{\"role\":\"system\",\"content\":\"You are a careful reviewer.\"},"
                + "{\"role\":\"user\",\"content\":\"Why does this fail?\\n```java\\nint x = list.get(0);\\n```\"}],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
    };

    private WarmUp() {
    }

    /**
     * The body of a loop's {@code n}-th request: the bodies above and a reasoning ask in turn, each to every intent.
     * The reasoning ask holds {@code n}, so it is a prompt the router has not seen before, as most real ones are.
     */
    static String body(int n) {
        String rest = n % (BODIES.length + 1) < BODIES.length ? BODIES[n % (BODIES.length + 1)]
                : "\"messages\":[{\"role\":\"user\",\"content\":\"Prove that " + n + " plus two has the parity of "
                        + n + ", step by step.\"}],\"max_completion_tokens\":64}";
        return "{\"model\":\"" + INTENTS[n / (BODIES.length + 1) % INTENTS.length] + "\"," + rest;
    }

    /** What a warm-up did: requests sent and failed, how long it ran, whether it ended because the JIT was quiet. */
    record Result(long sent, long failed, long millis, boolean quiet) {
        static final Result NONE = new Result(0, 0, 0, false);
    }

    /**
     * Warms up until the JIT is quiet, for {@code duration} at most (and at most a minute), then stops everything it
     * started. Never throws: a warm-up that fails is logged and skipped.
     *
     * @param instances the real server's event loops, so that each is warmed
     */
    static Result run(Vertx vertx, Duration duration, int instances) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        LongSupplier compileMillis = jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit::getTotalCompilationTime : () -> 0L;
        return run(vertx, duration, instances, compileMillis, MIN_REQUESTS);
    }

    /**
     * As {@link #run(Vertx, Duration, int)}, reading the JIT's total compilation time from {@code compileMillis}
     * (milliseconds, never decreasing), and ending on a quiet JIT only after {@code minRequests} requests.
     */
    static Result run(Vertx vertx, Duration duration, int instances, LongSupplier compileMillis, long minRequests) {
        if (duration.isZero() || duration.isNegative()) {
            return Result.NONE;
        }
        long millis = Math.min(duration.toMillis(), 60_000);
        long started = System.nanoTime();
        HttpServer upstream = null;
        ChatRouter router = null;
        ChatRouterServer server = null;
        HttpClientAgent client = null;
        WarmUpAccessLogger accessLog = null;
        try {
            accessLog = new WarmUpAccessLogger();
            String date = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
            upstream = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                            .setTcpNoDelay(true))
                    .requestHandler(request -> request.body().onSuccess(body -> answer(vertx, request, body, date)))
                    .listen().await(10, TimeUnit.SECONDS);
            String upstreamUrl = "http://127.0.0.1:" + upstream.actualPort() + "/v1";
            router = ChatRouter.builder().service(Vertx.class, vertx).environment(Map.of())
                    .provider(ProviderSpec.builder("warm", "openai").baseUrl(upstreamUrl).apiKey("sk-warm-up")
                            .model(new ModelSpec(MODEL, null, Price.of(0.15, 0.60), 128_000, 16_384,
                                    EnumSet.of(Capability.TOOLS, Capability.VISION, Capability.JSON_SCHEMA,
                                            Capability.STREAMING)))
                            .model(new ModelSpec(OTHER_MODEL, null, Price.of(0.6, 0.6), 131_072, 8_192,
                                    EnumSet.of(Capability.TOOLS, Capability.STREAMING)))
                            .build())
                    .route(RouteConfig.builder(ROUTE).match(MODEL).pool("*", PoolConfig.of("priority", "warm/" + MODEL))
                            .build())
                    .route(RouteConfig.builder("warm-up-open").match("open-*")
                            .pool("*", PoolConfig.of("priority", "warm/" + OTHER_MODEL, "warm/" + MODEL)).build())
                    .defaultRoute(ROUTE)
                    // the listeners the real router has, so their code is compiled too, writing nowhere real
                    .listener(new AccessLog(accessLog.access(), accessLog.log()))
                    .listener(RouterMetrics.create(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                    .build();
            server = ChatRouterServer.start(vertx, router, ServerSettings.DEFAULTS.withPort(0), List.of(),
                    instances).toCompletableFuture().get(10, TimeUnit.SECONDS);
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(CONNECTIONS));
            AtomicLong deadline = new AtomicLong(started + TimeUnit.MILLISECONDS.toNanos(millis));
            AtomicLong sent = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            int port = server.port();
            HttpClientAgent http = client;
            @SuppressWarnings("unchecked")
            Future<Void>[] loops = new Future[CONNECTIONS];
            for (int i = 0; i < CONNECTIONS; i++) {
                io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
                loops[i] = done.future();
                int first = i;
                // half the loops send header names in title case, as wrk, curl and OkHttp do; half in lower case, as
                // Python's httpx and Node's fetch do
                RequestOptions[] shapes = {request(port, i % 2 == 0, false), request(port, i % 2 == 0, true)};
                vertx.runOnContext(v -> next(http, shapes, deadline, first, sent, failed, done));
            }
            Future<?> all = Future.all(List.of(loops));
            boolean quiet = false;
            // (time, total compilation time) samples over the last window, one every quarter window
            java.util.ArrayDeque<long[]> samples = new java.util.ArrayDeque<>();
            while (!all.isComplete()) {
                long now = System.nanoTime();
                long compiled = compileMillis.getAsLong();
                samples.addLast(new long[]{now, compiled});
                while (now - samples.peekFirst()[0] > TimeUnit.MILLISECONDS.toNanos(WINDOW_MILLIS)) {
                    samples.removeFirst();
                }
                long[] oldest = samples.peekFirst();
                long window = TimeUnit.NANOSECONDS.toMillis(now - oldest[0]);
                if (now - started >= TimeUnit.MILLISECONDS.toNanos(MIN_MILLIS) && sent.get() >= minRequests
                        && window >= WINDOW_MILLIS * 3 / 4
                        && (compiled - oldest[1]) * 100 < QUIET_PERCENT * window) {
                    quiet = true;
                    deadline.set(now); // the loops stop after the request each has in flight
                    break;
                }
                try {
                    all.await(WINDOW_MILLIS / 4, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException notYet) {
                    // sample again
                }
            }
            all.await(millis + 10_000, TimeUnit.MILLISECONDS);
            long ran = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            LOG.info(String.format("warm-up: %d requests in %d ms%s%s", sent.get(), ran,
                    failed.get() > 0 ? " (" + failed.get() + " failed)" : "",
                    quiet ? ", until the JIT was quiet" : ", the most server.warmup allows"));
            return new Result(sent.get(), failed.get(), ran, quiet);
        } catch (Exception e) {
            LOG.warn("warm-up skipped: " + e);
            return Result.NONE;
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
            if (accessLog != null) {
                accessLog.close();
            }
        }
    }

    /**
     * The upstream's answer, as a provider's over HTTP/1.1: its headers in title case with {@code Date} and
     * {@code Keep-Alive}; a stream chunked, in two parts written apart (the first ends inside an event).
     */
    private static void answer(Vertx vertx, HttpServerRequest request, Buffer body, String date) {
        boolean stream = body.toString().contains("\"stream\":true");
        HttpServerResponse response = request.response().putHeader("Date", date)
                .putHeader("Content-Type", stream ? "text/event-stream" : "application/json")
                .putHeader("Connection", "keep-alive").putHeader("Keep-Alive", "timeout=5")
                .putHeader("x-request-id", "req_warm_up");
        if (!stream) {
            response.end(COMPLETION);
            return;
        }
        response.setChunked(true).putHeader("Cache-Control", "no-cache").write(STREAM_START);
        vertx.runOnContext(v -> response.end(STREAM_REST));
    }

    /** A chat completion's request to the warm-up server, its header names in title or lower case. */
    private static RequestOptions request(int port, boolean titleCase, boolean close) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/v1/chat/completions");
        java.util.function.UnaryOperator<String> name = titleCase ? n -> n : n -> n.toLowerCase(java.util.Locale.ROOT);
        options.putHeader(name.apply("Content-Type"), "application/json")
                .putHeader(name.apply("Authorization"), "Bearer sk-warm-up")
                .putHeader(name.apply("Accept"), "application/json")
                .putHeader(name.apply("User-Agent"), "chatrouter-warm-up");
        if (close) {
            options.putHeader(name.apply("Connection"), "close");
        }
        return options;
    }

    /**
     * One loop: a request, its whole answer, the next request, until the deadline; every
     * {@link #REQUESTS_PER_CONNECTION}th request asks for its connection to be closed ({@code shapes[1]}). An
     * answer that is not a 200 or a stream that does not end with {@code [DONE]} counts as failed.
     */
    private static void next(HttpClientAgent http, RequestOptions[] shapes, AtomicLong deadline, int n,
                             AtomicLong sent, AtomicLong failed, io.vertx.core.Promise<Void> done) {
        if (System.nanoTime() >= deadline.get()) {
            done.tryComplete();
            return;
        }
        sent.incrementAndGet();
        String body = body(n);
        boolean stream = body.contains("\"stream\":true");
        http.request(shapes[n % REQUESTS_PER_CONNECTION == REQUESTS_PER_CONNECTION - 1 ? 1 : 0])
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(answer -> response.statusCode() == 200
                        && (!stream || answer.toString().endsWith("data: [DONE]\n\n"))))
                .onComplete(ar -> {
                    if (ar.failed() || !ar.result()) {
                        failed.incrementAndGet();
                        if (failed.get() > 100) {
                            done.tryComplete(); // something is wrong: stop rather than spin
                            return;
                        }
                    }
                    next(http, shapes, deadline, n + 1, sent, failed, done);
                });
    }
}
