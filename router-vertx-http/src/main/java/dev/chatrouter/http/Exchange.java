package dev.chatrouter.http;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.http.surface.SseEncoder;
import dev.chatrouter.kit.upstream.Bodies;
import dev.chatrouter.kit.wire.Decimals;
import dev.chatrouter.kit.wire.WireCodec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One routed request in flight: writes the answer with its {@code X-DI-*} headers, relays a stream as
 * Server-Sent Events with backpressure (the upstream is asked for more only while the client's write queue has
 * room), cancels the upstream when the client goes away, and can be aborted by a shutdown.
 */
final class Exchange {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    /** Chunks requested ahead of the client. */
    private static final int WINDOW = 16;

    private final ApiHandler handler;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final long startNanos;
    private final Surface surface;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** This exchange in the handler's {@code inFlight}, when it was added: what it leaves with. */
    volatile dev.chatrouter.kit.internal.StripedSet.Entry<Exchange> inFlightEntry;
    private final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    private volatile Runnable abort = () -> { };
    /** The event loop the request arrived on, which writes its answer. */
    private final Context context = Vertx.currentContext();

    Exchange(ApiHandler handler, HttpServerRequest request, long startNanos) {
        this(handler, request, startNanos, Surface.CHAT);
    }

    /** An exchange whose errors are written in {@code surface}'s envelope. */
    Exchange(ApiHandler handler, HttpServerRequest request, long startNanos, Surface surface) {
        this.handler = handler;
        this.request = request;
        this.response = request.response();
        this.startNanos = startNanos;
        this.surface = surface;
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

    /** Ends the exchange unanswered: its request was answered without it. */
    void abandon() {
        finish();
    }

    private void finish() {
        if (finished.compareAndSet(false, true)) {
            handler.inFlight.remove(inFlightEntry);
            done.complete(null);
        }
    }

    /** Completes once the answer is finished (written, failed, aborted, or the client went away). */
    java.util.concurrent.CompletionStage<Void> done() {
        return done;
    }

    /** Writes a JSON answer with the routing headers. */
    void json(RoutingReport report, byte[] body, boolean withCost) {
        try {
            if (!response.ended() && !response.closed()) {
                response.putHeader(CONTENT_TYPE, JSON);
                headers(report, withCost);
                response.end(Bodies.wrap(body));
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
                    LOG.error("request {} failed with an internal error", id, error);
                    e = ChatRouterException.internal(error).withRequest(id, null);
                }
                ApiHandler.send(response, surface.error(e, handler.redactor()));
            }
        } finally {
            finish();
        }
    }

    /**
     * Answers with what a routed call gives: its JSON with the routing headers, or the error, written on the
     * request's event loop whichever thread ends the call (a Redis store's, a provider's timer), so that it never
     * races the loop's own writes (a shutdown's 503, a client that goes away). An answer that cannot be written is
     * a 500. Cancels the call when the client goes away or a shutdown's grace period ends.
     */
    <T> void answer(java.util.concurrent.CompletionStage<T> call, java.util.function.Function<T, RoutingReport> report,
                    java.util.function.Function<T, byte[]> body) {
        var future = call.toCompletableFuture();
        cancelOnAbort(future);
        future.whenComplete((result, error) -> onLoop(() -> {
            if (error != null) {
                fail(dev.chatrouter.kit.upstream.Stages.unwrap(error));
                return;
            }
            RoutingReport routed;
            byte[] written;
            try {
                routed = report.apply(result);
                written = body.apply(result);
            } catch (RuntimeException unwritable) {
                fail(unwritable);
                return;
            }
            json(routed, written, true);
        }));
    }

