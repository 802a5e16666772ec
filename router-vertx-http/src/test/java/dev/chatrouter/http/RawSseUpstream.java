package dev.chatrouter.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible upstream on a bare loopback socket that streams Server-Sent Events with blocking writes
 * through a small send buffer: it writes only as fast as the router reads, so a test sees backpressure as writes
 * that stop progressing, and sees a cancelled call as its socket closed by the router.
 */
final class RawSseUpstream implements AutoCloseable {

    /** What the upstream does on one connection once it has read the request. */
    @FunctionalInterface
    interface Script {
        void run(Connection connection) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private volatile Script script = c -> c.respond(404, "{\"error\":{\"message\":\"no script\"}}");
    private final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();

    RawSseUpstream() {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(this::accept, "raw-upstream-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void script(Script script) {
        this.script = script;
        connections.clear();
    }

    /** The next connection that sent a request, waiting at most {@code timeout}. */
    Connection nextConnection(Duration timeout) throws InterruptedException {
        Connection c = connections.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (c == null) {
            throw new AssertionError("the router made no upstream call within " + timeout);
        }
        return c;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread t = new Thread(() -> serve(socket), "raw-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSendBufferSize(8 * 1024);
            socket.setTcpNoDelay(true);
            Connection connection = new Connection(socket);
            connection.readRequest();
            connections.add(connection);
            connection.watchForClose();
            script.run(connection);
        } catch (IOException | InterruptedException | RuntimeException ignored) {
            // the router went away: what the tests look at is recorded on the connection
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** One upstream call. */
    static final class Connection {
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        /** Events fully written (handed to the kernel). */
        final AtomicLong eventsWritten = new AtomicLong();
        final AtomicLong bytesWritten = new AtomicLong();
        private final CountDownLatch closed = new CountDownLatch(1);
        private volatile long closedAtNanos;
        volatile String requestBody;
        private volatile boolean finished;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        void readRequest() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                if (head.size() >= 4 && head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                    break;
                }
            }
            int length = 0;
            for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            requestBody = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        /** Notices the router closing the connection while the script writes or waits. */
        void watchForClose() {
            Thread t = new Thread(() -> {
                try {
                    while (in.read() >= 0) {
                        // nothing more is expected from the router
                    }
                } catch (IOException reset) {
                    // closed too
                }
                markClosed();
            }, "raw-upstream-watch");
            t.setDaemon(true);
            t.start();
        }

        private void markClosed() {
            if (closed.getCount() > 0) {
                closedAtNanos = System.nanoTime();
                closed.countDown();
            }
        }

        /** Waits at most {@code timeout} for the router to close this connection. */
        boolean awaitClosed(Duration timeout) throws InterruptedException {
            return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        long closedAtNanos() {
            return closedAtNanos;
        }

        boolean finished() {
            return finished;
        }

        void respond(int status, String json) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            write(body);
            finished = true;
        }

        void streamHead() throws IOException {
            write(("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }

        /** Writes one {@code data:} event as one HTTP chunk; blocks while the router does not read. */
        void event(String data) throws IOException {
            byte[] event = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream chunk = new ByteArrayOutputStream(event.length + 16);
            chunk.writeBytes((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunk.writeBytes(event);
            chunk.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            write(chunk.toByteArray());
            eventsWritten.incrementAndGet();
            bytesWritten.addAndGet(event.length);
        }

        void done() throws IOException {
            event("[DONE]");
            write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            finished = true;
        }

        /** Waits, returning early when the router closes the connection. */
        void hold(Duration duration) throws InterruptedException {
            closed.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void write(byte[] bytes) throws IOException {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                markClosed();
                throw e;
            }
        }
    }

    /** A chat.completion.chunk with one content delta. */
    static String contentChunk(String content) {
        return "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"raw-model\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}";
    }

    static String roleChunk() {
        return "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"raw-model\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}";
    }

    static String finishChunk() {
        return "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"raw-model\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}";
    }

    static String chatCompletion(String content) {
        return "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"raw-model\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
                + "\"total_tokens\":12}}";
    }
}
