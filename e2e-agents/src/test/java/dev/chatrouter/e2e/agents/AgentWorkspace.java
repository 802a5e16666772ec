package dev.chatrouter.e2e.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * What one agent run needs: its folders under {@code target/e2e-agents/<name>/} (a fresh HOME, the logs; the
 * working directory the shell command writes into is a fresh temporary folder outside the repository), a marker
 * unique to the run, the shell command that writes it, the final text the scripted model ends with, a scripted upstream (WireMock on loopback) and the deny-all proxy.
 * The folders under target stay after the run, with the upstream's request journal in
 * {@code upstream-requests.json} and a copy of the working directory's {@code out.txt}.
 */
final class AgentWorkspace implements AutoCloseable {

    final Path root;
    final Path home;
    final Path work;
    final Path logs;
    final String marker;
    final String command;
    final String finalText;
    final WireMockServer upstream;
    final DenyProxy proxy;

    AgentWorkspace(String name) {
        root = Path.of("target", "e2e-agents", name).toAbsolutePath();
        try {
            NpmCli.deleteTree(root);
            home = Files.createDirectories(root.resolve("home"));
            // The agent's working directory lies outside this repository: Codex takes the enclosing git root as
            // its project (reading its AGENTS.md and git state) and Claude Code reads every CLAUDE.md above it.
            work = Files.createTempDirectory("chatrouter-e2e-" + name + "-");
            logs = Files.createDirectories(root.resolve("logs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        marker = "chatrouter-e2e-" + HexFormat.of().formatHex(random);
        command = "echo " + marker + " | tee out.txt";
        finalText = "Done: out.txt holds " + marker + ".";
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
                .maxRequestJournalEntries(200));
        upstream.start();
        proxy = new DenyProxy();
    }

    String upstreamUrl() {
        return "http://127.0.0.1:" + upstream.port();
    }

    String outFile() {
        Path out = work.resolve("out.txt");
        try {
            return Files.isRegularFile(out) ? Files.readString(out) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The upstream's requests, oldest first, bodies parsed where they are JSON. */
    List<JsonNode> requests() {
        return upstream.getAllServeEvents().stream()
                .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
                .map(AgentWorkspace::describe).toList();
    }

    private static JsonNode describe(ServeEvent e) {
        ObjectNode n = Scripted.JSON.createObjectNode();
        n.put("method", e.getRequest().getMethod().getName());
        n.put("url", e.getRequest().getUrl());
        n.put("status", e.getResponse().getStatus());
        ObjectNode headers = n.putObject("headers");
        for (HttpHeader h : e.getRequest().getHeaders().all()) {
            headers.put(h.key().toLowerCase(java.util.Locale.ROOT), String.join(", ", h.values()));
        }
        String body = e.getRequest().getBodyAsString();
        try {
            n.set("body", Scripted.JSON.readTree(body));
        } catch (IOException notJson) {
            n.put("body", body);
        }
        n.put("response_content_type", e.getResponse().getHeaders().getContentTypeHeader().firstValue());
        n.put("response_body", e.getResponse().getBodyAsString());
        return n;
    }

    /** The journal, for the report and as the source of the captured shapes in src/test/resources. */
    void saveJournal() {
        ArrayNode all = Scripted.JSON.createArrayNode();
        requests().forEach(all::add);
        try {
            Files.writeString(root.resolve("upstream-requests.json"),
                    Scripted.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** For assertion messages: method, URL and status of each upstream request. */
    String journalSummary() {
        StringBuilder sb = new StringBuilder("upstream requests (" + root.resolve("upstream-requests.json") + "):");
        for (JsonNode r : requests()) {
            sb.append("\n  ").append(r.path("method").asText()).append(' ').append(r.path("url").asText())
                    .append(" -> ").append(r.path("status").asInt());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            saveJournal();
            Path out = work.resolve("out.txt");
            if (Files.isRegularFile(out)) {
                Files.copy(out, logs.resolve("out.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            NpmCli.deleteTree(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            upstream.stop();
            proxy.close();
        }
    }
}
