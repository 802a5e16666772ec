package dev.chatrouter.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line in a separate JVM, as an operator runs it: the shutdown log survives SIGTERM, --version
 * prints the version, and a port in use is a clear message and a non-zero exit. Every wait is bounded.
 */
class MainProcessTest {

    @TempDir
    Path dir;
    Process process;
    Thread reader;
    final List<String> output = new ArrayList<>();
    CompletableFuture<Void> listening;

    @AfterEach
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** Starts Main with the test class path in the temporary directory, without provider keys. */
    private void start(String... args) throws IOException {
        // the server's own logging, as in its jar: the tests' logback-test.xml keeps the router's lines for appenders
        String logging = "-Dlogback.configurationFile=" + Main.class.getResource("/logback.xml");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), logging, "-cp", System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path")), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        for (String key : List.of("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "OPENROUTER_API_KEY",
                "DEEPINFRA_API_KEY")) {
            builder.environment().remove(key);
        }
        synchronized (output) {
            output.clear();
        }
        CompletableFuture<Void> listening = new CompletableFuture<>();
        this.listening = listening;
        process = builder.start();
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (output) {
                        output.add(line);
                    }
                    if (line.contains("listening on http://")) {
                        listening.complete(null);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "main-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits for the process to end and its output to be read to the end; returns its exit code. */
    private int exit() throws Exception {
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the process ends").isTrue();
        reader.join(10_000);
        assertThat(reader.isAlive()).as("the output was read to its end").isFalse();
        return process.exitValue();
    }

    /** Waits for the "listening" line; on a timeout, fails showing what the process printed. */
    private void awaitListening() throws Exception {
        try {
            listening.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no 'listening on' line within 30 s; the process printed: " + lines(), e);
        }
    }

    private List<String> lines() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** SIGTERM: the server shuts down and the last line it prints says it stopped; five times over. */
    @Test
    void shutdownLogsStoppedLast() throws Exception {
        for (int run = 0; run < 5; run++) {
            start("--port", "0");
            awaitListening();

            // SIGTERM, as Process.destroy() sends it, but through the handle: Process.destroy() also closes the
            // pipes on this side, and the lines printed after it would never be read
            assertThat(process.toHandle().destroy()).isTrue();

            int code = exit();
            List<String> lines = lines();
            assertThat(lines).as("run %d, exit %d", run, code).anySatisfy(l -> assertThat(l).contains("shutting down"));
            assertThat(lines.get(lines.size() - 1)).as("run %d: %s", run, lines).endsWith("stopped");
        }
    }

    /** --version prints chatrouter and Maven's version, and exits 0. */
    @Test
    void versionPrintsTheVersion() throws Exception {
        start("--version");

        assertThat(exit()).isZero();
        assertThat(lines()).containsExactly("chatrouter " + Main.version());
        assertThat(Main.version()).doesNotContain("$").isNotEqualTo("unknown");
    }

    /** A port in use: the message names host and port, and the exit code is not zero. */
    @Test
    void portInUseExitsNonZero() throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            start("--host", "127.0.0.1", "--port", Integer.toString(held.getLocalPort()));

            assertThat(exit()).isEqualTo(1);
            assertThat(String.join("\n", lines()))
                    .contains("cannot listen on 127.0.0.1:" + held.getLocalPort() + ": address already in use");
        }
    }
}
