package dev.chatrouter.http;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.kit.wire.WireCodec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.Locale;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One routed request in flight: writes the answer with its {@code X-DI-*} headers, relays a stream as
 * Server-Sent Events with backpressure (the upstream is asked for more only while the client's write queue has
 * room), cancels the upstream when the client goes away, and can be aborted by a shutdown.
 */
final class Exchange {

    private static final Logger LOG = Logger.getLogger("chatrouter");
    /** Chunks requested ahead of the client. */
    private static final int WINDOW = 16;
    private static final Buffer DONE = Buffer.buffer(WireCodec.SSE_DONE);

    private final ApiHandler handler;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final long startNanos;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile Runnable abort = () -> { };
    /** The event loop the request arrived on, which writes its answer. */
    private final Context context = Vertx.currentContext();

    Exchange(ApiHandler handler, HttpServerRequest request, long startNanos) {
        this.handler = handler;
        this.request = request;
        this.response = request.response();
        this.startNanos = startNanos;
    }

    void onAbort(Runnable abort) {
        this.abort = abort;
    }

    /** Ends the exchange for a shutdown whose grace period is over, on the exchange's own event loop. */
    void abortForShutdown() {
        if (context == null || Vertx.currentContext() == context) {
            abort.run();
        } else {
            context.runOnContext(v -> abort.run());
        }
    }

    private void finish() {
        if (finished.compareAndSet(false, true)) {
            handler.inFlight.remove(this);
        }
    }

    /** Writes a JSON answer with the routing headers. */
    void json(RoutingReport report, byte[] body, boolean withCost) {
        try {
            if (!response.ended() && !response.closed()) {
                response.putHeader(CONTENT_TYPE, JSON);
                headers(report, withCost);
                response.end(Buffer.buffer(body));
            }
        } finally {
            finish();
        }
    }

    void fail(Throwable error) {
        try {
            if (!response.ended() && !response.headWritten() && !response.closed()) {
                ChatRouterException e;
                if (error instanceof ChatRouterException cre) {
                    e = cre.withRequest(ApiHandler.requestId(request), null);
                } else {
                    String id = ApiHandler.requestId(request);
                    LOG.log(Level.SEVERE, "request " + id + " failed with an internal error", error);
                    e = ChatRouterException.internal(error).withRequest(id, null);
                }
                ApiHandler.send(response, HttpErrors.of(e, handler.redactor()));
            }
        } finally {
            finish();
        }
    }

    /**
     * Ties a pending answer to the exchange: a client that goes away cancels it, and a shutdown whose grace period
     * is over answers 503 and cancels it.
     */
    /**
     * Answers with what a routed call gives: its JSON with the routing headers, or the error. Cancels the call when
     * the client goes away or a shutdown's grace period ends.
     */
    <T> void answer(java.util.concurrent.CompletionStage<T> call, java.util.function.Function<T, RoutingReport> report,
                    java.util.function.Function<T, byte[]> body) {
        var future = call.toCompletableFuture();
        cancelOnAbort(future);
        future.whenComplete((result, error) -> {
            if (error != null) {
                fail(dev.chatrouter.kit.upstream.Stages.unwrap(error));
            } else {
                json(report.apply(result), body.apply(result), true);
            }
        });
    }

    void cancelOnAbort(java.util.concurrent.Future<?> pending) {
        onAbort(() -> {
            fail(shuttingDown());
            pending.cancel(false);
        });
        response.closeHandler(v -> {
            pending.cancel(false);
            finish();
        });
    }

    private static ChatRouterException shuttingDown() {
        return ChatRouterException.builder(ErrorCode.ROUTER_CLOSED, "the server is shutting down").build();
    }

    private static final CharSequence REQUEST_TYPE = HttpHeaders.createOptimized("x-di-request-type");
    private static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("x-request-id");
    private static final CharSequence EFFORT = HttpHeaders.createOptimized("x-di-effort");
    private static final CharSequence PROVIDER = HttpHeaders.createOptimized("x-di-provider");
    private static final CharSequence MODEL = HttpHeaders.createOptimized("x-di-model");
    private static final CharSequence ATTEMPTS = HttpHeaders.createOptimized("x-di-attempts");
    private static final CharSequence COST = HttpHeaders.createOptimized("x-di-cost-usd");
    private static final CharSequence CACHE = HttpHeaders.createOptimized("x-di-cache");
    private static final CharSequence OVERHEAD = HttpHeaders.createOptimized("x-di-overhead-ms");
    private static final CharSequence HIT = HttpHeaders.createOptimized("hit");
    private static final CharSequence MISS = HttpHeaders.createOptimized("miss");
    private static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("content-type");
    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

    private void headers(RoutingReport report, boolean withCost) {
        if (report == null) {
            return;
        }
        response.putHeader(REQUEST_TYPE, report.type().wireName());
        if (!handler.settings().routeHeaders()) {
            return; // SPEC 10: X-Request-Id is one of the route headers
        }
        response.putHeader(REQUEST_ID, report.requestId());
        response.putHeader(EFFORT, report.effort().wireName());
        if (report.target() != null) {
            int slash = report.target().indexOf('/');
            response.putHeader(PROVIDER, report.target().substring(0, slash));
            response.putHeader(MODEL, report.target().substring(slash + 1));
        }
        response.putHeader(ATTEMPTS, Integer.toString(report.attempts().size()));
        if (withCost) {
            response.putHeader(COST, decimal(report.costUsd(), 8));
        }
        response.putHeader(CACHE, report.cacheHit() ? HIT : MISS);
        long upstreamNanos = 0;
        for (Attempt attempt : report.attempts()) {
            if (attempt.firstToken() != null && !withCost) {
                upstreamNanos += attempt.firstToken().toNanos();
            } else if (attempt.latency() != null) {
                upstreamNanos += attempt.latency().toNanos();
            }
        }
        long overhead = Math.max(0, System.nanoTime() - startNanos - upstreamNanos);
        response.putHeader(OVERHEAD, decimal(overhead / 1e6, 3));
    }

