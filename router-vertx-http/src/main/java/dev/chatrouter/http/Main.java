package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.kit.config.ConfigFiles;
import dev.chatrouter.kit.config.ConfigNode;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code java -jar chatrouter-server.jar [--config FILE] [--host H] [--port N]} (SPEC section 11). Without
 * {@code --config} it reads {@code chatrouter.yaml} in the working directory if there is one, else builds the
 * default configuration from provider keys in the environment, or the mock provider when there are none. Logs
 * what it loaded, never a secret.
 */
public final class Main {

    private static final Logger LOG = Logger.getLogger("chatrouter");
    static final String USAGE = "usage: java -jar chatrouter-server.jar [--config FILE] [--host HOST] [--port PORT]";

    private Main() {
    }

    /**
     * What the command line says.
     *
     * @param config the configuration file, or {@code null}
     * @param host   the host to listen on instead of the configured one, or {@code null}
     * @param port   the port instead of the configured one, or {@code null}
     */
    public record Options(Path config, String host, Integer port) {
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
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
        try {
            Running running = start(options, System.getenv(), Path.of("").toAbsolutePath());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("shutting down: finishing requests in flight");
                running.stop();
            }, "chatrouter-shutdown"));
        } catch (ConfigurationException e) {
            System.err.println("configuration error: " + e.getMessage());
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
                server.shutdown().toCompletableFuture().get(server.settings().shutdownGrace().toMillis() + 5_000,
                        TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warning("shutdown did not finish cleanly: " + e);
            }
            router.close();
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
        Path file = options.config();
        if (file == null && Files.isRegularFile(workingDirectory.resolve("chatrouter.yaml"))) {
            file = workingDirectory.resolve("chatrouter.yaml");
        }
        Vertx vertx = Vertx.vertx();
        try {
            // the standalone server keeps its spend across restarts unless the configuration says otherwise
            ChatRouter.Builder builder = ChatRouter.builder().service(Vertx.class, vertx).environment(env)
                    .defaultAccountingStore("durable");
            ServerSettings settings;
            List<String> secrets = new ArrayList<>();
            List<String> providers = new ArrayList<>();
            if (file != null) {
                LOG.info("configuration: " + file);
                builder.configFile(file);
                settings = ServerSettings.read(ConfigFiles.section(file, "server", env));
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
                built.skipped().forEach(v -> LOG.warning(v + " is set, but its provider plugin is not installed"));
                RouterConfig config = built.config();
                builder.config(config);
                config.providers().values().forEach(p -> secrets.add(p.apiKey()));
                settings = ServerSettings.DEFAULTS;
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
            ChatRouter router = builder.build();
            providers.forEach(LOG::info);
            if (settings.keys().isEmpty()) {
                LOG.warning("no virtual keys configured (server.keys): the API is open to anyone who can reach it");
            } else {
                LOG.info("virtual keys: " + settings.keys().keySet());
            }
            LOG.info("routes: " + router.models().stream().map(m -> m.id()).toList());
            ChatRouterServer server = ChatRouterServer.start(vertx, router, settings, secrets, 0)
                    .toCompletableFuture().join();
            LOG.info("listening on http://" + settings.host() + ":" + server.port() + " under "
                    + settings.basePaths() + " (and /health)");
            return new Running(vertx, router, server);
        } catch (RuntimeException e) {
            vertx.close();
            if (e instanceof java.util.concurrent.CompletionException && e.getCause() instanceof RuntimeException c) {
                throw c;
            }
            throw e;
        }
    }

    private static String describe(String id, String type, Set<String> models) {
        return "provider " + id + " (" + type + "): models " + models;
    }
}
