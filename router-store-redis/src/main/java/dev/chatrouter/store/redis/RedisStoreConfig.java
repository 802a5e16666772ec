package dev.chatrouter.store.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the Redis accounting store keeps its counters.
 *
 * @param url            {@code redis://[user:password@]host[:port][/db]} (or {@code rediss://} for TLS)
 * @param keyPrefix      put before every key the store writes; default {@value #DEFAULT_KEY_PREFIX}
 * @param commandTimeout how long one operation may take before it fails with
 *                       {@link dev.chatrouter.api.spi.AccountingStore.Unavailable}; also bounds connecting.
 *                       Default 1 s
 */
public record RedisStoreConfig(String url, String keyPrefix, Duration commandTimeout) {

    public static final String DEFAULT_KEY_PREFIX = "chatrouter:";
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(1);

    /**
     * @throws IllegalArgumentException when the url is not a redis or rediss URL with a host, the prefix is empty,
     *                                  or the timeout is not positive
     */
    public RedisStoreConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the redis url is not a URL: " + e.getMessage(), e);
        }
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
            throw new IllegalArgumentException("the redis url starts with redis:// or rediss://, but was " + redact(uri));
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("the redis url names a host, but was " + redact(uri));
        }
        if (keyPrefix.isEmpty()) {
            throw new IllegalArgumentException("the key prefix is not empty");
        }
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("the command timeout is positive, but was " + commandTimeout);
        }
    }

    /** The defaults for a url: prefix {@value #DEFAULT_KEY_PREFIX}, timeout 1 s. */
    public static RedisStoreConfig of(String url) {
        return new RedisStoreConfig(url, DEFAULT_KEY_PREFIX, DEFAULT_COMMAND_TIMEOUT);
    }

    public RedisStoreConfig withKeyPrefix(String prefix) {
        return new RedisStoreConfig(url, prefix, commandTimeout);
    }

    public RedisStoreConfig withCommandTimeout(Duration timeout) {
        return new RedisStoreConfig(url, keyPrefix, timeout);
    }

    /** {@code host:port}, as error messages name the store. */
    String address() {
        URI uri = URI.create(url);
        return uri.getHost() + ":" + (uri.getPort() == -1 ? 6379 : uri.getPort());
    }

    /** Never shows a password. */
    @Override
    public String toString() {
        return "RedisStoreConfig[url=" + redact(URI.create(url)) + ", keyPrefix=" + keyPrefix
                + ", commandTimeout=" + commandTimeout + "]";
    }

    private static String redact(URI uri) {
        return uri.getUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
    }
}
