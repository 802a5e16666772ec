package dev.chatrouter.e2e.agents;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Codex CLI ({@code @openai/codex}, pinned in the pom) runs {@code codex exec} on a task whose scripted answer
 * is an {@code exec_command} function call; it must run the command, send its output back as a
 * {@code function_call_output} and print the final text.
 *
 * <ul>
 *   <li>{@link #codexAgainstScriptedResponsesUpstream()}: straight at a scripted Responses API server;</li>
 *   <li>{@link #codexThroughRouterToChatCompletionsUpstream()}: at ChatRouter's {@code /v1/responses}, whose
 *       provider is a scripted Chat Completions server. Runs once {@link RouterSurfaces#OPENAI_RESPONSES} is
 *       true.</li>
 * </ul>
 */
class CodexE2ETest {

    static final String PACKAGE = "@openai/codex";
    static final String VERSION = System.getProperty("chatrouter.e2e.codex.version", "0.171.0");
    static final String MODEL = "gpt-5.1-codex";
    static final String API_KEY_DIRECT = "sk-e2e-direct-0000";
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void codexAgainstScriptedResponsesUpstream() {
        try (AgentWorkspace ws = new AgentWorkspace("codex-direct")) {
            Path codex = codexBinary(ws.logs);
            Scripted.responses(ws.upstream, ws.command, ws.finalText);

            ProcessRun run = runCodex(codex, ws, ws.upstreamUrl() + "/v1", API_KEY_DIRECT);

            assertCompleted(run, ws);
            List<JsonNode> calls = ws.requests().stream()
                    .filter(r -> r.path("url").asText().startsWith("/v1/responses")).toList();
            assertThat(calls).as(ws.journalSummary()).hasSize(2);
            for (JsonNode r : calls) {
                assertThat(r.at("/headers/authorization").asText()).isEqualTo("Bearer " + API_KEY_DIRECT);
                assertThat(r.at("/body/model").asText()).isEqualTo(MODEL);
                assertThat(r.at("/body/stream").asBoolean()).isTrue();
            }
            JsonNode output = null;
            for (JsonNode item : calls.get(1).at("/body/input")) {
                if ("function_call_output".equals(item.path("type").asText())) {
                    output = item;
                }
            }
            assertThat(output).as("the function_call_output Codex sent back\n" + ws.journalSummary()).isNotNull();
            assertThat(output.path("call_id").asText()).isEqualTo("call_e2e_1");
            assertThat(output.path("output").toString()).contains(ws.marker);
        }
    }

    @Test
    void codexThroughRouterToChatCompletionsUpstream() {
        RouterSurfaces.require(RouterSurfaces.OPENAI_RESPONSES, "POST /v1/responses", "OPENAI_RESPONSES");
        try (AgentWorkspace ws = new AgentWorkspace("codex-router")) {
            Path codex = codexBinary(ws.logs);
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("cmd", ws.command);
            Scripted.chatCompletions(ws.upstream, "exec_command", args, ws.finalText);

            try (RouterUnderTest router = RouterUnderTest.start(ws.root.resolve("router"), ws.upstream.port())) {
                ProcessRun run = runCodex(codex, ws, router.origin() + "/v1", RouterUnderTest.KEY);
                assertCompleted(run, ws);
            }
            List<JsonNode> chats = ws.requests().stream()
                    .filter(r -> r.path("url").asText().startsWith("/v1/chat/completions")).toList();
            assertThat(chats).as(ws.journalSummary()).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode r : chats) {
                assertThat(r.at("/headers/authorization").asText()).isEqualTo("Bearer " + RouterUnderTest.UPSTREAM_KEY);
                assertThat(r.at("/body/model").asText()).isEqualTo(RouterUnderTest.UPSTREAM_MODEL);
            }
            assertThat(ClaudeCodeE2ETest.toolNames(chats.get(0).path("body"))).as("tools the router sent upstream")
                    .contains("exec_command");
            JsonNode toolMessage = null;
            for (JsonNode m : chats.get(chats.size() - 1).at("/body/messages")) {
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

    static Path codexBinary(Path logs) {
        Path bin = NpmCli.install(PACKAGE, VERSION, logs).resolve("node_modules/.bin/codex");
        assertThat(bin).as("the codex launcher").isRegularFile();
        return bin;
    }

    /**
     * A fresh CODEX_HOME whose config.toml names the endpoint as a custom provider (the file docs/agents.md shows),
     * then {@code codex exec}.
     */
    static ProcessRun runCodex(Path codex, AgentWorkspace ws, String baseUrl, String apiKey) {
        Path codexHome = ws.root.resolve("codex-home");
        Path lastMessage = ws.logs.resolve("codex-last-message.txt");
        try {
            Files.createDirectories(codexHome);
            Files.writeString(codexHome.resolve("config.toml"), config(baseUrl));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", ws.home.toString());
        env.put("CODEX_HOME", codexHome.toString());
        env.put("CHATROUTER_API_KEY", apiKey);
        env.putAll(ws.proxy.env());
        List<String> cmd = List.of(codex.toString(), "exec", "--skip-git-repo-check",
                "--sandbox", "danger-full-access", "--output-last-message", lastMessage.toString(),
                "Run this shell command, then say what out.txt holds: " + ws.command);
        ProcessRun run = ProcessRun.start(cmd, ws.work, env, false, ws.logs.resolve("codex"), TIMEOUT);
        try {
            String last = Files.isRegularFile(lastMessage) ? Files.readString(lastMessage).strip() : "";
            assertThat(last).as("codex --output-last-message\n" + run.describe()).isEqualTo(ws.finalText);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run;
    }

    static String config(String baseUrl) {
        return """
                model = "%s"
                model_provider = "chatrouter"

                [model_providers.chatrouter]
                name = "ChatRouter"
                base_url = "%s"
                wire_api = "responses"
                env_key = "CHATROUTER_API_KEY"
                request_max_retries = 1
                stream_max_retries = 1

                # No calls beyond the provider: no metrics export, no curated-plugin sync.
                [analytics]
                enabled = false

                [features]
                plugins = false
                """.formatted(MODEL, baseUrl);
    }

    static void assertCompleted(ProcessRun run, AgentWorkspace ws) {
        String context = run.describe() + "\n" + ws.journalSummary();
        assertThat(run.timedOut()).as(context).isFalse();
        assertThat(run.exitCode()).as(context).isZero();
        assertThat(run.stdout()).as(context).contains(ws.finalText);
        assertThat(ws.outFile()).as("out.txt written by exec_command\n" + context).isEqualTo(ws.marker + "\n");
        assertThat(ws.proxy.attempts()).as("calls to hosts beyond loopback").isEmpty();
    }
}
