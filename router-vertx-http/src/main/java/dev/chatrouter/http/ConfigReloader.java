package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.kit.config.ConfigFiles;
import dev.chatrouter.kit.config.ConfigNode;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Re-reads a configuration file for a reload, exactly as the server read it at startup: a new router, built to
 * {@linkplain ChatRouter.Builder#continueFrom continue from} the one serving, and the file's {@code server} section.
 * A file with an error throws the same {@link dev.chatrouter.api.ConfigurationException} it would at startup, and
 * nothing is built. See docs/operations.md, "Reload".
 */
public final class ConfigReloader {

    private final Path file;
    private final Map<String, String> environment;
    private final Vertx vertx;
    private final Consumer<ChatRouter.Builder> customizer;
    private final ServerSettings atStartup;

    /**
     * @param file        the configuration file the server was started from
     * @param environment where {@code ${VAR}} is looked up
     * @param vertx       the server's Vert.x instance, handed to every router built (which then do not close it)
     * @param customizer  what else the builder needs, as at startup (a clock, plugins); may do nothing
     */
    public ConfigReloader(Path file, Map<String, String> environment, Vertx vertx,
                          Consumer<ChatRouter.Builder> customizer) {
        this.file = Objects.requireNonNull(file, "file");
        this.environment = Map.copyOf(environment);
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.customizer = Objects.requireNonNull(customizer, "customizer");
        ServerSettings read;
        try {
            read = ServerSettings.read(ConfigFiles.section(file, "server", environment));
        } catch (RuntimeException e) {
            // the server read this file a moment ago; if it broke since, restart hints compare with the defaults
            read = ServerSettings.DEFAULTS;
        }
        this.atStartup = read;
    }

    /** The file reloads read. */
    public Path file() {
        return file;
    }

    /**
     * What a reload built.
     *
     * @param router          the new router
     * @param settings        the file's {@code server} section
     * @param secrets         the provider API keys in the file, to redact
     * @param restartRequired the {@code server} keys that changed since startup but take effect only on a restart
     */
    public record Reloaded(ChatRouter router, ServerSettings settings, List<String> secrets,
                           List<String> restartRequired) {
        public Reloaded {
            secrets = List.copyOf(secrets);
            restartRequired = List.copyOf(restartRequired);
        }
    }

    /**
     * Reads the file and builds a router that continues from {@code previous}.
     *
     * @throws dev.chatrouter.api.ConfigurationException if the file is wrong; nothing was built then
     */
    public Reloaded load(ChatRouter previous) {
        if (!Files.isRegularFile(file)) {
            throw new dev.chatrouter.api.ConfigurationException(file.toString(), null,
                    "the configuration file is gone or is not a regular file");
        }
        ServerSettings settings = ServerSettings.read(ConfigFiles.section(file, "server", environment));
        Main.checkKeyReferences(file, environment);
        List<String> secrets = new ArrayList<>();
        ConfigFiles.section(file, "providers", environment).entries("a map of providers").forEach((id, node) -> {
            ConfigNode key = node.field("api_key").secret();
            if (!key.isAbsent() && key.isString()) {
                secrets.add(key.requiredString());
            }
        });
        ChatRouter.Builder builder = ChatRouter.builder().service(Vertx.class, vertx).environment(environment)
                .configFile(file).continueFrom(previous);
        customizer.accept(builder);
        ChatRouter router = builder.build();
        List<String> restart = new ArrayList<>();
        if (!settings.host().equals(atStartup.host())) {
            restart.add("server.host");
        }
        if (settings.port() != atStartup.port()) {
            restart.add("server.port");
        }
        if (!settings.reload().equals(atStartup.reload())) {
            restart.add("server.reload");
        }
        if (settings.transport() != atStartup.transport()) {
            restart.add("server.transport");
        }
        return new Reloaded(router, settings, secrets, restart);
    }

    /** The file's last-modified time and size, to notice a change; {@code null} when it cannot be read. */
    String fingerprint() {
        try {
            return Files.getLastModifiedTime(file) + "/" + Files.size(file);
        } catch (IOException e) {
            return null;
        }
    }
}
