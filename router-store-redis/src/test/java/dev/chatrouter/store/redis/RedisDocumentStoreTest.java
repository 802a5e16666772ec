package dev.chatrouter.store.redis;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The document contract on a real {@code redis-server}: one string key per document under the store's prefix,
 * expired by Redis itself, shared by every store on the same Redis and prefix.
 */
class RedisDocumentStoreTest extends DocumentStoreContract {

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
        prefix = "doc" + PREFIXES.incrementAndGet() + ":";
        return RedisAccountingStores.open(RedisStoreConfig.of(redis.url()).withKeyPrefix(prefix));
    }

    /** Proves a document is one key under the prefix with a time to live set in Redis (PTTL within the TTL). */
    @Test
    void aDocumentIsOneKeyWithItsTimeToLiveInRedis() throws Exception {
        join(documents.put("resp_1", "{\"a\":1}", Duration.ofHours(2)));
        assertThat(redis.command("GET " + prefix + "d:resp_1")).contains("{\"a\":1}");
        String pttl = redis.command("PTTL " + prefix + "d:resp_1").trim();
        assertThat(pttl).startsWith(":");
        long millis = Long.parseLong(pttl.substring(1));
        assertThat(millis).isPositive().isLessThanOrEqualTo(Duration.ofHours(2).toMillis())
                .isGreaterThan(Duration.ofHours(2).minusMinutes(1).toMillis());
    }

    /** Proves a second store on the same Redis and prefix (another router) reads what the first kept. */
    @Test
    void anotherStoreOnTheSamePrefixReadsTheDocuments() {
        join(documents.put("resp_shared", "turns", TTL));
        try (AccountingStore other = RedisAccountingStores.open(RedisStoreConfig.of(redis.url())
                .withKeyPrefix(prefix))) {
            assertThat(join(other.documents().orElseThrow().get("resp_shared"))).contains("turns");
        }
    }

    /** Proves a document Redis expired reads as empty. */
    @Test
    void aDocumentRedisExpiredIsEmpty() throws Exception {
        join(documents.put("resp_gone", "x", TTL));
        assertThat(redis.command("PEXPIRE " + prefix + "d:resp_gone 1")).startsWith(":1");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (redis.command("EXISTS " + prefix + "d:resp_gone").startsWith(":1") && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(join(documents.get("resp_gone"))).isEmpty();
    }

    /** Proves with Redis down, reading fails with the typed error naming the store. */
    @Test
    void withRedisDownReadingFailsNamingTheStore() throws Exception {
        redis.stop();
        try {
            assertThatThrownBy(() -> join(documents.get("resp_1")))
                    .isInstanceOf(AccountingStore.Unavailable.class)
                    .hasMessageContaining("redis store at 127.0.0.1:" + redis.port());
            assertThatThrownBy(() -> join(documents.put("resp_1", "x", TTL)))
                    .isInstanceOf(AccountingStore.Unavailable.class);
        } finally {
            redis.startProcess();
        }
    }
}
