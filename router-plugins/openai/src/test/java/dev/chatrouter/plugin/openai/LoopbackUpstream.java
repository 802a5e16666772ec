package dev.chatrouter.plugin.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP server that knows, for every connection it accepted, whether the client still holds it open: it
 * either forwards each connection to another port (a WireMock server) or answers it with a raw handler. A
 * connection counts as closed once the client closed or reset it, or this server closed it. Tests use it to prove
 * that the router leaves no upstream connection open: cancelled and timed-out calls are reset at once, and closing
 * the router closes its pool.
 */
final class LoopbackUpstream implements AutoCloseable {

    /** Answers one raw connection; the request was already read. */
    @FunctionalInterface
    interface Handler {
        void answer(Socket socket, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final int forwardPort;
    private final Handler handler;
    private final Thread acceptor;

    private LoopbackUpstream(int forwardPort, Handler handler) throws IOException {
        this.forwardPort = forwardPort;
        this.handler = handler;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.acceptor = new Thread(this::acceptLoop, "loopback-upstream-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Forwards every connection to {@code port} on the loopback interface. */
    static LoopbackUpstream forwardingTo(int port) throws IOException {
        return new LoopbackUpstream(port, null);
    }

    /** Reads each request, then lets {@code handler} answer; afterwards waits for the client to close. */
    static LoopbackUpstream answering(Handler handler) throws IOException {
        return new LoopbackUpstream(-1, handler);
    }

    int port() {
        return server.getLocalPort();
    }

    String baseUrl(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Connections accepted so far. */
    int accepted() {
        return connections.size();
    }

    /** Connections accepted and not closed yet. */
    int open() {
        int open = 0;
        for (Connection c : connections) {
            if (!c.closed) {
                open++;
            }
        }
        return open;
    }

    /** Waits until at most {@code expected} connections are open; fails after {@code within}. */
    void awaitOpenAtMost(int expected, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (open() > expected) {
            if (System.nanoTime() > end) {
                throw new AssertionError(open() + " connection(s) to port " + port() + " still open after " + within
                        + " (expected at most " + expected + ", " + accepted() + " accepted)");
            }
            sleep(5);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            Connection connection = new Connection(client);
            connections.add(connection);
            if (handler == null) {
                daemon(() -> forward(connection), "forward-" + client.getPort());
            } else {
                daemon(() -> answer(connection), "answer-" + client.getPort());
            }
        }
    }

    private void forward(Connection connection) {
        Socket client = connection.client;
        Socket upstream;
        try {
            upstream = new Socket(InetAddress.getLoopbackAddress(), forwardPort);
        } catch (IOException e) {
            connection.reset();
            return;
        }
        connection.upstream = upstream;
        daemon(() -> {
            // upstream to client: an upstream reset becomes a client reset, an upstream close a client close
            try {
                pump(upstream.getInputStream(), client.getOutputStream());
                connection.close();
            } catch (IOException e) {
                connection.reset();
            }
        }, "forward-back-" + client.getPort());
        try {
            pump(client.getInputStream(), upstream.getOutputStream());
        } catch (IOException clientWentAway) {
            // reset by the client, or closed by the other pump
        }
        connection.close();
    }

    private void answer(Connection connection) {
        try {
            InputStream in = connection.client.getInputStream();
            readRequest(in);
            handler.answer(connection.client, connection.client.getOutputStream());
            while (in.read() >= 0) {
                // wait for the client to close (a second request on this connection is not expected)
            }
        } catch (IOException | InterruptedException closedOrReset) {
            // the client reset, or the handler closed the socket
        }
        connection.close();
    }

    private static void pump(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            out.flush();
        }
    }

    /** Reads one HTTP/1.1 request (head and a content-length or chunked body) and returns it as text. */
    static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new SocketException("closed before the request head ended");
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String lower = text.toLowerCase(Locale.ROOT);
        int at = lower.indexOf("content-length:");
        StringBuilder body = new StringBuilder();
        if (at >= 0) {
            int end = lower.indexOf("\r\n", at);
            int length = Integer.parseInt(lower.substring(at + "content-length:".length(), end).trim());
            byte[] bytes = in.readNBytes(length);
            body.append(new String(bytes, StandardCharsets.UTF_8));
        } else if (lower.contains("transfer-encoding: chunked")) {
            while (true) {
                String size = readLine(in);
                int length = Integer.parseInt(size.trim(), 16);
                byte[] bytes = in.readNBytes(length);
                readLine(in);
                if (length == 0) {
                    break;
                }
                body.append(new String(bytes, StandardCharsets.UTF_8));
            }
        }
        return text + body;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** Writes an HTTP/1.1 chunk. */
    static void chunk(OutputStream out, String data) throws IOException {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Resets the connection (TCP RST): what a crashing upstream or a broken middlebox does mid-answer. */
    static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : connections) {
            c.close();
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static final class Connection {
        final Socket client;
        volatile Socket upstream;
        volatile boolean closed;

        Connection(Socket client) {
            this.client = client;
        }

        void close() {
            closed = true;
            closeQuietly(client);
            closeQuietly(upstream);
        }

        void reset() {
            closed = true;
            try {
                LoopbackUpstream.reset(client);
            } catch (IOException ignored) {
                // already gone
            }
            closeQuietly(upstream);
        }

        private static void closeQuietly(Socket socket) {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }
}
