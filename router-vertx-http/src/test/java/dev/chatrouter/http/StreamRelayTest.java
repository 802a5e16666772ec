package dev.chatrouter.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SSE relay against a raw upstream that writes only as fast as it is read: a client that stops reading stops
 * the router reading from the upstream (bounded buffering), and a client that goes away cancels the upstream.
 */
class StreamRelayTest {

    static final String STREAM = "{\"model\":\"di\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Go\"}]}";
    static final String CHAT = "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Go\"}]}";

    static RawSseUpstream upstream;
    static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        upstream = new RawSseUpstream();
        server = TestServer.start(dir, """
                providers:
                  raw:
                    type: openai
                    base_url: http://127.0.0.1:${RAW_PORT}/v1
                    api_key: sk-raw-upstream-key
                    timeouts: { connect_ms: 1000, first_token_ms: 10000, total_ms: 60000 }
                    models:
                      m1: { price: { input: 1.0, output: 2.0 }, context_window: 128000, capabilities: [streaming] }
                routes:
                  di:
                    pools:
                      "*": { targets: [raw/m1] }
                    fallback: { retries_per_target: 0 }
                """, Map.of("RAW_PORT", Integer.toString(upstream.port())));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /**
     * A client that stops reading a long stream makes the router stop pulling from the upstream: the upstream's
     * writes stall with a bounded amount written beyond what the client read; when the client reads again the
     * whole stream arrives, in order, ending with [DONE].
     */
    @Test
    void slowReaderBackpressuresTheUpstream() throws Exception {
        int total = 20_000;
        String padding = "x".repeat(1000);
        upstream.script(c -> {
            c.streamHead();
            c.event(RawSseUpstream.roleChunk());
            for (int i = 0; i < total; i++) {
                c.event(RawSseUpstream.contentChunk("<" + i + ">" + padding));
            }
            c.event(RawSseUpstream.finishChunk());
            c.done();
        });
        // A small receive buffer, but not below the loopback MSS (64 KiB): a window smaller than one segment is
        // never reopened by the kernel except through zero-window probes, and reading again would crawl.
        try (RawClient client = new RawClient(server.port(), 128 * 1024)) {
            client.post("/v1/chat/completions", STREAM);
            assertThat(client.readHead()).isEqualTo(200);
            StringBuilder read = new StringBuilder(client.readBodyUntil("<10>"));
            RawSseUpstream.Connection call = upstream.nextConnection(Duration.ofSeconds(5));

            // the client reads nothing more: the upstream's writes must come to a stop
            long written = awaitStall(call, Duration.ofMillis(700), Duration.ofSeconds(20));
            long clientBytes = client.bodyBytesRead();
            long upstreamBytes = call.bytesWritten.get();
            System.out.printf("backpressure: upstream stalled after %d of %d events (%d KiB); client read %d KiB%n",
                    written, total, upstreamBytes / 1024, clientBytes / 1024);
            assertThat(call.finished()).isFalse();
            assertThat(written).isLessThan(total / 2);
            // kernel buffers on both sides plus the router's own bounded windows, and nothing more
            assertThat(upstreamBytes - clientBytes).isLessThan(8L * 1024 * 1024);

            // reading again drains the whole stream
            read.append(client.readBodyToEnd());
            String body = read.toString();
            assertThat(body).endsWith("data: [DONE]\n\n");
            int last = -1;
            for (int i = 0; i < total; i += 997) {
                int at = body.indexOf("<" + i + ">");
                assertThat(at).as("chunk %d in order", i).isGreaterThan(last);
                last = at;
            }
            assertThat(body).contains("<" + (total - 1) + ">");
            assertThat(call.finished()).isTrue();
        }
    }

    /** Waits until the upstream has written nothing for {@code quiet}; returns the events written by then. */
    private static long awaitStall(RawSseUpstream.Connection call, Duration quiet, Duration limit)
            throws InterruptedException {
        long start = System.nanoTime();
        long end = start + limit.toNanos();
        long seen = -1;
        long since = start;
        StringBuilder progress = new StringBuilder();
        while (System.nanoTime() < end) {
            long now = call.eventsWritten.get();
            if (now != seen) {
                progress.append(String.format(" %d@%dms", now, (System.nanoTime() - start) / 1_000_000));
                seen = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return now;
            }
            if (call.finished()) {
                throw new AssertionError("the upstream wrote the whole stream while the client read nothing");
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the upstream never stalled; events written over time:" + progress);
    }

    /** A client that disconnects mid-stream makes the router close the upstream call within a second. */
    @Test
    void clientDisconnectCancelsTheStreamUpstream() throws Exception {
        upstream.script(c -> {
            c.streamHead();
            c.event(RawSseUpstream.roleChunk());
            c.event(RawSseUpstream.contentChunk("first"));
            c.hold(Duration.ofSeconds(20));
            c.event(RawSseUpstream.contentChunk("never"));
            c.done();
        });
        RawSseUpstream.Connection call;
        long closedAt;
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", STREAM);
            assertThat(client.readHead()).isEqualTo(200);
            client.readBodyUntil("first");
            call = upstream.nextConnection(Duration.ofSeconds(5));
            closedAt = System.nanoTime();
        }

        assertThat(call.awaitClosed(Duration.ofSeconds(1))).as("upstream closed within 1 s").isTrue();
        assertThat(call.closedAtNanos() - closedAt).isLessThan(Duration.ofSeconds(1).toNanos());
    }

    /** A client that disconnects while waiting for a JSON answer makes the router close the upstream call. */
    @Test
    void clientDisconnectCancelsTheJsonUpstream() throws Exception {
        upstream.script(c -> {
            c.hold(Duration.ofSeconds(20));
            c.respond(200, RawSseUpstream.chatCompletion("late"));
        });
        RawSseUpstream.Connection call;
        long closedAt;
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", CHAT);
            call = upstream.nextConnection(Duration.ofSeconds(5));
            closedAt = System.nanoTime();
        }

        assertThat(call.awaitClosed(Duration.ofSeconds(1))).as("upstream closed within 1 s").isTrue();
        assertThat(call.closedAtNanos() - closedAt).isLessThan(Duration.ofSeconds(1).toNanos());
    }

    /** The relay passes each upstream chunk on as it arrives, before the upstream has finished. */
    @Test
    void chunksAreRelayedAsTheyArrive() throws Exception {
        upstream.script(c -> {
            c.streamHead();
            c.event(RawSseUpstream.roleChunk());
            c.event(RawSseUpstream.contentChunk("early"));
            c.hold(Duration.ofSeconds(3));
            c.event(RawSseUpstream.contentChunk("late"));
            c.event(RawSseUpstream.finishChunk());
            c.done();
        });
        try (RawClient client = new RawClient(server.port())) {
            client.post("/v1/chat/completions", STREAM);
            long start = System.nanoTime();
            assertThat(client.readHead()).isEqualTo(200);
            assertThat(client.readBodyUntil("early")).doesNotContain("late");
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(2).toNanos());
            RawSseUpstream.Connection call = upstream.nextConnection(Duration.ofSeconds(5));
            assertThat(call.finished()).isFalse();
        }
    }
}
