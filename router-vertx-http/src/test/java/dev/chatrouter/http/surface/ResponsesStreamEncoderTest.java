package dev.chatrouter.http.surface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.ToolCall;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Responses stream's items, event by event, for chunk sequences the conformance tests' fixtures do not have. */
class ResponsesStreamEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static SseEncoder encoder() throws Exception {
        ResponseStore none = ResponseStore.of(() -> CompletableFuture.failedFuture(new AssertionError("no store")),
                Duration.ofMinutes(1), null);
        OpenAiResponses.Turn turn = OpenAiResponses.readRequest(
                "{\"model\":\"di\",\"stream\":true,\"store\":false,\"input\":\"hi\"}".getBytes(StandardCharsets.UTF_8),
                none, Clock.systemUTC()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        return OpenAiResponses.streamEncoder(turn, answer -> CompletableFuture.completedFuture(null));
    }

    private static ChatChunk chunk(Delta delta, String finish) {
        return new ChatChunk("c", "chat.completion.chunk", 1, "di", List.of(new ChunkChoice(0, delta, finish, null,
                Map.of())), null, null, Map.of(), null);
    }

    private static List<JsonNode> events(byte[] bytes) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("data: ")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        return events;
    }

    /** Proves text, then a tool call, then more text are three output items with three distinct ids. */
    @Test
    void everyOutputItemHasItsOwnId() throws Exception {
        SseEncoder encoder = encoder();
        List<JsonNode> events = new ArrayList<>();
        events.addAll(events(encoder.chunk(chunk(new Delta(null, "Let me look.", null, null, Map.of()), null))));
        events.addAll(events(encoder.chunk(chunk(new Delta(null, null, List.of(new ToolCall(0, "call_1", "function",
                new FunctionCall("read", "{}"), Map.of())), null, Map.of()), null))));
        events.addAll(events(encoder.chunk(chunk(new Delta(null, "Done.", null, null, Map.of()), "stop"))));
        events.addAll(events(encoder.complete()));

        List<String> added = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("response.output_item.added")) {
                added.add(e.at("/item/id").asText());
            }
        }
        assertThat(added).hasSize(3);
        Set<String> distinct = new HashSet<>(added);
        assertThat(distinct).hasSize(3);
        JsonNode completed = events.get(events.size() - 1);
        assertThat(completed.path("type").asText()).isEqualTo("response.completed");
        Set<String> output = new HashSet<>();
        completed.at("/response/output").forEach(item -> output.add(item.path("id").asText()));
        assertThat(output).isEqualTo(distinct);
        // the deltas of the second text name its own item
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("response.output_text.delta") && e.path("delta").asText().equals("Done.")) {
                assertThat(e.path("item_id").asText()).isEqualTo(added.get(2));
            }
        }
    }
}
