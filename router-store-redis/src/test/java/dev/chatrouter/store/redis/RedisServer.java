package dev.chatrouter.store.redis;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on a free loopback port, without persistence, for one test class. When no
 * {@code redis-server} is on the PATH the tests fail if the environment variable {@code CI} is set, and are skipped
 * with a message otherwise.
 */
public final class RedisServer implements AutoCloseable {

    private final Path executable;
    private final int port;
    private Process process;

    private RedisServer(Path executable, int port) {
        this.executable = executable;
        this.port = port;
    }

    public static RedisServer start() throws Exception {
        Path executable = find();
        RedisServer server = new RedisServer(executable, freePort());
        server.startProcess();
        return server;
    }

    private static Path find() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = "redis-server is not on the PATH (" + path + "): install it (apt-get install redis-server)"
                + " to run the Redis store's tests";
        if (System.getenv("CI") != null) {
            throw new AssertionError(message + "; CI is set, so this is a failure, not a skip");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts redis-server (again) on the same port and waits, at most 10 s, until it answers PING. */
    public void startProcess() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is already running on " + port);
        }
        process = new ProcessBuilder(executable.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pings()) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server on port " + port + " exited with " + process.exitValue());
            }
            if (System.nanoTime() > deadline) {
                stop();
                throw new AssertionError("redis-server on port " + port + " did not answer PING within 10 s");
            }
            Thread.sleep(20);
        }
    }

    /** Kills redis-server and waits, at most 10 s, until it is gone. */
    public void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("redis-server on port " + port + " did not stop within 10 s");
        }
    }

    /** Sends one inline command answered by a line or a bulk string, and returns the raw reply. */
    public String command(String line) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1 << 16];
            StringBuilder reply = new StringBuilder();
            int n = in.read(buf);
            while (n > 0) {
                reply.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (complete(reply)) {
                    break;
                }
                n = in.read(buf);
            }
            return reply.toString();
        }
    }

    /**
     * The commands clients sent while {@code during} ran, as MONITOR shows them (commands run by scripts excluded),
     * read until a marker sent after it, at most 10 s.
     */
    public java.util.List<String> clientCommands(ThrowingRunnable during) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.UTF_8));
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            if (!"+OK".equals(in.readLine())) {
                throw new AssertionError("MONITOR was refused");
            }
            during.run();
            String marker = "end-of-monitoring-" + System.nanoTime();
            command("ECHO " + marker);
            java.util.List<String> commands = new java.util.ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.contains(marker)) {
                    return commands;
                }
                if (!line.contains(" lua] ")) {
                    commands.add(line);
                }
            }
            throw new AssertionError("MONITOR ended before the marker");
        }
    }

    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Whether a reply is whole: a status, error or integer line, or a bulk string of the announced length. */
    private static boolean complete(StringBuilder reply) {
        int eol = reply.indexOf("\r\n");
        if (eol < 0) {
            return false;
        }
        if (reply.charAt(0) != '$') {
            return true;
        }
        int len = Integer.parseInt(reply.substring(1, eol));
        return len < 0 || reply.toString().getBytes(StandardCharsets.UTF_8).length >= eol + 2 + len + 2;
    }

    private boolean pings() {
        try {
            return command("PING").startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
