package dev.chatrouter.store.redis;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.Reservation;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.api.spi.AccountingStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract against a real redis-server, and what only Redis does: several routers on one Redis, leases by the
 * server's clock, keys that expire by themselves, one round trip per operation.
 */
class RedisAccountingStoreTest extends AccountingStoreContract {

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static RedisServer redis;

    private String prefix;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected AccountingStore openStore() {
        prefix = "t" + PREFIXES.incrementAndGet() + ":";
        return open();
    }

    private AccountingStore open() {
        return RedisAccountingStores.open(RedisStoreConfig.of(redis.url()).withKeyPrefix(prefix));
    }

    @Override
    protected Instant now() {
        return Instant.now();
    }

    private long keysInRedis() throws Exception {
        String reply = redis.command("EVAL \"return #redis.call('KEYS', ARGV[1])\" 0 " + prefix + "*");
        assertThat(reply).startsWith(":");
        return Long.parseLong(reply.substring(1).trim());
    }

    /**
     * Three routers (three stores, three connections) reserve and settle concurrently against one budget: no
     * moment passes the limit, and the spend equals the sum that all three settled.
     */
    @Test
    void threeRoutersSharingOneRedisNeverOverspend() throws Exception {
        long limit = 3_000;
        List<AccountingStore> routers = List.of(store, open(), open());
        AtomicLong settled = new AtomicLong();
        AtomicLong refusals = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                AccountingStore router = routers.get(t % 3);
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 400; i++) {
                        Reservation r = join(router.reserve(List.of(charge("budget", 10, limit),
                                charge("rpm", 1, AccountingStore.NO_LIMIT)), LEASE));
                        if (r instanceof Reservation.Granted g) {
                            long used = ThreadLocalRandom.current().nextLong(1, 11);
                            join(router.settle(g.id(), List.of(spend("budget", used), spend("rpm", 1))));
                            settled.addAndGet(used);
                        } else {
                            Reservation.Refused refused = (Reservation.Refused) r;
                            assertThat(refused.key()).isEqualTo("budget");
                            assertThat(refused.spent() + refused.reserved() + 10).isGreaterThan(limit);
                            refusals.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            routers.get(1).close();
            routers.get(2).close();
        }

        assertThat(state("budget")).isEqualTo(new State(settled.get(), 0));
        assertThat(settled.get()).isLessThanOrEqualTo(limit).isGreaterThan(limit - 10);
        assertThat(refusals.get()).isPositive();
    }

    /** A reservation nobody settles expires at its lease's end by Redis' clock, and the budget is free again. */
    @Test
    void anUnsettledLeaseExpiresAndFreesTheBudget() throws Exception {
        Reservation.Granted lost = (Reservation.Granted) join(store.reserve(List.of(charge("a", 90, 100)),
                Duration.ofMillis(300)));
        assertThat(join(store.reserve(List.of(charge("a", 20, 100)), LEASE)).granted()).isFalse();
        assertThat(lost.leaseExpiresAt()).isBetween(Instant.now().minusSeconds(5), Instant.now().plusSeconds(5));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Reservation retry;
        do {
            Thread.sleep(25);
            retry = join(store.reserve(List.of(charge("a", 100, 100)), LEASE));
        } while (!retry.granted() && System.nanoTime() < deadline);

        assertThat(retry.granted()).as("granted within 5 s of a 300 ms lease").isTrue();
        assertThat(state("a")).isEqualTo(new State(0, 100));
        join(store.settle(lost.id(), List.of(spend("a", 90))));
        assertThat(state("a")).as("the late settlement releases nothing twice").isEqualTo(new State(90, 100));
    }

    /**
     * A reservation whose answer came too late (the router saw a timeout and went on without it) is released: Redis
     * still runs the reservation once it can, and nobody would settle it, so its hold would pin the budget of every
     * router on that Redis until its lease ended.
     */
    @Test
    void aReservationThatTimedOutIsReleased() throws Exception {
        AccountingStore impatient = RedisAccountingStores.open(RedisStoreConfig.of(redis.url()).withKeyPrefix(prefix)
                .withCommandTimeout(Duration.ofMillis(100)));
        try {
            assertThat(redis.command("CLIENT PAUSE 700 ALL")).startsWith("+OK");
            Throwable late = org.assertj.core.api.Assertions.catchThrowable(() -> join(impatient.reserve(
                    List.of(charge("late", 90, 100)), LEASE)));
            assertThat(late).as("the reservation timed out").isNotNull();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            State now = state("late");
            while (now.reserved() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                now = state("late");
            }
            assertThat(now.reserved()).as("nothing stays reserved after the pause").isZero();
            assertThat(join(store.reserve(List.of(charge("late", 100, 100)), LEASE)).granted()).isTrue();
        } finally {
            impatient.close();
        }
    }

    /** Once windows and leases end, every key the store wrote is gone from Redis, without any call. */
    @Test
    void everyKeyExpiresByItself() throws Exception {
        Instant end = Instant.now().plusMillis(700);
        String settled = ((Reservation.Granted) join(store.reserve(List.of(new Charge("rpm", 1, 60, end),
                new Charge("tpm", 100, 1000, end)), Duration.ofMillis(400)))).id();
        join(store.settle(settled, List.of(Charge.of("rpm", 1, end), Charge.of("tpm", 80, end))));
        join(store.reserve(List.of(new Charge("rpm", 1, 60, end)), Duration.ofMillis(400)));
        assertThat(keysInRedis()).isPositive();
        assertThat(join(store.counters())).extracting(AccountingStore.CounterState::expiresAt)
                .allSatisfy(at -> assertThat(at).isBetween(end.minusMillis(50), end.plusMillis(50)));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (keysInRedis() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertThat(keysInRedis()).as("keys left 5 s after the window ended").isZero();
        assertThat(join(store.counters())).isEmpty();
    }

    /** A reservation is one EVALSHA and a settlement another: one round trip each, nothing else sent. */
    @Test
    void oneRoundTripPerReservationAndPerSettlement() throws Exception {
        granted(List.of(charge("warm", 1, 10)));

        List<String> sent = redis.clientCommands(() -> {
            for (int i = 0; i < 10; i++) {
                String id = granted(List.of(charge("a", 1, 100), charge("b", 1, 100), charge("c", 1, 100))).id();
                join(store.settle(id, List.of(spend("a", 1), spend("b", 1), spend("c", 1))));
            }
        });

        assertThat(sent).hasSize(20).allSatisfy(line -> assertThat(line).containsIgnoringCase("\"evalsha\""));
    }

    /** Opening a store when nothing listens fails within the timeout, with the typed error naming the store. */
    @Test
    void openingWithoutRedisFailsWithTheTypedError() throws Exception {
        int port = RedisServer.freePort();
        long started = System.nanoTime();

        assertThatThrownBy(() -> RedisAccountingStores.open(RedisStoreConfig.of("redis://127.0.0.1:" + port)))
                .isInstanceOf(AccountingStore.Unavailable.class)
                .hasMessageStartingWith("redis store at 127.0.0.1:" + port + " unavailable: ")
                .satisfies(e -> assertThat(((AccountingStore.Unavailable) e).store())
                        .isEqualTo("redis store at 127.0.0.1:" + port));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }
}
