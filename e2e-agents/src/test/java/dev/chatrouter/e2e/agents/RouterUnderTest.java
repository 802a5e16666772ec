package dev.chatrouter.e2e.agents;

import dev.chatrouter.http.Main;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The ChatRouter HTTP server, in this JVM, on a free loopback port, started as the command line starts it
 * ({@link Main#start}), with one OpenAI-compatible provider whose base_url is the scripted upstream. Every model id
 * the agents send ({@code claude-*}, {@code gpt-*}, anything else through {@code default_route}) resolves to the
 * one route, and a virtual key is required, so the agents' auth headers are exercised too.
 */
final class RouterUnderTest implements AutoCloseable {

    static final String KEY = "vk-e2e-agents-7f3a";
    static final String UPSTREAM_KEY = "sk-upstream-e2e-91c2";
    static final String UPSTREAM_MODEL = "up-model";

    static final String CONFIG = """
            providers:
              up:
                type: openai
                base_url: http://127.0.0.1:${E2E_UPSTREAM_PORT}/v1
                api_key: ${E2E_UPSTREAM_KEY}
                timeouts: { connect_ms: 2000, first_token_ms: 30000, total_ms: 60000 }
                models:
                  agent-model:
                    upstream: up-model
                    context_window: 2000000
                    max_output_tokens: 200000
                    capabilities: [tools, vision, document, json_schema, streaming, prompt_cache, reasoning]
            routes:
              agents:
                match: ["claude-*", "gpt-*"]
                pools:
                  "*": { policy: priority, targets: [up/agent-model] }
                fallback: { retries_per_target: 0 }
            default_route: agents
            server:
              keys:
                e2e: { key: "${E2E_KEY}" }
            """;

    private final Main.Running running;

    private RouterUnderTest(Main.Running running) {
        this.running = running;
    }

    static RouterUnderTest start(Path dir, int upstreamPort) {
        Path file = dir.resolve("chatrouter.yaml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, CONFIG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = Map.of("E2E_UPSTREAM_PORT", Integer.toString(upstreamPort),
                "E2E_UPSTREAM_KEY", UPSTREAM_KEY, "E2E_KEY", KEY);
        return new RouterUnderTest(Main.start(new Main.Options(file, "127.0.0.1", 0), env, dir));
    }

    /** {@code http://127.0.0.1:PORT}, without a base path. */
    String origin() {
        return "http://127.0.0.1:" + running.server().port();
    }

    @Override
    public void close() {
        running.stop();
    }
}
