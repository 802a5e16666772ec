package dev.chatrouter.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * max_body_bytes is enforced while the body arrives: a client still sending an oversized body gets 413
 * request_too_large at once (declared by Content-Length or not), and the server goes on serving.
 */
class BodyLimitTest {

    static final int LIMIT = 65_536;
    static final long HUGE = 50L * 1024 * 1024;
    static final String CHAT = "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        server = TestServer.start(dir, """
                providers:
                  mock:
                    type: mock
                    models:
                      m: { capabilities: [streaming] }
                routes:
                  di:
                    pools:
                      "*": { targets: [mock/m] }
                server:
                  max_body_bytes: 65536
                """, Map.of());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Keeps sending a body in the background until told to stop or the connection fails. */
    static final class Sender extends Thread {
        final AtomicLong sent = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        private final OutputStream out;
        private final boolean chunked;

        Sender(RawClient client, boolean chunked) throws IOException {
            super("body-sender");
            setDaemon(true);
            this.out = client.socket.getOutputStream();
            this.chunked = chunked;
        }

        @Override
        public void run() {
            byte[] piece = "a".repeat(8192).getBytes(StandardCharsets.US_ASCII);
            byte[] chunkHead = (Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                byte[] start = "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\""
                        .getBytes(StandardCharsets.US_ASCII);
                if (chunked) {
                    out.write((Integer.toHexString(start.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                out.write(start);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                while (!stop.get() && sent.get() < HUGE) {
                    if (chunked) {
                        out.write(chunkHead);
                    }
                    out.write(piece);
                    if (chunked) {
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                    sent.addAndGet(piece.length);
                    Thread.sleep(1);
                }
            } catch (IOException | InterruptedException closed) {
                // the server closed the connection: expected once it has answered
            }
        }
    }

    /** A declared Content-Length over the limit is answered 413 before the body is sent. */
    @Test
    void declaredLengthOverTheLimit() throws Exception {
        try (RawClient client = new RawClient(server.port())) {
            client.write(RawClient.postHead("/v1/chat/completions", "Content-Length: " + HUGE)
                    .getBytes(StandardCharsets.US_ASCII));
            Sender sender = new Sender(client, false);
            sender.start();

            assertTooLarge(client, sender);
        }
        assertStillServing();
    }

    /** A chunked body without Content-Length is answered 413 as soon as it passes the limit. */
    @Test
    void chunkedBodyOverTheLimit() throws Exception {
        try (RawClient client = new RawClient(server.port())) {
            client.write(RawClient.postHead("/v1/chat/completions", "Transfer-Encoding: chunked")
                    .getBytes(StandardCharsets.US_ASCII));
            Sender sender = new Sender(client, true);
            sender.start();

            assertTooLarge(client, sender);
            assertThat(sender.sent.get()).isGreaterThan(LIMIT - 8192);
        }
        assertStillServing();
    }

    /** A client that asks to continue with an oversized Content-Length gets 413, not 100 Continue. */
    @Test
    void expectContinueOverTheLimit() throws Exception {
        try (RawClient client = new RawClient(server.port())) {
            client.write(RawClient.postHead("/v1/chat/completions", "Content-Length: " + HUGE,
                    "Expect: 100-continue").getBytes(StandardCharsets.US_ASCII));

            assertThat(client.readHead()).isEqualTo(413);
            assertThat(Http.json(client.readBodyToEnd()).at("/error/code").asText()).isEqualTo("request_too_large");
        }
        assertStillServing();
    }

    /** A chunked body under the limit, and one asking to continue, are read and served. */
    @Test
    void bodiesWithinTheLimitAreServed() throws Exception {
        String padded = CHAT.replace("Hello", "Hello " + "b".repeat(LIMIT - 200));
        byte[] body = padded.getBytes(StandardCharsets.UTF_8);
        try (RawClient client = new RawClient(server.port())) {
            client.write(RawClient.postHead("/v1/chat/completions", "Transfer-Encoding: chunked")
                    .getBytes(StandardCharsets.US_ASCII));
            for (int at = 0; at < body.length; at += 10_000) {
                int n = Math.min(10_000, body.length - at);
                client.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] part = new byte[n];
                System.arraycopy(body, at, part, 0, n);
                client.write(part);
                client.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            client.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.readHead()).isEqualTo(200);
            assertThat(Http.json(client.readBodyToEnd()).path("model").asText()).isEqualTo("di");
        }
        try (RawClient client = new RawClient(server.port())) {
            client.write(RawClient.postHead("/v1/chat/completions", "Content-Length: " + body.length,
                    "Expect: 100-continue").getBytes(StandardCharsets.US_ASCII));
            assertThat(client.readHead()).isEqualTo(100);
            client.write(body);
            assertThat(client.readHead()).isEqualTo(200);
        }
    }

    private static void assertTooLarge(RawClient client, Sender sender) throws Exception {
        assertThat(client.readHead()).isEqualTo(413);
        long sentWhenAnswered = sender.sent.get();
        String body = client.readBodyToEnd();
        sender.stop.set(true);
        sender.join(5_000);

        assertThat(Http.json(body).at("/error/code").asText()).isEqualTo("request_too_large");
        assertThat(Http.json(body).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(client.header("connection")).isEqualToIgnoringCase("close");
        assertThat(sentWhenAnswered).as("answered while the client was still sending").isLessThan(HUGE / 4);
        assertThat(client.closedByServer()).as("the server closes the connection").isTrue();
    }

    private static void assertStillServing() throws Exception {
        try (RawClient next = new RawClient(server.port())) {
            next.post("/v1/chat/completions", CHAT);
            assertThat(next.readHead()).isEqualTo(200);
            assertThat(Http.json(next.readBodyToEnd()).path("model").asText()).isEqualTo("di");
        }
    }
}
