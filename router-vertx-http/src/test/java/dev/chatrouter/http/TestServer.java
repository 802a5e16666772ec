package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.kit.config.ConfigFiles;
import dev.chatrouter.kit.config.ConfigNode;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real ChatRouter HTTP server for tests: writes the YAML to a file, builds the router from it on a Vert.x
 * instance of its own, reads the {@code server} section as {@link Main} does and listens on a free port.
 * {@link #close()} shuts everything down, each step bounded.
 */
final class TestServer implements AutoCloseable {

    final Vertx vertx;
    final ChatRouter router;
    final ChatRouterServer server;
    final List<String> secrets;

    private TestServer(Vertx vertx, ChatRouter router, ChatRouterServer server, List<String> secrets) {
        this.vertx = vertx;
        this.router = router;
        this.server = server;
        this.secrets = secrets;
    }

    static TestServer start(Path dir, String yaml, Map<String, String> env) {
        return start(dir, yaml, env, builder -> builder);
    }

    /** Starts a server whose router is also given what {@code extra} adds to its builder. */
    static TestServer start(Path dir, String yaml, Map<String, String> env,
                            java.util.function.UnaryOperator<ChatRouter.Builder> extra) {
        Path file = dir.resolve("chatrouter-" + System.nanoTime() + ".yaml");
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Vertx vertx = Vertx.vertx();
        try {
            ChatRouter router = extra.apply(ChatRouter.builder().configFile(file).environment(env)
                    .service(Vertx.class, vertx)).build();
            ServerSettings settings = ServerSettings.read(ConfigFiles.section(file, "server", env)).withPort(0);
            List<String> secrets = new ArrayList<>();
            ConfigFiles.section(file, "providers", env).entries("providers").forEach((id, node) -> {
                ConfigNode key = node.field("api_key");
                if (!key.isAbsent()) {
                    secrets.add(key.requiredString());
                }
            });
            ChatRouterServer server = ChatRouterServer.start(vertx, router, settings, secrets, 2)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new TestServer(vertx, router, server, secrets);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("test server did not start: " + e, e);
        }
    }

    int port() {
        return server.port();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        try {
            server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing the rest matters more
        }
        router.close();
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the JVM ends soon anyway
        }
    }

    /** A fixture from router-core's test jar, such as {@code sse/di-stream-haiku.sse}. */
    static String fixture(String path) {
        try (InputStream in = TestServer.class.getClassLoader().getResourceAsStream("fixtures/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
