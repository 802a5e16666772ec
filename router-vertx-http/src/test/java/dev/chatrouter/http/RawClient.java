package dev.chatrouter.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client on a bare socket, for what no client library lets a test do: stop reading mid-stream,
 * disconnect at a chosen moment, or keep sending a body while the answer comes. Reads time out after the
 * socket's read timeout, so every wait is bounded.
 */
final class RawClient implements AutoCloseable {

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private long bodyBytesRead;
    private boolean chunked;
    private long chunkLeft;
    private boolean bodyDone;
    private int status;
    private final Map<String, String> headers = new LinkedHashMap<>();

    /** @param receiveBuffer the socket's receive buffer in bytes, or 0 for the system's */
    RawClient(int port, int receiveBuffer) {
        try {
            socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.setSoTimeout(10_000);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RawClient(int port) {
        this(port, 0);
    }

    /** A POST head with the JSON content type and the given extra header lines (each "Name: value"). */
    static String postHead(String path, String... headerLines) {
        StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    /** Sends a JSON POST with its Content-Length. */
    RawClient post(String path, String json, String... headerLines) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String[] lines = new String[headerLines.length + 1];
        lines[0] = "Content-Length: " + body.length;
        System.arraycopy(headerLines, 0, lines, 1, headerLines.length);
        write(postHead(path, lines).getBytes(StandardCharsets.US_ASCII));
        write(body);
        return this;
    }

    void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the status line and headers. */
    int readHead() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("connection closed before a status line");
        }
        status = Integer.parseInt(statusLine.split(" ")[1]);
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        if (!chunked && headers.containsKey("content-length")) {
            chunkLeft = Long.parseLong(headers.get("content-length"));
            bodyDone = chunkLeft == 0;
        }
        return status;
    }

    int status() {
        return status;
    }

    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** Reads up to {@code max} bytes of the (de-chunked) body; an empty array at its end. */
    byte[] readBody(int max) throws IOException {
        if (bodyDone) {
            return new byte[0];
        }
        if (chunked && chunkLeft == 0) {
            String size = readLine();
            if (size != null && size.isEmpty()) {
                size = readLine();
            }
            if (size == null) {
                bodyDone = true;
                return new byte[0];
            }
            chunkLeft = Long.parseLong(size.split(";")[0].trim(), 16);
            if (chunkLeft == 0) {
                readLine();
                bodyDone = true;
                return new byte[0];
            }
        }
        boolean untilClose = !chunked && !headers.containsKey("content-length");
        int want = untilClose ? max : (int) Math.min(max, chunkLeft);
        byte[] buffer = new byte[want];
        int n = in.read(buffer, 0, want);
        if (n < 0) {
            bodyDone = true;
            return new byte[0];
        }
        if (!untilClose) {
            chunkLeft -= n;
            if (!chunked && chunkLeft == 0) {
                bodyDone = true;
            }
        }
        bodyBytesRead += n;
        byte[] result = new byte[n];
        System.arraycopy(buffer, 0, result, 0, n);
        return result;
    }

    /** Reads the rest of the body as text. */
    String readBodyToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] part;
        while ((part = readBody(64 * 1024)).length > 0) {
            all.writeBytes(part);
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    /** Reads the body until the text read so far contains {@code marker}; returns that text. */
    String readBodyUntil(String marker) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (!all.toString(StandardCharsets.UTF_8).contains(marker)) {
            byte[] part = readBody(8192);
            if (part.length == 0) {
                throw new IOException("body ended before '" + marker + "': " + all.toString(StandardCharsets.UTF_8));
            }
            all.writeBytes(part);
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    long bodyBytesRead() {
        return bodyBytesRead;
    }

    /** True when the server closed the connection: a read sees its end (or a reset) within the read timeout. */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.US_ASCII);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
