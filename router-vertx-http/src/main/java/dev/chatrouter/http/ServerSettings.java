package dev.chatrouter.http;

import dev.chatrouter.kit.config.ConfigNode;
import dev.chatrouter.kit.config.Durations;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code server} section (SPEC section 3).
 *
 * @param host          the address to listen on (default 127.0.0.1)
 * @param port          the port (default 8080; 0 picks a free one)
 * @param basePaths     the paths the API is served under (default {@code /v1} and {@code /di/v1})
 * @param maxBodyBytes  the largest request body accepted (default 32 MiB)
 * @param routeHeaders  whether to send the {@code X-DI-*} routing headers beyond {@code X-DI-Request-Type}
 *                      (default true)
 * @param keys          the virtual keys by name; empty: no authentication
 * @param shutdownGrace how long in-flight requests may take to finish on shutdown (default 30 s)
 * @param warmup        how long {@link Main} runs the request path against an in-process upstream before the port
 *                      opens, so the JIT has compiled it; {@code null} when not configured ({@link Main}'s own
 *                      default then applies), zero for none
 */
public record ServerSettings(String host, int port, List<String> basePaths, long maxBodyBytes, boolean routeHeaders,
                             Map<String, VirtualKey> keys, Duration shutdownGrace, Duration warmup) {

    public static final List<String> KEYS = List.of("host", "port", "base_paths", "max_body_bytes", "route_headers",
            "keys", "shutdown_grace", "warmup");
    public static final List<String> VIRTUAL_KEY_KEYS = List.of("key", "key_sha256", "routes");

    public static final ServerSettings DEFAULTS = new ServerSettings("127.0.0.1", 8080, List.of("/v1", "/di/v1"),
            32L * 1024 * 1024, true, Map.of(), Duration.ofSeconds(30), null);

    public ServerSettings {
        basePaths = List.copyOf(basePaths);
        keys = Map.copyOf(keys);
    }

    /** Settings without a configured warm-up. */
    public ServerSettings(String host, int port, List<String> basePaths, long maxBodyBytes, boolean routeHeaders,
                          Map<String, VirtualKey> keys, Duration shutdownGrace) {
        this(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, null);
    }

    /**
     * A virtual key: the SHA-256 of the secret (the secret itself is never kept) and the routes it may use.
     *
     * @param name   the key's name, used for budgets and logs
     * @param sha256 the SHA-256 digest of the key
     * @param routes the route ids it may use; empty: all
     */
    public record VirtualKey(String name, byte[] sha256, Set<String> routes) {
        public VirtualKey {
            sha256 = sha256.clone();
            routes = Set.copyOf(routes);
        }

        @Override
        public String toString() {
            return "VirtualKey[" + name + ", routes=" + routes + "]";
        }
    }

    public ServerSettings withHost(String host) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, warmup);
    }

    public ServerSettings withPort(int port) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, warmup);
    }

    public ServerSettings withKeys(Map<String, VirtualKey> keys) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, warmup);
    }

    public ServerSettings withWarmup(Duration warmup) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, warmup);
    }

    /** Reads the section; an absent section gives the defaults. Errors name the file and the path. */
    public static ServerSettings read(ConfigNode node) {
        if (node.isAbsent()) {
            return DEFAULTS;
        }
        node.object("a map", KEYS);
        List<String> basePaths = DEFAULTS.basePaths();
        ConfigNode paths = node.field("base_paths");
        if (!paths.isAbsent()) {
            Set<String> read = new LinkedHashSet<>();
            for (ConfigNode path : paths.elements("a list of paths")) {
                String value = path.requiredString();
                if (!value.startsWith("/") || value.length() > 1 && value.endsWith("/")) {
                    throw path.error("expected a path starting with '/' and not ending with '/' but was '" + value + "'");
                }
                if (!read.add(value.equals("/") ? "" : value)) {
                    throw path.error("base path '" + value + "' is listed twice");
                }
            }
            if (read.isEmpty()) {
                throw paths.error("expected at least one base path");
            }
            basePaths = new ArrayList<>(read);
        }
        int port = node.field("port").integer(0, DEFAULTS.port());
        if (port > 65535) {
            throw node.field("port").error("expected a port from 0 to 65535 but was " + port);
        }
        Map<String, VirtualKey> keys = new LinkedHashMap<>();
        node.field("keys").entries("a map of virtual keys by name").forEach((name, entry) -> {
            entry.object("a map", VIRTUAL_KEY_KEYS);
            ConfigNode plain = entry.field("key").secret();
            ConfigNode digest = entry.field("key_sha256");
            if (plain.isAbsent() == digest.isAbsent()) {
                throw entry.error("expected exactly one of 'key' or 'key_sha256'");
            }
            byte[] sha;
            if (!plain.isAbsent()) {
                String secret = plain.requiredString();
                if (secret.isEmpty()) {
                    throw plain.error("expected a non-empty key");
                }
                sha = sha256(secret);
            } else {
                String hex = digest.requiredString();
                if (!hex.matches("[0-9a-fA-F]{64}")) {
                    throw digest.error("expected 64 hexadecimal digits (a SHA-256 digest)");
                }
                sha = HexFormat.of().parseHex(hex);
            }
            Set<String> routes = new LinkedHashSet<>();
            ConfigNode routeList = entry.field("routes");
            if (!routeList.isAbsent()) {
                for (ConfigNode route : routeList.elements("a list of route ids")) {
                    routes.add(route.requiredString());
                }
            }
            keys.put(name, new VirtualKey(name, sha, routes));
        });
        Duration grace = DEFAULTS.shutdownGrace();
        ConfigNode graceNode = node.field("shutdown_grace");
        if (!graceNode.isAbsent()) {
            try {
                grace = Durations.parse(graceNode.requiredString());
            } catch (IllegalArgumentException e) {
                throw graceNode.error(e.getMessage());
            }
        }
        Duration warmup = null;
        ConfigNode warmupNode = node.field("warmup");
        if (!warmupNode.isAbsent()) {
            try {
                warmup = Durations.parse(warmupNode.requiredString());
            } catch (IllegalArgumentException e) {
                throw warmupNode.error(e.getMessage());
            }
            if (warmup.compareTo(Duration.ofMinutes(1)) > 0) {
                throw warmupNode.error("expected at most 1m but was " + warmupNode.requiredString());
            }
        }
        return new ServerSettings(node.field("host").string(DEFAULTS.host()), port, basePaths,
                node.field("max_body_bytes").longInteger(1, DEFAULTS.maxBodyBytes()),
                node.field("route_headers").bool(DEFAULTS.routeHeaders()), keys, grace, warmup);
    }

    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
