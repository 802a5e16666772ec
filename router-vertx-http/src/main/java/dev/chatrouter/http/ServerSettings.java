package dev.chatrouter.http;

import dev.chatrouter.kit.config.ConfigNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code server} section (docs/configuration.md).
 *
 * @param host          the address to listen on (default 127.0.0.1)
 * @param port          the port (default 8080; 0 picks a free one)
 * @param basePaths     the paths the API is served under (default {@code /v1} and {@code /di/v1})
 * @param maxBodyBytes  the largest request body accepted (default 32 MiB)
 * @param routeHeaders  whether to send the {@code X-DI-*} routing headers beyond {@code X-DI-Request-Type}
 *                      (default true)
 * @param keys          the virtual keys by name; empty: no authentication
 * @param shutdownGrace how long in-flight requests may take to finish on shutdown (default 30 s)
 * @param responsesTtl  how long the Responses surface keeps a stored response for {@code previous_response_id},
 *                      in the router's store (default 7 days; from 1 minute to 365 days)
 * @param adminKeys     the names of the virtual keys that may call the admin endpoints ({@code GET /metrics},
 *                      {@code /router/reload}, {@code /router/state}, {@code /router/ui}); without {@code keys}
 *                      they are open like the rest
 * @param reload        whether and how often the configuration file is watched for changes
 * @param warmup        how long {@link Main} runs the request path against an in-process upstream before the port
 *                      opens, so the JIT has compiled it; {@code null} when not configured ({@link Main}'s own
 *                      default then applies), zero for none
 * @param transport     the network transport the server's event loops use (default {@link Transport#AUTO})
 */
