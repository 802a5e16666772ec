package dev.chatrouter.store.redis;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters in Redis (see {@code common.lua} for the keys). Every operation is one script run with EVALSHA, loaded
 * again with SCRIPT LOAD when Redis answers NOSCRIPT (after a restart); a script is atomic on the server, and its
 * lease arithmetic reads the server's {@code TIME}. Counter keys expire (PEXPIREAT) at their window's expiry, or at
 * the end of the last lease on them when later; a reservation's hash expires at its lease's end.
 *
 * <p>Settling and releasing read the reservation's counters from its hash, so every key of one store must live on
 * one Redis node (standalone, or the primary of a Sentinel group).
 *
 * <p>Lettuce reconnects by itself; while it is disconnected commands are refused at once, commands time out after
 * the configured bound, and commands in flight when the connection broke are not sent again (a settlement run
 * twice would count its spend twice). Each of those completes with {@link AccountingStore.Unavailable}.
 *
 * <p>{@link #documents()} keeps each document as one string key {@code <prefix>d:<key>} on the same connection:
 * {@code SET ... PX <ttl>} to keep it, {@code GET} to read it; Redis expires it by itself.
 */
final class RedisAccountingStore implements AccountingStore {

    private static final int READ_BATCH = 200;

    /** One Lua script, with the shared functions in front, and its SHA-1. */
    private record Script(String source, String sha) {
        static Script load(String name) {
            String source = resource("common.lua") + "\n" + resource(name);
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new Script(source, HexFormat.of().formatHex(digest));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-1", e);
            }
        }

        private static String resource(String name) {
            try (InputStream in = RedisAccountingStore.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("script " + name + " is missing from the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final Script RESERVE = Script.load("reserve.lua");
    private static final Script SETTLE = Script.load("settle.lua");
    private static final Script RELEASE = Script.load("release.lua");
    private static final Script READ = Script.load("read.lua");

    private final String name;
    private final String prefix;
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final String idPrefix = UUID.randomUUID().toString().replace("-", "").substring(0, 16) + "-";
    private final AtomicLong sequence = new AtomicLong();
    private final Documents documents = new Documents();
    private volatile boolean closed;

    private RedisAccountingStore(String name, String prefix, ClientResources resources, RedisClient client,
                                 StatefulRedisConnection<String, String> connection) {
        this.name = name;
        this.prefix = prefix;
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.redis = connection.async();
    }

    static RedisAccountingStore open(RedisStoreConfig config) {
        Objects.requireNonNull(config, "config");
        String name = "redis store at " + config.address();
        Duration timeout = config.commandTimeout();
        ClientResources resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        RedisURI uri = RedisURI.create(config.url());
        uri.setTimeout(timeout);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .replayFilter(command -> true)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
                .build());
        try {
            StatefulRedisConnection<String, String> connection = client.connect();
            RedisAccountingStore store = new RedisAccountingStore(name, config.keyPrefix(), resources, client,
                    connection);
            store.loadScripts(timeout);
            return store;
        } catch (RedisException e) {
            shutdown(client, resources);
            throw new Unavailable(name, reason(e), e);
        }
    }

    private void loadScripts(Duration timeout) {
        try {
            for (Script s : List.of(RESERVE, SETTLE, RELEASE, READ)) {
                String sha = redis.scriptLoad(s.source()).get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
                if (!sha.equals(s.sha())) {
                    throw new IllegalStateException("Redis digests a script as " + sha + ", not " + s.sha());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new Unavailable(name, "interrupted while loading the scripts", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new Unavailable(name, "cannot load the scripts: " + reason(cause), cause);
        }
    }

    @Override
    public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
        Objects.requireNonNull(lease, "lease");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("a lease is positive, but was " + lease);
        }
        checkDistinct(charges);
        if (closed) {
            return closedStage();
        }
        String id = idPrefix + Long.toString(sequence.incrementAndGet(), 36);
        String[] keys = new String[1 + 3 * charges.size()];
        String[] args = new String[2 + 4 * charges.size()];
        keys[0] = prefix + "r:" + id;
        long leaseMillis = lease.toMillis() + (lease.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
        args[0] = Long.toString(leaseMillis);
        args[1] = id;
        for (int i = 0; i < charges.size(); i++) {
            Charge c = charges.get(i);
            counterKeys(c.key(), keys, 1 + 3 * i);
            args[2 + 4 * i] = c.key();
            args[3 + 4 * i] = Long.toString(c.amount());
            args[4 + 4 * i] = Long.toString(c.limit());
            args[5 + 4 * i] = Long.toString(c.expiresAt().toEpochMilli());
        }
        CompletionStage<List<Object>> asked = run(RESERVE, keys, args);
        asked.whenComplete((reply, error) -> {
            if (error != null && !closed) {
                // Redis may still run it (an answer that came too late): nobody would settle it, so let it go; on
                // the same connection the release runs after it, and one of an id Redis never saw does nothing
                release(id).whenComplete((v, e) -> { });
            }
        });
        return asked.thenApply(reply -> {
            if (number(reply.get(0)) == 1) {
                List<State> states = new ArrayList<>(charges.size());
                for (int i = 0; i < charges.size(); i++) {
                    states.add(new State(number(reply.get(2 + 2 * i)), number(reply.get(3 + 2 * i))));
                }
                return new Reservation.Granted(id, Instant.ofEpochMilli(number(reply.get(1))), states);
            }
            Charge refused = charges.get((int) number(reply.get(1)) - 1);
            return new Reservation.Refused(refused.key(), refused.amount(), number(reply.get(2)),
                    number(reply.get(3)), refused.limit());
        });
    }

    @Override
    public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
        Objects.requireNonNull(reservationId, "reservationId");
        checkDistinct(actual);
        if (closed) {
            return closedStage();
        }
        String[] keys = new String[1 + 3 * actual.size()];
        String[] args = new String[2 + 3 * actual.size()];
        keys[0] = prefix + "r:" + reservationId;
        args[0] = prefix;
        args[1] = reservationId;
        for (int i = 0; i < actual.size(); i++) {
            Charge c = actual.get(i);
            counterKeys(c.key(), keys, 1 + 3 * i);
            args[2 + 3 * i] = c.key();
            args[3 + 3 * i] = Long.toString(c.amount());
            args[4 + 3 * i] = Long.toString(c.expiresAt().toEpochMilli());
        }
        return run(SETTLE, keys, args).thenApply(reply -> null);
    }

    @Override
    public CompletionStage<Void> release(String reservationId) {
        Objects.requireNonNull(reservationId, "reservationId");
        if (closed) {
            return closedStage();
        }
        return run(RELEASE, new String[] {prefix + "r:" + reservationId}, prefix, reservationId)
                .thenApply(reply -> null);
    }

    @Override
    public CompletionStage<Map<String, State>> states(Collection<String> keys) {
        Objects.requireNonNull(keys, "keys");
        List<String> list = new ArrayList<>(keys.size());
        for (String key : keys) {
            list.add(Objects.requireNonNull(key, "key"));
        }
        if (closed) {
            return closedStage();
        }
        return read(list).thenApply(read -> {
            Map<String, State> states = new LinkedHashMap<>();
            for (CounterState c : read) {
                states.put(c.key(), c.expiresAt() == null ? State.EMPTY : new State(c.spent(), c.reserved()));
            }
            return states;
        });
    }

    @Override
    public CompletionStage<List<CounterState>> counters() {
        if (closed) {
            return closedStage();
        }
        ScanArgs match = ScanArgs.Builder.matches(glob(prefix) + "c:*").limit(1000);
        return scan(ScanCursor.INITIAL, match, new ArrayList<>())
                .thenCompose(this::read)
                .thenApply(read -> read.stream().filter(c -> c.expiresAt() != null).toList());
    }

    private CompletionStage<List<String>> scan(ScanCursor cursor, ScanArgs match, List<String> found) {
        return call(() -> redis.scan(cursor, match)).thenCompose(page -> {
            int strip = prefix.length() + 2;
            for (String k : page.getKeys()) {
                found.add(k.substring(strip));
            }
            return page.isFinished() ? CompletableFuture.completedFuture(found) : scan(page, match, found);
        });
    }

    /** Reads the counters in batches; a counter that does not exist comes back with a null expiry. */
    private CompletionStage<List<CounterState>> read(List<String> counterKeys) {
        CompletionStage<List<CounterState>> all = CompletableFuture.completedFuture(new ArrayList<>());
        for (int from = 0; from < counterKeys.size(); from += READ_BATCH) {
            List<String> batch = counterKeys.subList(from, Math.min(counterKeys.size(), from + READ_BATCH));
            String[] keys = new String[3 * batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                counterKeys(batch.get(i), keys, 3 * i);
            }
            all = all.thenCompose(acc -> run(READ, keys).thenApply(reply -> {
                for (int i = 0; i < batch.size(); i++) {
                    long expiry = number(reply.get(3 * i + 2));
                    acc.add(new CounterState(batch.get(i), number(reply.get(3 * i)), number(reply.get(3 * i + 1)),
                            expiry < 0 ? null : Instant.ofEpochMilli(expiry)));
                }
                return acc;
            }));
        }
        return all;
    }

    private void counterKeys(String key, String[] into, int at) {
        into[at] = prefix + "c:" + key;
        into[at + 1] = prefix + "h:" + key;
        into[at + 2] = prefix + "a:" + key;
    }

    /** EVALSHA; on NOSCRIPT (Redis restarted or flushed its scripts), SCRIPT LOAD and EVALSHA again. */
    private CompletionStage<List<Object>> run(Script script, String[] keys, String... args) {
        return call(() -> redis.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args))
                .exceptionallyCompose(e -> {
                    if (unwrap(e) instanceof Unavailable u && u.getCause() instanceof RedisNoScriptException) {
                        return call(() -> redis.scriptLoad(script.source())).thenCompose(sha ->
                                call(() -> redis.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)));
                    }
                    return CompletableFuture.failedFuture(unwrap(e));
                });
    }

    /** Sends a command; a Redis failure (refused, timed out, cancelled, an error reply) becomes Unavailable. */
    private <T> CompletableFuture<T> call(java.util.function.Supplier<CompletionStage<T>> command) {
        CompletionStage<T> sent;
        try {
            sent = command.get();
        } catch (RedisException e) {
            return CompletableFuture.failedFuture(new Unavailable(name, reason(e), e));
        }
        return sent.toCompletableFuture().handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable cause = unwrap(error);
            if (cause instanceof RedisException || cause instanceof CancellationException) {
                return CompletableFuture.<T>failedFuture(new Unavailable(name, reason(cause), cause));
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String reason(Throwable e) {
        String message = e.getMessage();
        if (e instanceof CancellationException) {
            return "the connection broke while the command was in flight";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null) {
            message = message == null ? root.getMessage() : message + ": " + root.getMessage();
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private static long number(Object reply) {
        return reply instanceof Long l ? l : Long.parseLong(reply.toString());
    }

    /** The prefix as a SCAN pattern that matches only itself. */
    private static String glob(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char ch : s.toCharArray()) {
            if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') {
                b.append('\\');
            }
            b.append(ch);
        }
        return b.toString();
    }

    private static void checkDistinct(List<Charge> charges) {
        Objects.requireNonNull(charges, "charges");
        java.util.HashSet<String> seen = new java.util.HashSet<>();
        for (Charge c : charges) {
            if (!seen.add(Objects.requireNonNull(c, "charge").key())) {
                throw new IllegalArgumentException("counter " + c.key() + " is charged twice in one request");
            }
        }
    }

    private static <T> CompletionStage<T> closedStage() {
        return CompletableFuture.failedFuture(new IllegalStateException("the accounting store is closed"));
    }

    /** Documents on the same connection, under {@code <prefix>d:}, expired by Redis (PX). */
    @Override
    public Optional<DocumentStore> documents() {
        return Optional.of(documents);
    }

    private final class Documents implements DocumentStore {
        @Override
        public CompletionStage<Void> put(String key, String document, Duration ttl) {
            DocumentStore.checkPut(key, document, ttl);
            if (closed) {
                return closedStage();
            }
            long millis = ttl.toMillis() + (ttl.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
            return call(() -> redis.set(prefix + "d:" + key, document, SetArgs.Builder.px(millis)))
                    .thenApply(ok -> null);
        }

        @Override
        public CompletionStage<Optional<String>> get(String key) {
            Objects.requireNonNull(key, "key");
            if (closed) {
                return closedStage();
            }
            return call(() -> redis.get(prefix + "d:" + key)).thenApply(Optional::ofNullable);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        connection.close();
        shutdown(client, resources);
    }

    private static void shutdown(RedisClient client, ClientResources resources) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        try {
            resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // the threads are daemons; a slow shutdown leaves nothing to record
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
