package dev.chatrouter.kit.upstream;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The keep-alive HTTP/1.1 connections one event loop holds to the upstream origins it calls, taken and given back
 * on that loop's thread only, so without locks, shared counters or a pool's key per request.
 *
 * <p>A call takes the connection given back last (the one most likely still open), opens a new one while the
 * origin has fewer than {@code maxPerOrigin}, or waits for one given back or closed. A connection is given back when
 * its answer has ended and it may be kept alive (HTTP/1.1 without {@code Connection: close}, HTTP/1.0 with
 * {@code keep-alive}); otherwise, and when a call fails before its answer ends, it is closed. An idle connection is
 * closed instead of taken once it has been idle for a second less than the upstream's {@code Keep-Alive: timeout},
 * or for {@code idleMillis} when the upstream names none; one the upstream closed leaves the idle ones when it
 * closes.
 *
 * <p>Vert.x's own pool does the same for any thread, through a resolver, a pool lookup by key and a
 * context per request; on the event loop that owns the connections none of that is needed.
 */
final class LoopConnections {

    private final HttpClientAgent agent;
    private final int maxPerOrigin;
    private final long idleMillis;
    private final Clock clock;
    /** Each origin (scheme, host and port) called, by origin and by each URL's address seen. */
    private final Map<OriginKey, Origin> origins = new HashMap<>();
    private final Map<UpstreamClient.Address, Origin> byAddress = new HashMap<>();
    private boolean closed;

    /**
     * @param agent        opens the connections; made on, and used from, this loop's thread
     * @param maxPerOrigin the most connections open to one origin at once
     * @param idleMillis   how long a connection may stay idle when the upstream names no keep-alive timeout
     */
    LoopConnections(HttpClientAgent agent, int maxPerOrigin, long idleMillis, Clock clock) {
        this.agent = agent;
        this.maxPerOrigin = maxPerOrigin;
        this.idleMillis = idleMillis;
        this.clock = clock;
    }

    /**
     * A request to {@code address} on one of this loop's connections; the connection goes back when the answer has
     * ended. Must be called on the loop's thread.
     *
     * @param abandoned whether the call has given up (timed out, cancelled): a call that gives up while waiting for
     *                  a connection is passed over, so the connection it would have closed unused goes to the next
     */
    Future<HttpClientRequest> request(UpstreamClient.Address address, RequestOptions options, long connectMillis,
                                      BooleanSupplier abandoned) {
        Origin o = origin(address);
        return o.take(connectMillis, abandoned).compose(connection -> connection.request(options)
                .andThen(ar -> {
                    if (ar.failed()) {
                        connection.close();
                    } else {
                        giveBackAfterAnswer(o, connection, ar.result());
                    }
                }));
    }

    private Origin origin(UpstreamClient.Address address) {
        Origin origin = byAddress.get(address);
        if (origin == null) {
            origin = origins.computeIfAbsent(new OriginKey(address.host(), address.port(), address.ssl()), Origin::new);
            if (byAddress.size() < UpstreamClient.MAX_ADDRESSES) {
                byAddress.put(address, origin);
            }
        }
        return origin;
    }

    private void giveBackAfterAnswer(Origin origin, HttpClientConnection connection, HttpClientRequest request) {
        request.response().onComplete(answered -> {
            if (answered.failed()) {
                connection.close();
                return;
            }
            HttpClientResponse response = answered.result();
            response.end().onComplete(ended -> {
                long keepAlive = ended.succeeded() ? keepAliveMillis(request, response) : -1;
                if (keepAlive < 0) {
                    connection.close();
                } else {
                    origin.giveBack(connection, keepAlive);
                }
            });
        });
    }

    /**
     * How long the connection of this exchange may be kept idle, or -1 when it must not be kept: either side said
     * {@code Connection: close}, an HTTP/1.0 answer did not say {@code keep-alive}, or the answer's body was
     * delimited by the upstream closing the connection (neither a length nor chunks), the cases in which Vert.x
     * closes the connection itself (its close is seen only a turn later).
     */
    long keepAliveMillis(HttpClientRequest request, HttpClientResponse response) {
        String connection = response.getHeader("connection");
        if ("close".equalsIgnoreCase(connection) || "close".equalsIgnoreCase(request.headers().get("connection"))) {
            return -1;
        }
        if (response.version() == HttpVersion.HTTP_1_0 && !"keep-alive".equalsIgnoreCase(connection)) {
            return -1;
        }
        if (response.getHeader("content-length") == null && response.getHeader("transfer-encoding") == null
                && response.statusCode() != 204 && response.statusCode() != 304) {
            return -1;
        }
        String keepAlive = response.getHeader("keep-alive");
        long named = keepAlive == null ? -1 : timeoutSeconds(keepAlive);
        if (named < 0) {
            return idleMillis;
        }
        // a second short of the upstream's timeout, so a call is not sent just as the upstream closes
        long kept = named * 1000 - KEEP_ALIVE_MARGIN_MILLIS;
        return kept <= 0 ? -1 : Math.min(idleMillis, kept);
    }

    /** How long before the upstream's {@code Keep-Alive: timeout} an idle connection is no longer taken. */
    static final long KEEP_ALIVE_MARGIN_MILLIS = 1000;

