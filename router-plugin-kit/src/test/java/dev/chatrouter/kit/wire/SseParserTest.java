package dev.chatrouter.kit.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseParserTest {

    private final List<SseEvent> events = new ArrayList<>();

    private List<SseEvent> parse(String stream, int fragment) {
        events.clear();
        SseParser parser = new SseParser(events::add);
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += fragment) {
            parser.feed(bytes, i, Math.min(fragment, bytes.length - i));
        }
        parser.end();
        return events;
    }

    /** Every test stream is parsed whole and in fragments of 1, 2, 3 and 7 bytes, with the same events. */
    private List<SseEvent> parseEveryWay(String stream) {
        List<SseEvent> whole = new ArrayList<>(parse(stream, Integer.MAX_VALUE / 2));
        for (int fragment : new int[] {1, 2, 3, 7}) {
            assertThat(parse(stream, fragment)).as("fragments of %d bytes", fragment).isEqualTo(whole);
        }
        return whole;
    }

    @ParameterizedTest(name = "line ending {0}")
    @ValueSource(strings = {"\n", "\r\n", "\r"})
    void everyLineEnding(String eol) {
        String stream = "data: {\"a\":1}" + eol + eol + "data:{\"b\":2}" + eol + eol + "data: [DONE]" + eol + eol;
        assertThat(parseEveryWay(stream)).extracting(SseEvent::data)
                .containsExactly("{\"a\":1}", "{\"b\":2}", "[DONE]");
        assertThat(events.get(2).isDone()).isTrue();
    }

    @Test
    void crAndLfSplitAcrossFragmentsAreOneLineEnd() {
        SseParser parser = new SseParser(events::add);
        byte[] a = "data: x\r".getBytes(StandardCharsets.UTF_8);
        byte[] b = "\n\r\ndata: y\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        parser.feed(a, 0, a.length);
        assertThat(events).isEmpty();
        parser.feed(b, 0, b.length);
        assertThat(events).extracting(SseEvent::data).containsExactly("x", "y");
    }

    @Test
    void multiLineDataIsJoinedWithNewlines() {
        assertThat(parseEveryWay("data: first\ndata:second\ndata:  third\ndata\n\n"))
                .containsExactly(new SseEvent(null, "first\nsecond\n third\n", null));
    }

    @Test
    void eventAndIdFieldsBelongToTheirEvent() {
        assertThat(parseEveryWay("event: message_start\nid: 7\ndata: {}\n\ndata: next\n\n"))
                .containsExactly(new SseEvent("message_start", "{}", "7"), new SseEvent(null, "next", null));
    }

    @Test
    void commentsRetryAndUnknownFieldsAreIgnored() {
        assertThat(parseEveryWay(": ping\n\n:\nretry: 100\nfoo: bar\ndata: x\n: inside\n\n: OPENROUTER PROCESSING\n\n"))
                .containsExactly(new SseEvent(null, "x", null));
    }

    @Test
    void aBlockWithoutDataDispatchesNothing() {
        assertThat(parseEveryWay("event: ping\n\nid: 1\n\n\n\n")).isEmpty();
    }

    @Test
    void multiByteCharactersSplitAnywhereAreKept() {
        String text = "data: {\"content\":\"h\u00e9 \u65e5\u672c \ud83d\ude00\"}\n\n";
        assertThat(parseEveryWay(text)).extracting(SseEvent::data)
                .containsExactly("{\"content\":\"h\u00e9 \u65e5\u672c \ud83d\ude00\"}");
    }

    @Test
    void aLeadingByteOrderMarkIsSkipped() {
        assertThat(parseEveryWay("\ufeffdata: x\n\n")).extracting(SseEvent::data).containsExactly("x");
    }

    @Test
    void anIncompleteLastEventIsNotDispatched() {
        SseParser parser = new SseParser(events::add);
        byte[] bytes = "data: a\n\ndata: b\n".getBytes(StandardCharsets.UTF_8);
        parser.feed(bytes, 0, bytes.length);
        parser.end();
        assertThat(events).extracting(SseEvent::data).containsExactly("a");
        assertThat(parser.hasPartialEvent()).isTrue();
    }

    @Test
    void feedHonoursOffsetAndLength() {
        SseParser parser = new SseParser(events::add);
        byte[] bytes = "XXdata: a\n\nYY".getBytes(StandardCharsets.UTF_8);
        parser.feed(bytes, 2, bytes.length - 4);
        assertThat(events).extracting(SseEvent::data).containsExactly("a");
        assertThatThrownBy(() -> parser.feed(bytes, 10, 10)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void anEventOverTheCapFails() {
        SseParser parser = new SseParser(events::add, 64);
        byte[] ok = ("data: " + "x".repeat(50) + "\n\n").getBytes(StandardCharsets.UTF_8);
        parser.feed(ok, 0, ok.length);
        assertThat(events).hasSize(1);
        byte[] big = ("data: " + "x".repeat(40) + "\ndata: " + "y".repeat(40) + "\n\n").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> {
            for (int i = 0; i < big.length; i++) {
                parser.feed(big, i, 1);
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("64 bytes");
        assertThat(events).hasSize(1);
    }

    @Test
    void theCapCountsOneEventNotTheWholeStream() {
        SseParser parser = new SseParser(events::add, 64);
        byte[] event = ("data: " + "x".repeat(40) + "\n\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 100; i++) {
            parser.feed(event, 0, event.length);
        }
        assertThat(events).hasSize(100);
    }

    @Test
    void feedingAfterEndFails() {
        SseParser parser = new SseParser(events::add);
        parser.end();
        assertThatThrownBy(() -> parser.feed(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sseDataFramesOneEvent() {
        byte[] frame = WireCodec.sseData("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(frame, StandardCharsets.UTF_8)).isEqualTo("data: {\"a\":1}\n\n");
        assertThat(new String(WireCodec.SSE_DONE, StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
    }
}
