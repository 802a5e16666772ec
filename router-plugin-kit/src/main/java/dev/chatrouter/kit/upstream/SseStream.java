package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.SseParser;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One upstream Server-Sent Events call as a {@link Flow.Publisher}. Every state change runs on one Vert.x
 * context, so the fields below need no locks; only the demand counter and the cancel flag are touched from the
 * subscriber's threads. The response is paused whenever decoded items wait for demand: the upstream is read
 * only as fast as the subscriber consumes.
 */
final class SseStream<T> implements Flow.Publisher<T> {

    private final UpstreamClient client;
    private final String url;
    private final Map<String, String> headers;
    private final byte[] body;
    private final Instant deadline;
    private final SseDecoder<T> decoder;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    SseStream(UpstreamClient client, String url, Map<String, String> headers, byte[] body, Instant deadline,
              SseDecoder<T> decoder) {
        this.client = client;
        this.url = url;
        this.headers = headers;
        this.body = body;
        this.deadline = deadline;
        this.decoder = decoder;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        if (!subscribed.compareAndSet(false, true)) {
            Stages.<T>failedPublisher(new IllegalStateException("an upstream stream can be subscribed to once"))
                    .subscribe(subscriber);
            return;
        }
        Call call = new Call(subscriber, client.vertx().getOrCreateContext());
        subscriber.onSubscribe(call);
    }

    private final class Call implements Flow.Subscription {
        private final Flow.Subscriber<? super T> subscriber;
        private final Context context;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicBoolean cancelled = new AtomicBoolean();

        // Touched on the context only.
        private final ArrayDeque<T> queue = new ArrayDeque<>();
        private boolean started;
        private boolean terminated;
        private boolean done;            // the decoder saw the end of the answer
        private boolean bodyEnded;       // the HTTP body ended
        private ProviderException pendingError;
        private boolean draining;
        private boolean drainAgain;
        private boolean sawItem;         // a first token (see SseDecoder#isFirstToken) arrived
        private HttpClientRequest request;
        private HttpClientResponse response;
        /**
         * The one timer a call keeps: first at the first-token deadline, then, once a first token came before it, at
         * the total deadline. A first token does not cancel it, so a stream schedules one timer, not two.
         */
        private LoopTimer timer;
        private SseParser parser;

        Call(Flow.Subscriber<? super T> subscriber, Context context) {
            this.subscriber = subscriber;
            this.context = context;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                context.runOnContext(v -> fail(new IllegalArgumentException(
                        "request(n) needs n > 0 but was " + n + " (reactive streams rule 3.9)"), true));
                return;
            }
            demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            if (io.vertx.core.Vertx.currentContext() == context) {
                drain();
            } else {
                context.runOnContext(v -> drain());
            }
        }

        @Override
        public void cancel() {
            if (cancelled.compareAndSet(false, true)) {
                context.runOnContext(v -> {
                    terminated = true;
                    queue.clear();
                    abort();
                });
            }
        }

        private void start() {
            started = true;
            long budget = client.budgetMillis(deadline);
            if (budget <= 0) {
                fail(UpstreamClient.deadlinePassed(), true);
                return;
            }
            long firstToken = Math.min(client.firstTokenMillis(), budget);
            timer = LoopTimer.start(context, firstToken, () -> {
                timer = null;
                if (firstToken >= budget) {
                    failTotal(budget);
                } else if (!sawItem) {
                    fail(new ProviderException(FailureKind.TIMEOUT, "no first token within " + firstToken + " ms",
                            null), true);
                } else {
                    timer = LoopTimer.start(context, budget - firstToken, () -> {
                        timer = null;
                        failTotal(budget);
                    });
                }
            });
            parser = new SseParser(event -> {
                if (done) {
                    return;
                }
                if (decoder.decode(event, this::enqueue)) {
                    done = true;
                }
            });
            client.request(url, headers, () -> terminated).onComplete(ar -> {
                if (ar.failed()) {
                    fail(HttpFailures.ofTransport(ar.cause()), true);
                    return;
                }
                request = ar.result();
                if (terminated) {
                    request.reset();
                    return;
                }
                request.send(Bodies.wrap(body)).onComplete(sent -> {
                    if (sent.failed()) {
                        fail(HttpFailures.ofTransport(sent.cause()), true);
                    } else {
                        onResponse(sent.result());
                    }
                });
            });
        }

