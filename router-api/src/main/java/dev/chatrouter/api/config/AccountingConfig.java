package dev.chatrouter.api.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code accounting} section (docs/configuration.md#accounting, docs/routing.md#budgets, docs/operations.md):
 * how a request's worst case is bounded when nothing else bounds it, and where budgets and rate limits are counted.
 *
 * @param defaultOutputTokens the output a request's worst case assumes when neither the request
 *                            ({@code max_tokens}, {@code max_completion_tokens}) nor the model
 *                            ({@code max_output_tokens}) bounds it; default {@value #DEFAULT_OUTPUT_TOKENS}
 * @param store          the store's type: {@code memory}, {@code durable}, {@code redis} (with the module
 *                       {@code router-store-redis}) or another installed {@link dev.chatrouter.api.spi.AccountingStoreFactory};
 *                       {@code null} for the default of whoever builds the router: {@code memory} for
 *                       {@code ChatRouter.builder()}, {@code durable} for the standalone server
 * @param path           the durable store's file; {@code null} for {@value #DEFAULT_PATH} in the working directory
 * @param flushInterval  how often the durable store commits its file: positive
 * @param lease          how long a reservation holds before it expires by itself (a router that died without
 *                       settling): positive, longer than the longest request
 * @param onStoreFailure what a request with budgets does when the store cannot be reached
 * @param rateLimitsOnStoreFailure what a request that only rate limits (the router's {@code rate_limits}, the
 *                       providers' {@code limits}) apply to does when the store cannot be reached
 * @param redis          the Redis store's settings, or {@code null} when none are given
 */
public record AccountingConfig(long defaultOutputTokens, String store, Path path, Duration flushInterval,
                               Duration lease, FailureMode onStoreFailure, FailureMode rateLimitsOnStoreFailure,
                               Redis redis) {

    public static final long DEFAULT_OUTPUT_TOKENS = 4_096;
    /** The durable store's file when none is configured, in the working directory. */
    public static final String DEFAULT_PATH = "chatrouter-accounting.db";
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(2);

    /**
     * The defaults: {@value #DEFAULT_OUTPUT_TOKENS} default output tokens, no store named (the builder's default
     * applies), default intervals, budgets closed and rate limits open on failure.
     */
    public static final AccountingConfig DEFAULTS = new AccountingConfig(DEFAULT_OUTPUT_TOKENS, null, null,
            DEFAULT_FLUSH_INTERVAL, DEFAULT_LEASE, FailureMode.CLOSED, FailureMode.OPEN, null);

    /** What a request does when the accounting store cannot be reached. */
    public enum FailureMode {
        /** Fail with {@code accounting_unavailable} (503): no spend goes uncounted. The default for budgets. */
        CLOSED,
        /**
         * Go on without a reservation, logging a warning once per outage; budget spend is recorded when the store is
         * back. The default for rate limits.
         */
        OPEN;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The Redis store's settings ({@code accounting.redis}).
     *
     * @param url            {@code redis://host:port/db}; required for the redis store
     * @param keyPrefix      put before every key; {@code null} for the store's default ({@code chatrouter:})
     * @param commandTimeout how long one operation may take; {@code null} for the store's default (1 s)
     */
    public record Redis(String url, String keyPrefix, Duration commandTimeout) {
    }

    /**
     * @throws IllegalArgumentException if {@code defaultOutputTokens} is not positive, or the flush interval or the
     *                                  lease is not
     */
    public AccountingConfig {
        Objects.requireNonNull(flushInterval, "flushInterval");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(onStoreFailure, "onStoreFailure");
        Objects.requireNonNull(rateLimitsOnStoreFailure, "rateLimitsOnStoreFailure");
        if (defaultOutputTokens <= 0) {
            throw new IllegalArgumentException("default_output_tokens must be positive but was "
                    + defaultOutputTokens);
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("the flush interval is positive, but was " + flushInterval);
        }
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("the lease is positive, but was " + lease);
        }
    }

    /** The defaults with another default output: how worst cases are bounded, the store left to the builder. */
    public AccountingConfig(long defaultOutputTokens) {
        this(defaultOutputTokens, null, null, DEFAULT_FLUSH_INTERVAL, DEFAULT_LEASE, FailureMode.CLOSED,
                FailureMode.OPEN, null);
    }

    /** Where budgets and rate limits are counted, with the default output tokens. */
    public AccountingConfig(String store, Path path, Duration flushInterval, Duration lease,
                            FailureMode onStoreFailure, FailureMode rateLimitsOnStoreFailure, Redis redis) {
        this(DEFAULT_OUTPUT_TOKENS, store, path, flushInterval, lease, onStoreFailure, rateLimitsOnStoreFailure,
                redis);
    }

    /** Counters in the router's memory. */
    public static AccountingConfig memory() {
        return DEFAULTS.withStore("memory");
    }

    /** Counters in an H2 MVStore file. */
    public static AccountingConfig durable(Path file) {
        return new AccountingConfig("durable", Objects.requireNonNull(file, "file"), DEFAULT_FLUSH_INTERVAL,
                DEFAULT_LEASE, FailureMode.CLOSED, FailureMode.OPEN, null);
    }

    /** Counters in Redis (needs the module {@code router-store-redis}). */
    public static AccountingConfig redis(String url) {
        return new AccountingConfig("redis", null, DEFAULT_FLUSH_INTERVAL, DEFAULT_LEASE, FailureMode.CLOSED,
                FailureMode.OPEN, new Redis(Objects.requireNonNull(url, "url"), null, null));
    }

    public AccountingConfig withDefaultOutputTokens(long defaultOutputTokens) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, onStoreFailure,
                rateLimitsOnStoreFailure, redis);
    }

    public AccountingConfig withStore(String store) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, onStoreFailure,
                rateLimitsOnStoreFailure, redis);
    }

    public AccountingConfig withLease(Duration lease) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, onStoreFailure,
                rateLimitsOnStoreFailure, redis);
    }

    public AccountingConfig withFlushInterval(Duration flushInterval) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, onStoreFailure,
                rateLimitsOnStoreFailure, redis);
    }

    /** What a request with budgets does when the store cannot be reached. */
    public AccountingConfig withOnStoreFailure(FailureMode mode) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, mode,
                rateLimitsOnStoreFailure, redis);
    }

    /** What a request that only rate limits apply to does when the store cannot be reached. */
    public AccountingConfig withRateLimitsOnStoreFailure(FailureMode mode) {
        return new AccountingConfig(defaultOutputTokens, store, path, flushInterval, lease, onStoreFailure, mode,
                redis);
    }
}
