package dev.chatrouter.e2e.agents;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP proxy on loopback that forwards nothing: it notes the target of each request (a {@code CONNECT host:port}
 * or an absolute URL) and answers 403. The agents get it as {@code HTTPS_PROXY}/{@code HTTP_PROXY} with
 * {@code NO_PROXY=127.0.0.1,localhost}, so any call to a host other than the loopback servers is refused here
 * instead of leaving the machine, and the test can assert that there was none.
 */
final class DenyProxy implements AutoCloseable {

    private final ServerSocket socket;
    private final Thread thread;
    private final List<String> attempts = new CopyOnWriteArrayList<>();

    DenyProxy() {
        try {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::serve, "deny-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket s = socket.accept()) {
                s.setSoTimeout(2000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.ISO_8859_1));
                String line = in.readLine();
                if (line != null) {
                    String[] parts = line.split(" ");
                    attempts.add(parts.length > 1 ? parts[0] + " " + parts[1] : line);
                }
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // a client that hung up, or the socket closed: go on or stop
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** The environment that sends every non-loopback call of a child process here. */
    Map<String, String> env() {
        String url = url();
        String noProxy = "127.0.0.1,localhost,::1";
        return Map.of("HTTPS_PROXY", url, "https_proxy", url, "HTTP_PROXY", url, "http_proxy", url,
                "ALL_PROXY", url, "all_proxy", url, "NO_PROXY", noProxy, "no_proxy", noProxy);
    }

    /** What the children tried to reach beyond loopback, such as {@code CONNECT github.com:443}. */
    List<String> attempts() {
        return List.copyOf(attempts);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
