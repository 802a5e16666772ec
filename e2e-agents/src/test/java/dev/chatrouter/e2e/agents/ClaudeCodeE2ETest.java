package dev.chatrouter.e2e.agents;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Claude Code ({@code @anthropic-ai/claude-code}, pinned in the pom) runs {@code claude -p} on a task whose scripted
 * answer is a {@code Bash} tool call; it must run the command, send its output back and print the final text.
 *
 * <ul>
 *   <li>{@link #claudeCodeAgainstScriptedAnthropicUpstream()}: straight at a scripted Anthropic Messages server
 *       (proves the harness and the conversation);</li>
 *   <li>{@link #claudeCodeThroughRouterToChatCompletionsUpstream()}: at ChatRouter's {@code /v1/messages}, whose
 *       provider is a scripted OpenAI Chat Completions server, so the router's translation carries the tool call
 *       down and the tool result up. Runs once {@link RouterSurfaces#ANTHROPIC_MESSAGES} is true.</li>
 * </ul>
 */
class ClaudeCodeE2ETest {

    static final String PACKAGE = "@anthropic-ai/claude-code";
    static final String VERSION = System.getProperty("chatrouter.e2e.claude-code.version", "2.1.332");
    static final String MODEL = "claude-sonnet-4-5";
    static final String API_KEY_DIRECT = "sk-ant-e2e-direct-0000";
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void claudeCodeAgainstScriptedAnthropicUpstream() {
        try (AgentWorkspace ws = new AgentWorkspace("claude-code-direct")) {
            Path claude = claudeBinary(ws.logs);
            Scripted.anthropicMessages(ws.upstream, ws.command, ws.finalText);

            ProcessRun run = runClaude(claude, ws, ws.upstreamUrl(), API_KEY_DIRECT);

            assertCompleted(run, ws);
            List<JsonNode> messages = messagesCalls(ws);
            assertThat(messages).as(ws.journalSummary()).hasSize(2);
            for (JsonNode r : messages) {
                assertThat(r.at("/headers/x-api-key").asText()).isEqualTo(API_KEY_DIRECT);
                assertThat(r.at("/headers/anthropic-version").asText()).isEqualTo("2023-06-01");
                assertThat(r.at("/body/model").asText()).isEqualTo(MODEL);
                assertThat(r.at("/body/stream").asBoolean()).isTrue();
            }
            JsonNode result = lastToolResult(messages.get(1).at("/body/messages"));
            assertThat(result).as("the tool_result Claude Code sent back\n" + ws.journalSummary()).isNotNull();
            assertThat(result.path("tool_use_id").asText()).isEqualTo("toolu_e2e_1");
            assertThat(result.path("content").toString()).contains(ws.marker);
        }
    }

    @Test
    void claudeCodeThroughRouterToChatCompletionsUpstream() {
        RouterSurfaces.require(RouterSurfaces.ANTHROPIC_MESSAGES, "POST /v1/messages", "ANTHROPIC_MESSAGES");
        try (AgentWorkspace ws = new AgentWorkspace("claude-code-router")) {
            Path claude = claudeBinary(ws.logs);
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("command", ws.command);
            args.put("description", "Write the e2e marker");
            Scripted.chatCompletions(ws.upstream, "Bash", args, ws.finalText);

            try (RouterUnderTest router = RouterUnderTest.start(ws.root.resolve("router"), ws.upstream.port())) {
                ProcessRun run = runClaude(claude, ws, router.origin(), RouterUnderTest.KEY);
                assertCompleted(run, ws);
            }
            List<JsonNode> chats = ws.requests().stream()
                    .filter(r -> r.path("url").asText().startsWith("/v1/chat/completions")).toList();
            assertThat(chats).as(ws.journalSummary()).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode r : chats) {
                assertThat(r.at("/headers/authorization").asText()).isEqualTo("Bearer " + RouterUnderTest.UPSTREAM_KEY);
                assertThat(r.at("/body/model").asText()).isEqualTo(RouterUnderTest.UPSTREAM_MODEL);
            }
            JsonNode first = chats.get(0).path("body");
            assertThat(toolNames(first)).as("tools the router sent upstream").contains("Bash");
            JsonNode last = chats.get(chats.size() - 1).path("body");
            JsonNode toolMessage = null;
            for (JsonNode m : last.path("messages")) {
                if ("tool".equals(m.path("role").asText())) {
                    toolMessage = m;
                }
            }
            assertThat(toolMessage).as("a role=tool message in the last upstream call\n" + ws.journalSummary())
                    .isNotNull();
            assertThat(toolMessage.path("tool_call_id").asText()).isEqualTo("call_e2e_1");
            assertThat(toolMessage.path("content").toString()).contains(ws.marker);
        }
    }

    /** Installs the pinned package once per machine and returns its native binary. */
    static Path claudeBinary(Path logs) {
        Path dir = NpmCli.install(PACKAGE, VERSION, logs);
        Path bin = dir.resolve("node_modules/.bin/claude");
        // The wrapper's postinstall copies the platform binary over bin/claude.exe; where npm ran no install
        // scripts, the platform package's own binary is the same file.
        try {
            if (Files.isRegularFile(bin) && Files.size(bin.toRealPath()) > 1_000_000) {
                return bin;
            }
            try (Stream<Path> platforms = Files.list(dir.resolve("node_modules/@anthropic-ai"))) {
                return platforms.filter(p -> p.getFileName().toString().startsWith("claude-code-"))
                        .map(p -> p.resolve("claude")).filter(Files::isExecutable).findFirst()
                        .orElseThrow(() -> new AssertionError("no claude binary under " + dir));
            }
        } catch (IOException e) {
            throw new AssertionError("no claude binary under " + dir, e);
        }
    }

    /** The command line and environment docs/agents.md shows. */
    static ProcessRun runClaude(Path claude, AgentWorkspace ws, String baseUrl, String apiKey) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", ws.home.toString());
        env.put("ANTHROPIC_BASE_URL", baseUrl);
        env.put("ANTHROPIC_API_KEY", apiKey);
        env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        env.put("DISABLE_TELEMETRY", "1");
        env.put("DISABLE_AUTOUPDATER", "1");
        env.put("DISABLE_ERROR_REPORTING", "1");
        // Claude Code retries even a 401 or 404 ten times with backoff; one retry is enough on loopback.
        env.put("CLAUDE_CODE_MAX_RETRIES", "1");
        env.putAll(ws.proxy.env());
        List<String> cmd = new ArrayList<>(List.of(claude.toString(), "-p",
                "Run this shell command with the Bash tool, then say what out.txt holds: " + ws.command,
                "--model", MODEL, "--output-format", "json", "--allowedTools", "Bash", "--max-turns", "4"));
        return ProcessRun.start(cmd, ws.work, env, false, ws.logs.resolve("claude"), TIMEOUT);
    }

    static void assertCompleted(ProcessRun run, AgentWorkspace ws) {
        String context = run.describe() + "\n" + ws.journalSummary();
        assertThat(run.timedOut()).as(context).isFalse();
        assertThat(run.exitCode()).as(context).isZero();
        JsonNode out;
        try {
            out = Scripted.JSON.readTree(run.stdout());
        } catch (IOException e) {
            throw new AssertionError("claude --output-format json printed no JSON\n" + context, e);
        }
        assertThat(out.path("is_error").asBoolean()).as(context).isFalse();
        assertThat(out.path("result").asText()).as(context).isEqualTo(ws.finalText);
        assertThat(ws.outFile()).as("out.txt written by the Bash tool\n" + context).isEqualTo(ws.marker + "\n");
        assertThat(ws.proxy.attempts()).as("calls to hosts beyond loopback").isEmpty();
    }

    private static List<JsonNode> messagesCalls(AgentWorkspace ws) {
        return ws.requests().stream().filter(r -> r.path("url").asText().startsWith("/v1/messages")
                && !r.path("url").asText().startsWith("/v1/messages/count_tokens")).toList();
    }

    private static JsonNode lastToolResult(JsonNode messages) {
        JsonNode found = null;
        for (JsonNode m : messages) {
            for (JsonNode block : m.path("content")) {
                if ("tool_result".equals(block.path("type").asText())) {
                    found = block;
                }
            }
        }
        return found;
    }

    static List<String> toolNames(JsonNode chatBody) {
        List<String> names = new ArrayList<>();
        chatBody.path("tools").forEach(t -> names.add(t.at("/function/name").asText()));
        return names;
    }
}
