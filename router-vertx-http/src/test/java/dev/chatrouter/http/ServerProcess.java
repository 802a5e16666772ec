package dev.chatrouter.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone server ({@link Main}) in a child JVM, on the test's class path, listening on a given loopback
 * port, its output in a log file: to be killed with {@code kill -9} ({@link #kill()}) as a crash would.
 */
final class ServerProcess implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path config;
    private final Path workingDirectory;
    private final Path log;
    private final int port;
    private Process process;

    ServerProcess(Path config, Path workingDirectory, int port) {
        this.config = config;
        this.workingDirectory = workingDirectory;
        this.port = port;
        this.log = workingDirectory.resolve("server-" + port + ".log");
    }

    int port() {
        return port;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Starts the server and waits, at most 60 s, until {@code /health} answers 200. */
    ServerProcess start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // the server's own logging, as in its jar (the tests' logback-test.xml drops the router's lines)
                "-Dlogback.configurationFile=" + Main.class.getResource("/logback.xml"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port)))
                .directory(workingDirectory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!healthy()) {
            if (!process.isAlive()) {
                throw new AssertionError("the server on port " + port + " exited with " + process.exitValue()
                        + ":\n" + log());
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new AssertionError("the server on port " + port + " was not healthy within 60 s:\n" + log());
            }
            Thread.sleep(50);
        }
        return this;
    }

    private boolean healthy() {
        try {
            HttpResponse<Void> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url("/health")))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code kill -9}: no shutdown hook runs; waits, at most 10 s, until the process is gone. */
    void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the server on port " + port + " did not die within 10 s");
        }
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no output)";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
