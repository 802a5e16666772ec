package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A provider's pooled HTTP client: posts JSON and reads the answer whole, or streams Server-Sent Events with
 * backpressure. It applies the provider's timeouts and the call's deadline, classifies every failure into a
 * {@link ProviderException}, and resets the upstream request when the caller cancels, so no connection is left
 * half-read. The plumbing every HTTP plugin needs, so plugins write none.
 */
public final class UpstreamClient implements AutoCloseable {

    /** The largest non-streamed body read (embeddings of many inputs are the largest answers). */
    static final int MAX_BODY_BYTES = 256 * 1024 * 1024;

    private final Vertx vertx;
    private final HttpClientOptions options;
    private final PoolOptions pool;
    /** For calls made off any event loop. */
    private final HttpClientAgent http;
    /**
     * The connections of each event loop that makes calls, made on first use: a connection belongs to the event loop
     * that opened it, and one shared pool hands a connection of one loop to a call made on another, so every read and
     * write of that call would hop between the two threads.
     */
    private final java.util.concurrent.ConcurrentHashMap<Thread, Loop> perLoop =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Each upstream URL's parts, parsed once: a provider posts to a few URLs, over and over. */
    private final java.util.concurrent.ConcurrentHashMap<String, Address> addresses =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final ProviderSpec spec;
    private final Clock clock;
    private final HttpFailures.StatusClassifier classifier;