    /** Runs {@code task} on the request's event loop: at once when called there. */
    private void onLoop(Runnable task) {
        if (context == null || Vertx.currentContext() == context) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    /**
     * Ties a pending answer to the exchange: a client that goes away cancels it, and a shutdown whose grace period
     * is over answers 503 and cancels it.
     */
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
    private static final CharSequence LIMIT_REQUESTS = HttpHeaders.createOptimized("x-ratelimit-limit-requests");
    private static final CharSequence REMAINING_REQUESTS =
            HttpHeaders.createOptimized("x-ratelimit-remaining-requests");
    private static final CharSequence RESET_REQUESTS = HttpHeaders.createOptimized("x-ratelimit-reset-requests");
    private static final CharSequence LIMIT_TOKENS = HttpHeaders.createOptimized("x-ratelimit-limit-tokens");
    private static final CharSequence REMAINING_TOKENS = HttpHeaders.createOptimized("x-ratelimit-remaining-tokens");
    private static final CharSequence RESET_TOKENS = HttpHeaders.createOptimized("x-ratelimit-reset-tokens");
    private static final CharSequence BUDGET_REMAINING = HttpHeaders.createOptimized("x-di-budget-remaining-usd");
    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

    private void headers(RoutingReport report, boolean withCost) {
        if (report == null) {
            return;
        }
        response.putHeader(REQUEST_TYPE, report.type().wireName());
        Headroom headroom = report.headroom();
        limitHeaders(headroom.requests(), LIMIT_REQUESTS, REMAINING_REQUESTS, RESET_REQUESTS);
        limitHeaders(headroom.tokens(), LIMIT_TOKENS, REMAINING_TOKENS, RESET_TOKENS);
        if (!handler.settings().routeHeaders()) {
            return; // X-Request-Id is one of the route headers (docs/operations.md)
        }
        if (headroom.budget() != null) {
            response.putHeader(BUDGET_REMAINING, Decimals.fixed(headroom.budget().remainingUsd(), 6));
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
            response.putHeader(COST, Decimals.usd(report.costUsd()));
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
        response.putHeader(OVERHEAD, Decimals.fixed(overhead / 1e6, 3));
    }

    /** OpenAI's rate-limit headers for the tightest router limit that applied. */
    private void limitHeaders(Headroom.Limit limit, CharSequence limitName, CharSequence remainingName,
                              CharSequence resetName) {
        if (limit != null) {
            response.putHeader(limitName, Long.toString(limit.limit()));
            response.putHeader(remainingName, Long.toString(limit.remaining()));
            response.putHeader(resetName, resetText(limit.reset()));
        }
    }

    /** A reset time as OpenAI writes it: {@code 250ms}, {@code 1.5s}, {@code 1m30s}. */
    static String resetText(java.time.Duration reset) {
        long millis = reset.toMillis() + (reset.toNanosPart() % 1_000_000 > 0 ? 1 : 0);
        if (millis < 1_000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            String seconds = Decimals.fixed(millis / 1000.0, 3);
            while (seconds.endsWith("0")) {
                seconds = seconds.substring(0, seconds.length() - 1);
            }
            if (seconds.endsWith(".")) {
                seconds = seconds.substring(0, seconds.length() - 1);
            }
            return seconds + "s";
        }
        return millis / 60_000 + "m" + (millis % 60_000) / 1_000 + "s";
    }

    /** Relays a stream as Chat Completions Server-Sent Events. */
    void stream(ChatStream stream) {
        stream(stream, SseEncoder.chatCompletions());
    }

    /**
     * Relays a stream as Server-Sent Events, each chunk as {@code encoder} writes it. Each chunk is written as soon as it arrives, but the chunks that
     * arrive in one turn of the event loop (one upstream read usually carries several) leave in one write and one
     * flush, not one system call each. Every signal is handled on the request's event loop, in order.
     */
    void stream(ChatStream stream, SseEncoder encoder) {
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
                        end(Buffer.buffer(sseError(encoder, shuttingDown())));
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
                encoder.chunk(chunk, out);
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
                    end(Buffer.buffer(sseError(encoder, e)));
                }
                finish();
            }

            @Override
            public void onComplete() {
                onLoop(this::complete);
            }

            private void complete() {
                if (response.ended()) {
                    finish();
                    return;
                }
                if (!headWritten) {
                    writeHead();
                }
                byte[] last = encoder.complete();
                CompletableFuture<Void> settled = encoder.settled().toCompletableFuture();
                if (settled.isDone()) {
                    endWith(last);
                } else {
                    settled.whenComplete((v, error) -> onLoop(() -> endWith(last)));
                }
            }

            /** Writes the stream's last events, unless the client left or the server ended it meanwhile. */
            private void endWith(byte[] last) {
                if (!response.ended() && !response.closed()) {
                    end(Buffer.buffer(last));
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

    private byte[] sseError(SseEncoder encoder, ChatRouterException e) {
        HttpErrors.HttpError error = surface.error(e, handler.redactor());
        return encoder.error(error.status(), error.body());
    }

    HttpServerRequest request() {
        return request;
    }
}
