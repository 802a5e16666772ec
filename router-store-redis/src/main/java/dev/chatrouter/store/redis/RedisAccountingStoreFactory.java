package dev.chatrouter.store.redis;

import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStoreFactory;

import java.time.Clock;

/**
 * {@code accounting.store: redis}, found by {@link java.util.ServiceLoader}: opens the store with
 * {@code accounting.redis.url}, {@code key_prefix} and {@code command_timeout}. Leases end by the Redis server's
 * clock, so the router's clock is not used. Opening is tried three times, each bounded by the command timeout.
 */
public final class RedisAccountingStoreFactory implements AccountingStoreFactory {

    @Override
    public String type() {
        return "redis";
    }

    @Override
    public AccountingStore open(AccountingConfig config, Clock clock) {
        AccountingConfig.Redis redis = config.redis();
        if (redis == null || redis.url() == null) {
            throw new IllegalArgumentException("the redis store needs accounting.redis.url, such as"
                    + " redis://127.0.0.1:6379/0");
        }
        RedisStoreConfig c = RedisStoreConfig.of(redis.url());
        if (redis.keyPrefix() != null) {
            c = c.withKeyPrefix(redis.keyPrefix());
        }
        if (redis.commandTimeout() != null) {
            c = c.withCommandTimeout(redis.commandTimeout());
        }
        // a router's first connection can be slow (a cold JVM on a loaded machine): three tries before giving up
        AccountingStore.Unavailable last = null;
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            try {
                return RedisAccountingStores.open(c);
            } catch (AccountingStore.Unavailable e) {
                last = e;
            }
        }
        throw last;
    }

    /** How many times opening the store is tried at startup, each bounded by the command timeout. */
    static final int OPEN_ATTEMPTS = 3;
}