    private UpstreamClient(Vertx vertx, ProviderSpec spec, Clock clock, HttpFailures.StatusClassifier classifier) {
        this.vertx = vertx;
        this.spec = spec;
        this.clock = clock;
        this.classifier = classifier;
        // No Accept-Encoding is sent (decompression off): LLM answers are small, and an upstream that compresses
        // anyway would cost a decompressor on every read for no gain on loopback or a LAN.
        this.options = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, spec.timeouts().connect().toMillis()))
                .setKeepAlive(true)
                .setPipelining(false)
                .setDecompressionSupported(false)
                .setTcpNoDelay(true);
        this.pool = new PoolOptions().setHttp1MaxSize(spec.maxConnections()).setHttp2MaxSize(spec.maxConnections());
        this.http = vertx.createHttpClient(options, pool);
    }

    /**
     * Creates a client for a provider, on the router's Vert.x instance.
     *
     * @throws IllegalStateException if the context offers no Vert.x instance
     */
    public static UpstreamClient create(ProviderSpec spec, ProviderContext context,
                                        HttpFailures.StatusClassifier classifier) {
        Vertx vertx = context.service(Vertx.class)
                .orElseThrow(() -> new IllegalStateException("the router offers no Vert.x instance"));
        return new UpstreamClient(vertx, spec, context.clock(), classifier);
    }

    /**
     * Posts a body and reads the answer whole. The stage completes with a 2xx answer or fails with a
     * {@link ProviderException}; cancelling its future resets the upstream request.
     *
     * @param deadline when the call must end at the latest, or {@code null} for the provider's total timeout
     */
    public CompletableFuture<UpstreamResponse> post(String url, Map<String, String> headers, byte[] body,
                                                    Instant deadline) {
        CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();
        long budgetMs = budgetMillis(deadline);
        if (budgetMs <= 0) {
            result.completeExceptionally(deadlinePassed());
            return result;
        }
        Context context = vertx.getOrCreateContext();
        // On an event loop already (an HTTP front's request): send from here, without queueing a task behind the
        // loop's other work; from elsewhere, hop onto the context.
        onContext(context, () -> {
            LoopTimer timer = LoopTimer.start(context, budgetMs, () -> result.completeExceptionally(
                    new ProviderException(FailureKind.TIMEOUT, "no answer within " + budgetMs + " ms", null)));
            result.whenComplete((r, e) -> timer.cancel());
            request(url, headers, result::isDone).onComplete(ar -> {
                if (ar.failed()) {
                    result.completeExceptionally(HttpFailures.ofTransport(ar.cause()));
                    return;
                }
                ResetUnlessAnswered reset = new ResetUnlessAnswered(ar.result());
                result.whenComplete(reset);
                if (result.isDone()) {
                    return;
                }
                ar.result().send(Bodies.wrap(body)).onComplete(sent -> {
                    if (sent.failed()) {
                        result.completeExceptionally(HttpFailures.ofTransport(sent.cause()));
                        return;
                    }
                    readWhole(sent.result(), result, reset);
                });
            });
        });
        return result;
    }

    private static void onContext(Context context, Runnable task) {
        if (Vertx.currentContext() == context) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    /**
     * Resets the request of a call that failed, was cancelled or timed out before its answer ended; an answer read to
     * its end (an error status, say) leaves its connection to be kept.
     */
    private static final class ResetUnlessAnswered implements java.util.function.BiConsumer<Object, Throwable> {
        private volatile HttpClientRequest request;

        ResetUnlessAnswered(HttpClientRequest request) {
            this.request = request;
        }

        void answered() {
            request = null;
        }

        @Override
        public void accept(Object value, Throwable error) {
            HttpClientRequest toReset = request;
            if (error != null && toReset != null) {
                toReset.reset();
            }
        }
    }

    private void readWhole(HttpClientResponse response, CompletableFuture<UpstreamResponse> result,
                           ResetUnlessAnswered reset) {
        Bodies.Whole body = new Bodies.Whole(declaredLength(response));
        response.exceptionHandler(e -> result.completeExceptionally(HttpFailures.ofTransport(e)));
        response.handler(chunk -> {
            if (body.length() + chunk.length() > MAX_BODY_BYTES) {
                result.completeExceptionally(new ProviderException(FailureKind.SERVER,
                        "upstream answer larger than " + MAX_BODY_BYTES + " bytes", null));
                return;
            }
            body.append(chunk);
        });
        response.endHandler(v -> {
            reset.answered();
            int status = response.statusCode();
            byte[] bytes = body.bytes();
            if (status >= 200 && status < 300) {
                result.complete(new UpstreamResponse(status, new LowerCaseHeaders(response.headers()), bytes));
            } else {
                result.completeExceptionally(classifier.classify(status, response::getHeader, bytes));
            }
        });
    }

    /** The answer's {@code Content-Length}, or -1 when it is not declared or not a number. */
    private static long declaredLength(HttpClientResponse response) {
        String declared = response.getHeader("content-length");
        if (declared == null) {
            return -1;
        }
        try {
            return Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Posts a body and streams the Server-Sent Events of the answer through a decoder. Nothing is sent until the
     * subscriber requests; the upstream is read only as fast as the subscriber requests; a stream that shows no
     * item within the first-token timeout, or is not done within the total timeout or the deadline, fails with
     * {@link FailureKind#TIMEOUT}; cancelling resets the upstream request.
     *
     * @param decoder a new decoder for this stream (decoders may keep state)
     */
    public <T> Flow.Publisher<T> postStream(String url, Map<String, String> headers, byte[] body, Instant deadline,
                                            SseDecoder<T> decoder) {
        return new SseStream<>(this, url, headers, body, deadline, decoder);
    }

    long budgetMillis(Instant deadline) {
        long total = spec.timeouts().total().toMillis();
        if (deadline == null) {
            return total;
        }
        return Math.min(total, Duration.between(clock.instant(), deadline).toMillis());
    }

    long firstTokenMillis() {
        return spec.timeouts().firstToken().toMillis();
    }

    static ProviderException deadlinePassed() {
        return new ProviderException(FailureKind.TIMEOUT, "the request's deadline passed before the attempt", null);
    }

    RequestOptions requestOptions(String url, Map<String, String> headers) {
        Address address = address(url);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(address.host())
                .setPort(address.port()).setSsl(address.ssl()).setURI(address.uri())
                .setConnectTimeout(spec.timeouts().connect().toMillis());
        headers.forEach(options::putHeader);
        return options;
    }

    private Address address(String url) {
        Address address = addresses.get(url);
        if (address == null) {
            address = Address.of(url);
            if (addresses.size() < MAX_ADDRESSES) {
                addresses.put(url, address);
            }
        }
        return address;
    }

    /** URLs whose parts are kept, at most (a URL made per request, with a query, say, is parsed each time). */
    static final int MAX_ADDRESSES = 256;

    /** What {@link RequestOptions#setAbsoluteURI(String)} makes of a URL: it parses the URL on every call. */
    record Address(String host, Integer port, Boolean ssl, String uri) {
        static Address of(String url) {
            RequestOptions parsed = new RequestOptions().setAbsoluteURI(url);
            return new Address(parsed.getHost(), parsed.getPort(), parsed.isSsl(), parsed.getURI());
        }
    }

    Vertx vertx() {
        return vertx;
    }

    /**
     * A request posted to {@code url}: on an event loop, on one of that loop's own connections (opened on, and read
     * by, this loop; up to {@link ProviderSpec#maxConnections()} to each origin); elsewhere, from the shared pool.
     *
     * @param abandoned whether the call has given up, for a call that waits for one of the loop's connections
     */
    Future<HttpClientRequest> request(String url, Map<String, String> headers,
                                      java.util.function.BooleanSupplier abandoned) {
        Context current = Vertx.currentContext();
        // on the loop's own thread only: a worker thread inside executeBlocking has an event loop's context too
        if (current == null || !current.isEventLoopContext() || !Context.isOnEventLoopThread() || closed) {
            return http.request(requestOptions(url, headers));
        }
        Thread thread = Thread.currentThread();
        Loop loop = perLoop.get(thread);
        if (loop == null) {
            loop = perLoop.computeIfAbsent(thread, t -> new Loop(current, vertx.createHttpClient(options, pool)));
            if (closed) {
                loop.close();
                return http.request(requestOptions(url, headers));
            }
        }
        Address address = address(url);
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setURI(address.uri());
        headers.forEach(request::putHeader);
        return loop.connections.request(address, request, spec.timeouts().connect().toMillis(), abandoned);
    }

    /** One event loop's connections, and the client that opens them. */
    private final class Loop {
        final Context context;
        final HttpClientAgent agent;
        final LoopConnections connections;

        Loop(Context context, HttpClientAgent agent) {
            this.context = context;
            this.agent = agent;
            this.connections = new LoopConnections(agent, spec.maxConnections(),
                    options.getKeepAliveTimeout() * 1000L, clock);
        }

        /** Closes the connections and the agent together, on the loop, so no connection is opened in between. */
        void close() {
            try {
                context.runOnContext(v -> {
                    connections.close();
                    agent.close();
                });
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                agent.close(); // the event loop has stopped, and closed its connections with it
            }
        }
    }

    HttpFailures.StatusClassifier classifier() {
        return classifier;
    }

    /** Closes the connection pool. */
    @Override
    public void close() {
        closed = true;
        http.close();
        perLoop.values().forEach(Loop::close);
        perLoop.clear();
    }
}
