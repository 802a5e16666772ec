package dev.chatrouter.store.redis;

import dev.chatrouter.api.spi.AccountingStore;

/**
 * The accounting store in Redis: budgets and rate limits shared by every router that uses the same Redis and key
 * prefix. Each reservation, settlement and release is one Lua script, one round trip, atomic on the Redis server;
 * leases end by the Redis server's clock, so routers' clocks need not agree.
 */
public final class RedisAccountingStores {

    private RedisAccountingStores() {
    }

    /**
     * Connects to Redis and loads the scripts.
     *
     * @throws AccountingStore.Unavailable when Redis cannot be reached within the command timeout
     */
    public static AccountingStore open(RedisStoreConfig config) {
        return RedisAccountingStore.open(config);
    }
}