        private void onResponse(HttpClientResponse resp) {
            this.response = resp;
            if (terminated) {
                abort();
                return;
            }
            int status = resp.statusCode();
            if (status < 200 || status >= 300) {
                Buffer errorBody = Buffer.buffer();
                resp.handler(chunk -> {
                    if (errorBody.length() < 1024 * 1024) {
                        errorBody.appendBuffer(chunk);
                    }
                });
                resp.exceptionHandler(e -> fail(HttpFailures.ofTransport(e), true));
                resp.endHandler(v -> {
                    bodyEnded = true;
                    fail(client.classifier().classify(status, resp::getHeader, errorBody.getBytes()), true);
                });
                return;
            }
            resp.exceptionHandler(e -> fail(HttpFailures.ofTransport(e), true));
            resp.handler(chunk -> {
                if (terminated) {
                    return;
                }
                try {
                    Bodies.read(chunk, parser::feed);
                } catch (ProviderException e) {
                    fail(e, true);
                    return;
                } catch (RuntimeException e) {
                    fail(new ProviderException(FailureKind.SERVER, "unreadable upstream stream: " + e.getMessage(),
                            e), true);
                    return;
                }
                drain();
            });
            resp.endHandler(v -> {
                bodyEnded = true;
                cancelTimer();
                if (!done && !terminated) {
                    fail(decoder.truncated(), false);
                }
                drain();
            });
        }

        private void enqueue(T item) {
            if (!sawItem && decoder.isFirstToken(item)) {
                sawItem = true;
            }
            queue.add(item);
        }

        /** Delivers what is queued as far as demand allows, then pauses or resumes the response. */
        private void drain() {
            if (draining) {
                drainAgain = true;
                return;
            }
            draining = true;
            try {
                do {
                    drainAgain = false;
                    if (terminated) {
                        return;
                    }
                    if (!started) {
                        if (demand.get() > 0) {
                            start();
                        }
                        if (terminated || response == null) {
                            continue;
                        }
                    }
                    while (!queue.isEmpty() && demand.get() > 0 && !terminated) {
                        demand.decrementAndGet();
                        subscriber.onNext(queue.poll());
                    }
                    if (terminated) {
                        return;
                    }
                    if (queue.isEmpty()) {
                        if (pendingError != null) {
                            terminate();
                            subscriber.onError(pendingError);
                            return;
                        }
                        if (done) {
                            terminate();
                            if (!bodyEnded && response != null) {
                                response.handler(null).resume(); // read the rest so the connection is reused
                            }
                            subscriber.onComplete();
                            return;
                        }
                    }
                    if (response != null && !bodyEnded) {
                        if (queue.isEmpty() && demand.get() > 0) {
                            response.resume();
                        } else {
                            response.pause();
                        }
                    }
                } while (drainAgain);
            } finally {
                draining = false;
            }
        }

        /**
         * Fails the stream. An immediate failure (transport, timeout) drops what is queued; a deferred one (the
         * body ended early) is delivered after the items already received.
         */
        private void fail(Throwable error, boolean immediate) {
            if (terminated || pendingError != null) {
                return;
            }
            ProviderException failure = error instanceof ProviderException pe ? pe
                    : new ProviderException(FailureKind.SERVER, String.valueOf(error.getMessage()), error);
            if (error instanceof IllegalArgumentException) {
                terminate();
                abort();
                subscriber.onError(error);
                return;
            }
            if (immediate) {
                queue.clear();
                terminate();
                abort();
                subscriber.onError(failure);
            } else {
                pendingError = failure;
                drain();
            }
        }

        private void terminate() {
            terminated = true;
            cancelTimer();
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
        }

        private void failTotal(long budget) {
            fail(new ProviderException(FailureKind.TIMEOUT, "stream not complete within " + budget + " ms", null),
                    true);
        }

        /** Resets the upstream request unless its body was read to the end. */
        private void abort() {
            cancelTimer();
            if (request != null && !bodyEnded) {
                request.reset();
            }
        }
    }
}