public record ServerSettings(String host, int port, List<String> basePaths, long maxBodyBytes, boolean routeHeaders,
                             Map<String, VirtualKey> keys, Duration shutdownGrace, Duration responsesTtl,
                             Set<String> adminKeys, Reload reload, Duration warmup, Transport transport) {

    public static final List<String> KEYS = List.of("host", "port", "base_paths", "max_body_bytes", "route_headers",
            "keys", "shutdown_grace", "responses_ttl", "admin_keys", "reload",
            "warmup", "transport");
    public static final List<String> VIRTUAL_KEY_KEYS = List.of("key", "key_sha256", "routes");
    public static final List<String> RELOAD_KEYS = List.of("watch", "interval");

    /** How long a stored response is kept unless {@code server.responses_ttl} says otherwise. */
    public static final Duration DEFAULT_RESPONSES_TTL = Duration.ofDays(7);
    static final Duration MIN_RESPONSES_TTL = Duration.ofMinutes(1);
    static final Duration MAX_RESPONSES_TTL = Duration.ofDays(365);

    public static final ServerSettings DEFAULTS = new ServerSettings("127.0.0.1", 8080, List.of("/v1", "/di/v1"),
            32L * 1024 * 1024, true, Map.of(), Duration.ofSeconds(30), DEFAULT_RESPONSES_TTL, Set.of(),
            Reload.DEFAULTS, null, Transport.AUTO);

    public ServerSettings {
        basePaths = List.copyOf(basePaths);
        keys = Map.copyOf(keys);
        adminKeys = Set.copyOf(adminKeys);
        reload = reload == null ? Reload.DEFAULTS : reload;
        transport = transport == null ? Transport.AUTO : transport;
    }

    /**
     * The network transport of the server's event loops ({@code server.transport}); the upstream calls made from
     * them use it too. Read once at start: a change takes effect on a restart.
     */
    public enum Transport {
        /** Linux's epoll where Netty's native library for it loads (Linux x86_64), else Java NIO. */
        AUTO("auto"),
        /** Linux's epoll; the server does not start where it is not available. */
        EPOLL("epoll"),
        /**
         * Linux's io_uring (kernel 5.x and later); the server does not start where it is not available, as where
         * a container's seccomp profile refuses its system calls.
         */
        IO_URING("io_uring"),
        /** Java NIO, on any platform. */
        NIO("nio");

        private final String wireName;

        Transport(String wireName) {
            this.wireName = wireName;
        }

        /** The name in the configuration file. */
        public String wireName() {
            return wireName;
        }
    }

    /** Settings without admin keys, a file watch or a configured warm-up. */
    public ServerSettings(String host, int port, List<String> basePaths, long maxBodyBytes, boolean routeHeaders,
                          Map<String, VirtualKey> keys, Duration shutdownGrace) {
        this(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, DEFAULT_RESPONSES_TTL,
                Set.of(), Reload.DEFAULTS, null, Transport.AUTO);
    }

    /**
     * The {@code server.reload} section.
     *
     * @param watch    whether the configuration file is polled for changes and reloaded when it changed
     *                 (default false)
     * @param interval how often it is polled (default 2 s)
     */
    public record Reload(boolean watch, Duration interval) {
        public static final Reload DEFAULTS = new Reload(false, Duration.ofSeconds(2));

        public Reload {
            if (interval.toMillis() < 1) {
                throw new IllegalArgumentException("interval must be at least 1 ms but was " + interval);
            }
        }
    }

    /** Whether the key (null: no authentication configured) may call the admin endpoints. */
    public boolean isAdmin(VirtualKey key) {
        return keys.isEmpty() || key != null && adminKeys.contains(key.name());
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
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, responsesTtl,
                adminKeys, reload, warmup, transport);
    }

    public ServerSettings withPort(int port) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, responsesTtl,
                adminKeys, reload, warmup, transport);
    }

    public ServerSettings withKeys(Map<String, VirtualKey> keys) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, responsesTtl,
                adminKeys, reload, warmup, transport);
    }

    public ServerSettings withReload(Reload reload) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, responsesTtl,
                adminKeys, reload, warmup, transport);
    }

    public ServerSettings withWarmup(Duration warmup) {
        return new ServerSettings(host, port, basePaths, maxBodyBytes, routeHeaders, keys, shutdownGrace, responsesTtl,
                adminKeys, reload, warmup, transport);
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
                    throw path.error("expected a path starting with '/' and not ending with '/' but was "
                            + path.shown(value));
                }
                if (!read.add(value.equals("/") ? "" : value)) {
                    throw path.error("base path " + path.shown(value) + " is listed twice");
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
            for (VirtualKey earlier : keys.values()) {
                if (MessageDigest.isEqual(earlier.sha256(), sha)) {
                    throw entry.error("has the same key as '" + earlier.name() + "': each virtual key needs its own");
                }
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
        Duration grace = node.field("shutdown_grace").duration(DEFAULTS.shutdownGrace());
        ConfigNode ttlNode = node.field("responses_ttl");
        Duration responsesTtl = ttlNode.duration(DEFAULTS.responsesTtl());
        if (responsesTtl.compareTo(MIN_RESPONSES_TTL) < 0 || responsesTtl.compareTo(MAX_RESPONSES_TTL) > 0) {
            throw ttlNode.error("expected a duration from 1m to 365d such as 7d but was "
                    + ttlNode.shown(ttlNode.requiredString()));
        }
        Set<String> adminKeys = new LinkedHashSet<>();
        ConfigNode admins = node.field("admin_keys");
        if (!admins.isAbsent()) {
            for (ConfigNode admin : admins.elements("a list of virtual key names")) {
                String name = admin.requiredString();
                if (!keys.containsKey(name)) {
                    throw admin.error("no virtual key '" + name + "' in server.keys");
                }
                adminKeys.add(name);
            }
        }
        Reload reload = Reload.DEFAULTS;
        ConfigNode reloadNode = node.field("reload");
        if (!reloadNode.isAbsent()) {
            reloadNode.object("a map", RELOAD_KEYS);
            ConfigNode intervalNode = reloadNode.field("interval");
            Duration interval = intervalNode.duration(Reload.DEFAULTS.interval());
            if (interval.toMillis() < 100) {
                throw intervalNode.error("expected at least 100ms but was "
                        + intervalNode.shown(intervalNode.requiredString()));
            }
            reload = new Reload(reloadNode.field("watch").bool(false), interval);
        }
        ConfigNode warmupNode = node.field("warmup");
        Duration warmup = warmupNode.duration(null);
        if (warmup != null && warmup.compareTo(Duration.ofMinutes(1)) > 0) {
            throw warmupNode.error("expected at most 1m but was " + warmupNode.shown(warmupNode.requiredString()));
        }
        ConfigNode transportNode = node.field("transport");
        Transport transport = Transport.AUTO;
        if (!transportNode.isAbsent()) {
            String name = transportNode.requiredString();
            transport = Arrays.stream(Transport.values()).filter(t -> t.wireName().equals(name)).findFirst()
                    .orElseThrow(() -> transportNode.error("expected auto, epoll, io_uring or nio but was "
                            + transportNode.shown(name)));
        }
        return new ServerSettings(node.field("host").string(DEFAULTS.host()), port, basePaths,
                node.field("max_body_bytes").longInteger(1, DEFAULTS.maxBodyBytes()),
                node.field("route_headers").bool(DEFAULTS.routeHeaders()), keys, grace, responsesTtl,
                adminKeys, reload, warmup, transport);
    }

    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
