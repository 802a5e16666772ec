package dev.chatrouter.store.redis;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.Reservation;
import dev.chatrouter.api.spi.AccountingStore.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** Redis goes away and comes back on the same port: the store fails fast meanwhile and recovers by itself. */
class RedisOutageTest {

    private RedisServer redis;
    private AccountingStore store;

    @AfterEach
    void tearDown() throws Exception {
        if (store != null) {
            store.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** How an operation ends within 10 s: its value, or the exception it completed with. */
    private static Object outcome(CompletionStage<?> stage) throws InterruptedException {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the operation did not end within 10 s: commands queue instead of failing", e);
        }
    }

    @Test
    void operationsFailFastWhileRedisIsDownAndSucceedAgainWhenItReturns() throws Exception {
        redis = RedisServer.start();
        store = RedisAccountingStores.open(RedisStoreConfig.of(redis.url()).withCommandTimeout(Duration.ofSeconds(1)));
        Instant end = Instant.now().plus(Duration.ofHours(1));
        Reservation before = (Reservation) outcome(store.reserve(List.of(new Charge("a", 5, 100, end)),
                Duration.ofMinutes(1)));
        assertThat(before.granted()).isTrue();

        redis.stop();
        long started = System.nanoTime();
        Object down = outcome(store.reserve(List.of(new Charge("a", 5, 100, end)), Duration.ofMinutes(1)));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(down).isInstanceOf(AccountingStore.Unavailable.class);
        assertThat(((Throwable) down).getMessage())
                .startsWith("redis store at 127.0.0.1:" + redis.port() + " unavailable: ");
        assertThat(took).as("failed within the 1 s command timeout, with margin").isLessThan(Duration.ofMillis(1500));
        assertThat(outcome(store.states(List.of("a")))).isInstanceOf(AccountingStore.Unavailable.class);

        redis.startProcess();
        long restarted = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Object after;
        do {
            after = outcome(store.reserve(List.of(new Charge("a", 5, 100, end)), Duration.ofMinutes(1)));
            if (after instanceof Reservation) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);

        assertThat(after).as("the same store works again within 20 s of Redis' return").isInstanceOf(Reservation.class);
        System.out.printf("redis outage: failed after %d ms (%s); working again %d ms after redis-server answered PING%n",
                took.toMillis(), ((Throwable) down).getMessage(), (System.nanoTime() - restarted) / 1_000_000);
        String id = ((Reservation.Granted) after).id();
        assertThat(outcome(store.settle(id, List.of(Charge.of("a", 3, end))))).isNull();
        assertThat(outcome(store.states(List.of("a")))).isEqualTo(java.util.Map.of("a", new State(3, 0)));
    }
}
