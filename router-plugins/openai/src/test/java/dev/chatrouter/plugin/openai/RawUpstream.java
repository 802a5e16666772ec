package dev.chatrouter.plugin.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 upstream on a loopback port that writes nothing on its own: the test accepts each connection, reads
 * the request, and writes the response head and each body chunk when it decides to. So a test can hold a stream
 * open between two chunks, and can see when the client closes the connection.
 */
final class RawUpstream implements AutoCloseable {

    private final ServerSocket server;

    RawUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    /** Waits at most {@link Upstreams#WAIT} for the next connection and reads its request. */
    Exchange accept() throws IOException {
        server.setSoTimeout((int) Upstreams.WAIT.toMillis());
        Socket socket = server.accept();
        socket.setSoTimeout((int) Upstreams.WAIT.toMillis());
        return new Exchange(socket);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    /** One request on one connection, and the response the test writes to it. */
    static final class Exchange implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        final String requestLine;
        final Map<String, String> headers = new LinkedHashMap<>();
        final String body;

        private Exchange(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            String[] head = readHead().split("\r\n");
            requestLine = head[0];
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                headers.put(head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), head[i].substring(colon + 1).trim());
            }
            String length = headers.get("content-length");
            if (length == null) {
                throw new IOException("the client sent no content-length: " + headers);
            }
            body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
        }

        private String readHead() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed inside the request head: " + head);
                }
                head.write(b);
                matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            return text.substring(0, text.length() - 4);
        }

        /** Writes a 200 head for an event stream, with a chunked body to follow. */
        Exchange startEventStream() throws IOException {
            write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
            return this;
        }

        /** Writes one HTTP chunk holding {@code text}, and flushes it. */
        Exchange send(String text) throws IOException {
            return send(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Writes one HTTP chunk holding {@code bytes}, and flushes it. */
        Exchange send(byte[] bytes) throws IOException {
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return this;
        }

        /** Writes one Server-Sent Event {@code data: ...}. */
        Exchange event(String data) throws IOException {
            return send("data: " + data + "\n\n");
        }

        /** Ends the chunked body. */
        Exchange end() throws IOException {
            write("0\r\n\r\n");
            return this;
        }

        private void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /**
         * True when the client closes or resets the connection within {@code timeout}: a read returns end of stream
         * or fails. False when the connection is still open and silent at the end of it.
         */
        boolean closedByClientWithin(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            byte[] buffer = new byte[512];
            try {
                while (true) {
                    if (in.read(buffer) < 0) {
                        return true;
                    }
                }
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (SocketException reset) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
