package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the surfaces write for a relayed answer, and the Responses input items stored turns become. */
class NativeRelayTest {

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ChatChunk chunk(String content, NativeAnswer event) {
        return new ChatChunk("msg_1", "chat.completion.chunk", 1, "intent",
                content == null ? List.of() : List.of(new ChunkChoice(0, new Delta(null, content, null, null,
                        Map.of()), null, null, Map.of())), null, null, Map.of(), event);
    }

    private static NativeAnswer event(String name, String data) {
        return new NativeAnswer(name, data.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRelayedStreamWritesTheUpstreamsEventsWithTheClientsModel() {
        NativeRelay relay = NativeRelay.messages(AnthropicMessages.streamEncoder());

        String start = text(relay.chunk(chunk("", event("message_start",
                "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-x-2025\"}}"))));
        String delta = text(relay.chunk(chunk("Hi", event("content_block_delta",
                "{\"type\":\"content_block_delta\",\"model\":\"not-the-message\",\"delta\":{\"text\":\"Hi\"}}"))));
        String routerUsage = text(relay.chunk(chunk(null, null).withUsage(Usage.of(1, 2))));

        assertThat(relay.relaying()).isTrue();
        assertThat(start).isEqualTo("event: message_start\ndata: "
                + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"intent\"}}\n\n");
        assertThat(delta).isEqualTo("event: content_block_delta\ndata: "
                + "{\"type\":\"content_block_delta\",\"model\":\"not-the-message\",\"delta\":{\"text\":\"Hi\"}}\n\n");
        assertThat(routerUsage).isEmpty();
        assertThat(relay.complete()).isEmpty();
    }

    @Test
    void aTranslatedStreamIsLeftToTheSurfacesEncoder() {
        NativeRelay relay = NativeRelay.messages(AnthropicMessages.streamEncoder());

        String first = text(relay.chunk(chunk("Hi", null)));

        assertThat(relay.relaying()).isFalse();
        assertThat(first).startsWith("event: message_start\n").contains("\"text_delta\"");
        assertThat(text(relay.complete())).contains("event: message_stop");
    }

    /**
     * A relayed Responses stream's end is written after the answer is stored: {@code response.completed} is held to
     * {@link NativeRelay#complete()}, whose bytes wait for the translation's {@code settled()} (the store's put).
     */
    @Test
    void aRelayedResponsesStreamHoldsItsEndUntilTheAnswerIsStored() throws Exception {
        ResponseStore none = ResponseStore.of(() -> CompletableFuture.failedFuture(new AssertionError("no store")),
                Duration.ofMinutes(1), null);
        OpenAiResponses.Turn turn = OpenAiResponses.readRequest(
                "{\"model\":\"intent\",\"stream\":true,\"input\":\"hi\"}".getBytes(StandardCharsets.UTF_8),
                none, Clock.systemUTC()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        CompletableFuture<Void> stored = new CompletableFuture<>();
        List<Message> kept = new ArrayList<>();
        NativeRelay relay = NativeRelay.responses(OpenAiResponses.streamEncoder(turn, answer -> {
            kept.add(answer);
            return stored;
        }), null);

        String delta = text(relay.chunk(chunk("Hi", event("response.output_text.delta",
                "{\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}"))));
        String end = text(relay.chunk(chunk(null, event("response.completed",
                "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-x\"}}"))));

        assertThat(delta).startsWith("event: response.output_text.delta\n");
        assertThat(end).isEmpty();
        assertThat(text(relay.complete())).isEqualTo("event: response.completed\ndata: "
                + "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"intent\"}}\n\n");
        assertThat(kept).singleElement().satisfies(m -> assertThat(m.content().text()).isEqualTo("Hi"));
        assertThat(relay.settled().toCompletableFuture()).isNotDone();
        stored.complete(null);
        assertThat(relay.settled().toCompletableFuture()).isDone();
    }

    @Test
    void aRelayedResponseNamesThePreviousResponseIdTheRouterExpanded() {
        ChatResponse answer = new ChatResponse("resp_1", "chat.completion", 1, "intent", List.of(), null, null, null,
                Map.of(), NativeAnswer.body(("{\"id\":\"resp_1\",\"model\":\"gpt-4.1-2025\",\"previous_response_id\":null,"
                + "\"output\":[]}").getBytes(StandardCharsets.UTF_8)));

        assertThat(text(NativeRelay.body(answer, "resp_0"))).isEqualTo(
                "{\"id\":\"resp_1\",\"model\":\"intent\",\"previous_response_id\":\"resp_0\",\"output\":[]}");
        assertThat(NativeRelay.body(answer.withNativeAnswer(null))).isNull();
    }

    @Test
    void storedTurnsBecomeResponsesInputItems() {
        List<Object> items = OpenAiResponses.inputItems(List.of(
                Message.user("Weather?"),
                new Message(Role.ASSISTANT, null, null, List.of(ToolCall.function("call_1", "get_weather",
                        "{\"city\":\"Paris\"}"), ToolCall.function("call_2", "shell", "{\"input\":\"ls\"}")), null,
                        null, Map.of()),
                Message.tool("call_1", "18°C"),
                Message.tool("call_2", "a.txt"),
                Message.assistant("It is 18°C.")), Set.of("shell"));

        assertThat(items).containsExactly(
                Map.of("type", "message", "role", "user", "content", "Weather?"),
                Map.of("type", "function_call", "call_id", "call_1", "name", "get_weather",
                        "arguments", "{\"city\":\"Paris\"}"),
                Map.of("type", "custom_tool_call", "call_id", "call_2", "name", "shell", "input", "ls"),
                Map.of("type", "function_call_output", "call_id", "call_1", "output", "18°C"),
                Map.of("type", "custom_tool_call_output", "call_id", "call_2", "output", "a.txt"),
                Map.of("type", "message", "role", "assistant", "content",
                        List.of(Map.of("type", "output_text", "text", "It is 18°C."))));
    }
}