    /** The {@code timeout} of a {@code Keep-Alive} header ({@code timeout=5, max=1000}), or -1. */
    static long timeoutSeconds(String keepAlive) {
        int from = 0;
        while (from < keepAlive.length()) {
            int end = keepAlive.indexOf(',', from);
            if (end < 0) {
                end = keepAlive.length();
            }
            int start = from;
            while (start < end && keepAlive.charAt(start) == ' ') {
                start++;
            }
            if (keepAlive.regionMatches(true, start, "timeout=", 0, 8)) {
                try {
                    return Math.max(0, Long.parseLong(keepAlive.substring(start + 8, end).trim()));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
            from = end + 1;
        }
        return -1;
    }

    /**
     * Closes the idle connections, and those given back from now on, and fails the calls waiting for one. Must be
     * called on the loop's thread.
     */
    void close() {
        closed = true;
        for (Origin origin : origins.values()) {
            origin.close();
        }
    }

    private record OriginKey(String host, Integer port, Boolean ssl) {
    }

    private record Idle(HttpClientConnection connection, long until) {
    }

    private final class Origin {
        private final OriginKey key;
        /** Given back, the last given back at the tail. */
        private final ArrayDeque<Idle> idle = new ArrayDeque<>();
        private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
        /** Connections open or being opened. */
        private int open;

        Origin(OriginKey key) {
            this.key = key;
        }

        Future<HttpClientConnection> take(long connectMillis, BooleanSupplier abandoned) {
            long now = clock.millis();
            expireOldest(now);
            Idle last;
            while ((last = idle.pollLast()) != null) {
                if (last.until >= now) {
                    return Future.succeededFuture(last.connection);
                }
                last.connection.close();
            }
            if (open < maxPerOrigin) {
                return connect(connectMillis);
            }
            Waiter waiter = new Waiter(connectMillis, abandoned);
            waiting.add(waiter);
            // as Vert.x's pool does: a call waits for a connection no longer than it would wait to open one
            waiter.timer = LoopTimer.start(Vertx.currentContext(), connectMillis, () -> {
                if (waiting.remove(waiter)) {
                    waiter.promise.fail(new TimeoutException("no connection to " + key.host() + ":" + key.port()
                            + " came free within " + connectMillis + " ms"));
                }
            });
            return waiter.promise.future();
        }

        /** The longest idle ones are never taken while newer ones are: they expire here. */
        private void expireOldest(long now) {
            Idle first;
            while ((first = idle.peekFirst()) != null && first.until < now) {
                idle.pollFirst();
                first.connection.close();
            }
        }

        private Future<HttpClientConnection> connect(long connectMillis) {
            // as Vert.x's pooled requests do: a fully qualified name ("api.example.com.") is looked up as written,
            // and named without its final dot in the Host header, SNI and the certificate's host check
            String host = key.host();
            String authority = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
            HttpConnectOptions options = new HttpConnectOptions()
                    .setServer(SocketAddress.inetSocketAddress(key.port(), host)).setHost(authority)
                    .setPort(key.port()).setSsl(key.ssl()).setConnectTimeout(connectMillis);
            Future<HttpClientConnection> connecting;
            try {
                connecting = agent.connect(options);
            } catch (RuntimeException closedMeanwhile) { // the agent closed: it throws rather than fails
                return Future.failedFuture(closedMeanwhile);
            }
            open++;
            return connecting.andThen(ar -> {
                if (ar.failed()) {
                    open--;
                    serveWaiter();
                } else {
                    HttpClientConnection connection = ar.result();
                    connection.closeHandler(v -> onClose(connection));
                }
            });
        }

        void giveBack(HttpClientConnection connection, long keepAliveMillis) {
            if (closed) {
                connection.close();
                return;
            }
            Waiter waiter = nextWaiter();
            if (waiter != null) {
                waiter.promise.complete(connection);
            } else {
                idle.addLast(new Idle(connection, clock.millis() + keepAliveMillis));
            }
        }

        private void onClose(HttpClientConnection connection) {
            open--;
            for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
                if (it.next().connection == connection) {
                    it.remove();
                    break;
                }
            }
            serveWaiter();
        }

        /** A waiting call gets a connection of its own once one closes and makes room. */
        private void serveWaiter() {
            if (open < maxPerOrigin) {
                Waiter waiter = nextWaiter();
                if (waiter != null) {
                    connect(waiter.connectMillis).onComplete(waiter.promise);
                }
            }
        }

        /** The first waiting call that has not given up; those that have are told so and leave the line. */
        private Waiter nextWaiter() {
            Waiter waiter;
            while ((waiter = waiting.poll()) != null) {
                waiter.timer.cancel();
                if (!waiter.abandoned.getAsBoolean()) {
                    return waiter;
                }
                waiter.promise.fail("the call gave up waiting for a connection"); // it has failed already
            }
            return null;
        }

        void close() {
            Idle each;
            while ((each = idle.poll()) != null) {
                each.connection.close();
            }
            Waiter waiter;
            while ((waiter = waiting.poll()) != null) {
                waiter.timer.cancel();
                waiter.promise.fail(new IllegalStateException("the upstream client is closed"));
            }
        }
    }

    /** A call waiting for a connection to an origin at its limit. */
    private static final class Waiter {
        final Promise<HttpClientConnection> promise = Promise.promise();
        final long connectMillis;
        final BooleanSupplier abandoned;
        LoopTimer timer;

        Waiter(long connectMillis, BooleanSupplier abandoned) {
            this.connectMillis = connectMillis;
            this.abandoned = abandoned;
        }
    }
}
