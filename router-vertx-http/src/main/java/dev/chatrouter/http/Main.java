package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.kit.config.ConfigFiles;
import dev.chatrouter.kit.config.ConfigNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code java -jar chatrouter-server.jar [--config FILE] [--host H] [--port N]} (docs/operations.md#command-line). Without
 * {@code --config} it reads {@code chatrouter.yaml} in the working directory if there is one, else builds the
 * default configuration from provider keys in the environment, or the mock provider when there are none. Logs
 * what it loaded, never a secret.
 */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    static final String USAGE = """
            usage: java -jar chatrouter-server.jar [--config FILE] [--host HOST] [--port PORT]
              --config FILE  the configuration (default: chatrouter.yaml here, else one built from the environment)
              --host HOST    the address to listen on instead of server.host
              --port PORT    the port to listen on instead of server.port (0: any free port)
              --version      print the version and exit
              --help, -h     print this and exit""";
    /**
     * The warm-up of the server jar when {@code server.warmup} is not configured. {@link #start(Options, Map, Path)}
     * (for embedding and tests) warms up only when configured.
     */
    static final java.time.Duration DEFAULT_WARMUP = java.time.Duration.ofSeconds(20);

    private Main() {
    }

    /**
     * What the command line says.
     *
     * @param config the configuration file, or {@code null}
     * @param host   the host to listen on instead of the configured one, or {@code null}
     * @param port    the port instead of the configured one, or {@code null}
     * @param version true for {@code --version}: print the version, start nothing
     */
    public record Options(Path config, String host, Integer port, boolean version) {
        /** Options that start the server. */
        public Options(Path config, String host, Integer port) {
            this(config, host, port, false);
        }
    }

    /**
     * The version of this build: {@code chatrouter-version.properties}, which Maven filters with the project's
     * version, so that it is known in tests as well as in the jar.
     */
    static String version() {
        try (var in = Main.class.getResourceAsStream("chatrouter-version.properties")) {
            if (in != null) {
                java.util.Properties properties = new java.util.Properties();
                properties.load(in);
                String version = properties.getProperty("version");
                if (version != null && !version.isBlank() && !version.startsWith("${")) {
                    return version;
                }
            }
        } catch (java.io.IOException ignored) {
            // fall back to the manifest
        }
        String fromManifest = Main.class.getPackage().getImplementationVersion();
        return fromManifest != null ? fromManifest : "unknown";
    }

    public static void main(String[] args) {
        if (System.getProperty("vertx.logger-delegate-factory-class-name") == null) {
            // Vert.x logs through SLF4J too, so everything reaches the server's one backend (logback.xml)
            System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
        }
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(USAGE);
            return;
        }
        if (options.version()) {
            System.out.println("chatrouter " + version());
            return;
        }
        // The hook is there before the "listening" line: a SIGTERM as soon as it is printed still stops gracefully.
        // It logs through Logback, which has no shutdown hook of its own here to race with (java.util.logging's
        // reset its handlers while this hook ran, and the last lines were lost).
        AtomicReference<Running> started = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Running running = started.get();
            if (running == null) {
                return; // it did not start: its error is already printed
            }
            LOG.info("shutting down: finishing requests in flight");
            running.stop();
            LOG.info("stopped");
        }, "chatrouter-shutdown"));
        try {
            start(options, System.getenv(), Path.of("").toAbsolutePath(), DEFAULT_WARMUP, started::set);
        } catch (ConfigurationException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(1);
        } catch (java.io.UncheckedIOException e) {
            System.err.println(e.getMessage()); // cannot listen on 127.0.0.1:8080: address already in use
            System.exit(1);
        } catch (RuntimeException e) {
            System.err.println("could not start: " + e);
            System.exit(1);
        }
    }

    /** Parses the command line; {@code null} for --help. */
    static Options parse(String[] args) {
        Path config = null;
        String host = null;
        Integer port = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--version" -> {
                    return new Options(null, null, null, true);
                }
                case "--config" -> config = Path.of(value(args, ++i, arg));
                case "--host" -> host = value(args, ++i, arg);
                case "--port" -> {
                    String text = value(args, ++i, arg);
                    try {
                        port = Integer.parseInt(text);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) {
                        throw new IllegalArgumentException("--port: expected a port from 0 to 65535 but was '" + text + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        return new Options(config, host, port);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** A started server with what it owns. */
    public record Running(Vertx vertx, ChatRouter router, ChatRouterServer server) {
        /** Shuts the server down gracefully, then closes the router and Vert.x. */
        public void stop() {
            try {
                server.shutdown().toCompletableFuture().get(server.shutdownGrace().toMillis() + 5_000,
                        TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("shutdown did not finish cleanly: " + e);
            }
            router.close();
            server.router().close(); // the one a reload built, if any (closing twice does nothing)
            vertx.close();
        }
    }

    /**
     * Starts the router and server as the command line says; logs what was loaded.
     *
     * @param env              where {@code ${VAR}} and provider keys are looked up
     * @param workingDirectory where {@code chatrouter.yaml} is looked for
     */
    public static Running start(Options options, Map<String, String> env, Path workingDirectory) {
        return start(options, env, workingDirectory, java.time.Duration.ZERO, running -> { });
    }

    /**
     * As {@link #start(Options, Map, Path)}, warming up for {@code defaultWarmup} unless configured otherwise, and
     * handing the server to {@code started} before it logs its address.
     */
    static Running start(Options options, Map<String, String> env, Path workingDirectory,
                         java.time.Duration defaultWarmup, java.util.function.Consumer<Running> started) {
        Path file = options.config();
        if (file == null && Files.isRegularFile(workingDirectory.resolve("chatrouter.yaml"))) {
            file = workingDirectory.resolve("chatrouter.yaml");
        }
        if (file != null) {
            LOG.info("configuration: " + file);
        }
        // read first: the transport is chosen as Vert.x starts
        ServerSettings settings = file != null ? ServerSettings.read(ConfigFiles.section(file, "server", env))
                : ServerSettings.DEFAULTS;
        Vertx vertx = vertx(settings.transport(), file);
        try {
            // the standalone server keeps its spend across restarts unless the configuration says otherwise
            ChatRouter.Builder builder = ChatRouter.builder().service(Vertx.class, vertx).environment(env)
                    .defaultAccountingStore("durable");
            List<String> secrets = new ArrayList<>();
            List<String> providers = new ArrayList<>();
            if (file != null) {
                builder.configFile(file);
                ConfigFiles.section(file, "providers", env).entries("a map of providers").forEach((id, node) -> {
                    ConfigNode key = node.field("api_key").secret();
                    if (!key.isAbsent() && key.isString()) {
                        secrets.add(key.requiredString());
                    }
                    ConfigNode models = node.field("models");
                    providers.add(describe(id, node.field("type").isString() ? node.field("type").requiredString()
                            : "?", models.isMap() ? models.entries("a map of models").keySet() : Set.of()));
                });
            } else {
                Set<String> types = new HashSet<>();
                ServiceLoader.load(ProviderFactory.class).forEach(f -> types.add(f.type()));
                DefaultConfig.Built built = DefaultConfig.fromEnvironment(env, types::contains);
                built.skipped().forEach(v -> LOG.warn(v + " is set, but its provider plugin is not installed"));
                RouterConfig config = built.config();
                builder.config(config);
                config.providers().values().forEach(p -> secrets.add(p.apiKey()));
                LOG.info("no configuration file: using the built-in default"
                        + (config.providers().containsKey("mock") ? " (the mock provider: no API key is set)" : ""));
                config.providers().values().forEach(p -> providers.add(describe(p.id(), p.type(),
                        p.models().keySet())));
            }
            if (options.host() != null) {
                settings = settings.withHost(options.host());
            }
            if (options.port() != null) {
                settings = settings.withPort(options.port());
            }
            ServerObservability observability = ServerObservability.create();
            ChatRouter router = observability.install(builder).build();
            if (file != null) {
                try {
                    checkKeyReferences(file, env);
                } catch (RuntimeException e) {
                    router.close();
                    throw e;
                }
            }
            providers.forEach(p -> LOG.info(p));
            if (settings.keys().isEmpty()) {
                LOG.warn("no virtual keys configured (server.keys): the API is open to anyone who can reach it");
            } else {
                LOG.info("virtual keys: " + settings.keys().keySet());
            }
            LOG.info("routes: " + router.models().stream().map(m -> m.id()).toList());
            WarmUp.run(vertx, settings.warmup() != null ? settings.warmup() : defaultWarmup,
                    Runtime.getRuntime().availableProcessors());
            ConfigReloader reloader = file == null ? null
                    : new ConfigReloader(file, env, vertx,
                            b -> observability.install(b.defaultAccountingStore("durable")));
            ChatRouterServer server = ChatRouterServer.start(vertx, router, settings, secrets, 0,
                    java.time.Clock.systemUTC(), reloader, observability).toCompletableFuture().join();
            Running running = new Running(vertx, router, server);
            started.accept(running);
            LOG.info("listening on http://" + settings.host() + ":" + server.port() + " under "
                    + settings.basePaths() + " (and /health), " + transportShown(vertx, settings.transport()));
            return running;
        } catch (RuntimeException e) {
            vertx.close();
            if (e instanceof java.util.concurrent.CompletionException && e.getCause() instanceof RuntimeException c) {
                throw c;
            }
            throw e;
        }
    }

    /**
     * A Vert.x on the configured transport. {@code auto} takes epoll where Netty's native library for it loads
     * (Linux x86_64), else Java NIO: epoll serves more requests per core than NIO and makes the {@code TCP_QUICKACK}
     * and {@code SO_REUSEPORT} options the server sets effective. A transport named explicitly must be available.
     *
     * @throws ConfigurationException naming {@code server.transport} when the one named is not available here
     */
    static Vertx vertx(ServerSettings.Transport transport, Path file) {
        if (transport == ServerSettings.Transport.AUTO) {
            return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        }
        Transport wanted = switch (transport) {
            case EPOLL -> Transport.EPOLL;
            case IO_URING -> Transport.IO_URING;
            default -> Transport.NIO;
        };
        // null when Netty's classes for it are not on the class path
        if (wanted == null || !wanted.available()) {
            Throwable cause = wanted == null ? null : wanted.unavailabilityCause();
            throw new ConfigurationException(file == null ? "the server's settings" : file.toString(),
                    "server.transport", transport.wireName() + " is not available on this machine"
                    + (cause == null ? "" : " (" + cause + ")") + "; use auto, or another transport", cause);
        }
        return Vertx.builder().with(new VertxOptions()).withTransport(wanted).build();
    }

    private static String transportShown(Vertx vertx, ServerSettings.Transport transport) {
        return switch (transport) {
            case EPOLL -> "on Linux's epoll transport";
            case IO_URING -> "on Linux's io_uring transport";
            case NIO -> "on Java NIO";
            case AUTO -> vertx.isNativeTransportEnabled() ? "on Linux's epoll transport"
                    : "on Java NIO (epoll is not available: " + vertx.unavailableNativeTransportCause() + ")";
        };
    }

    /**
     * What neither the router nor the server settings can check alone: a virtual key's {@code routes} must name
     * routes of the file, and a {@code key:NAME} budget or rate limit must name a key of {@code server.keys} (when
     * keys are configured; without them, key names come from embedding code and are not checked).
     *
     * @throws ConfigurationException naming the file and the path, such as {@code server.keys.team-b.routes[0]}
     */
    static void checkKeyReferences(Path file, Map<String, String> env) {
        ConfigNode keys = ConfigFiles.section(file, "server", env).field("keys");
        if (keys.isAbsent()) {
            return;
        }
        Map<String, ConfigNode> keyNodes = keys.entries("a map of virtual keys by name");
        Set<String> routeIds = ConfigFiles.section(file, "routes", env).entries("a map of routes by intent id")
                .keySet();
        keyNodes.forEach((name, node) -> {
            ConfigNode routes = node.field("routes");
            if (!routes.isAbsent()) {
                for (ConfigNode route : routes.elements("a list of route ids")) {
                    if (!routeIds.contains(route.requiredString())) {
                        throw route.error("names route '" + route.requiredString() + "', which is not defined; "
                                + "defined routes: " + String.join(", ", routeIds));
                    }
                }
            }
        });
        for (String section : List.of("budgets", "rate_limits")) {
            ConfigNode list = ConfigFiles.section(file, section, env);
            if (list.isAbsent()) {
                continue;
            }
            for (ConfigNode entry : list.elements("a list")) {
                ConfigNode scope = entry.field("scope");
                if (!scope.isString()) {
                    continue; // the router's reader names what is wrong with it
                }
                String value = scope.requiredString();
                if (value.startsWith("key:") && !value.equals("key:*") && !keyNodes.containsKey(value.substring(4))) {
                    throw scope.error("names key '" + value.substring(4) + "', which is not in server.keys; "
                            + "defined keys: " + String.join(", ", keyNodes.keySet()));
                }
            }
        }
    }

    private static String describe(String id, String type, Set<String> models) {
        return "provider " + id + " (" + type + "): models " + models;
    }
}