    private static final long[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
            100_000_000};

    /**
     * {@code value} with {@code decimals} digits after the point, as {@code String.format("%.Nf")} writes it but
     * without its cost (it parses the format with a regular expression on every call).
     */
    static String decimal(double value, int decimals) {
        long scale = POWERS_OF_TEN[decimals];
        if (!(value >= 0 && value < 1e9)) {
            return String.format(Locale.ROOT, "%." + decimals + "f", value);
        }
        long scaled = Math.round(value * scale);
        String fraction = Long.toString(scaled % scale);
        StringBuilder text = new StringBuilder(24).append(scaled / scale).append('.');
        for (int i = fraction.length(); i < decimals; i++) {
            text.append('0');
        }
        return text.append(fraction).toString();
    }

    /**
     * Relays a stream as Server-Sent Events. Each chunk is written as soon as it arrives, but the chunks that
     * arrive in one turn of the event loop (one upstream read usually carries several) leave in one write and one
     * flush, not one system call each. Every signal is handled on the request's event loop, in order.
     */
    void stream(ChatStream stream) {
        stream.subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription subscription;
            private boolean headWritten;
            private int outstanding;
            /** Events not written yet: filled during a turn, written at its end. */
            private Buffer pending;
            private final BufferOutput out = new BufferOutput();
            private boolean flushQueued;
            /** Signals queued onto the event loop and not yet run: later ones queue behind them. */
            private final java.util.concurrent.atomic.AtomicInteger queued =
                    new java.util.concurrent.atomic.AtomicInteger();

            private void onLoop(Runnable signal) {
                if (context == null || (queued.get() == 0 && Vertx.currentContext() == context)) {
                    signal.run();
                } else {
                    queued.incrementAndGet();
                    context.runOnContext(v -> {
                        queued.decrementAndGet();
                        signal.run();
                    });
                }
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                onAbort(() -> {
                    s.cancel();
                    if (headWritten && !response.ended()) {
                        end(Buffer.buffer(sseError(shuttingDown())));
                    } else {
                        fail(shuttingDown());
                    }
                    finish();
                });
                response.closeHandler(v -> {
                    s.cancel();
                    finish();
                });
                response.drainHandler(v -> refill());
                outstanding = WINDOW;
                s.request(WINDOW);
            }

            private void refill() {
                if (outstanding < WINDOW / 2 && !finished.get() && !response.ended() && !response.writeQueueFull()) {
                    long more = WINDOW - outstanding;
                    outstanding += (int) more;
                    subscription.request(more);
                }
            }

            @Override
            public void onNext(ChatChunk chunk) {
                onLoop(() -> next(chunk));
            }

            private void next(ChatChunk chunk) {
                outstanding--;
                if (response.ended() || finished.get()) {
                    return;
                }
                if (!headWritten) {
                    writeHead();
                }
                if (pending == null) {
                    pending = Buffer.buffer(512);
                }
                out.buffer = pending;
                WireCodec.writeSseChunk(chunk, out);
                if (context == null) {
                    flush();
                } else if (!flushQueued) {
                    flushQueued = true;
                    context.runOnContext(v -> flush());
                }
                refill();
            }

            /** Writes what the turn gathered. */
            private void flush() {
                flushQueued = false;
                Buffer batch = pending;
                pending = null;
                if (response.ended() || response.closed()) {
                    return;
                }
                if (batch != null) {
                    response.write(batch);
                }
                refill();
            }

            /** Ends the response with what is pending, then {@code last}. */
            private void end(Buffer last) {
                Buffer batch = pending;
                pending = null;
                response.end(batch == null ? last : batch.appendBuffer(last));
            }

            private void writeHead() {
                headWritten = true;
                response.setChunked(true);
                response.putHeader("content-type", "text/event-stream");
                response.putHeader("cache-control", "no-cache");
                response.putHeader("x-accel-buffering", "no");
                headers(stream.started().toCompletableFuture().getNow(null), false);
            }

            @Override
            public void onError(Throwable error) {
                onLoop(() -> error(error));
            }

            private void error(Throwable error) {
                ChatRouterException e = error instanceof ChatRouterException cre ? cre
                        : ChatRouterException.builder(ErrorCode.UPSTREAM_ERROR, String.valueOf(error.getMessage()))
                        .cause(error).build();
                if (!headWritten) {
                    fail(e);
                    return;
                }
                if (!response.ended()) {
                    // a truncated stream is never passed off as complete: an error event and no [DONE]
                    end(Buffer.buffer(sseError(e)));
                }
                finish();
            }

            @Override
            public void onComplete() {
                onLoop(this::complete);
            }

            private void complete() {
                if (!response.ended()) {
                    if (!headWritten) {
                        writeHead();
                    }
                    end(DONE);
                }
                finish();
            }
        });
    }

    /** An {@link java.io.OutputStream} that appends to a Vert.x buffer. */
    private static final class BufferOutput extends java.io.OutputStream {
        Buffer buffer;

        @Override
        public void write(int b) {
            buffer.appendByte((byte) b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            buffer.appendBytes(bytes, offset, length);
        }
    }

    private byte[] sseError(ChatRouterException e) {
        return WireCodec.sseData(HttpErrors.of(e, handler.redactor()).body());
    }

    HttpServerRequest request() {
        return request;
    }
}
