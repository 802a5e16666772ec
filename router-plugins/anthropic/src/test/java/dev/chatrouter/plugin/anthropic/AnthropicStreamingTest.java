package dev.chatrouter.plugin.anthropic;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.anthropic.Upstream.MESSAGES;
import static dev.chatrouter.plugin.anthropic.Upstream.SONNET;
import static dev.chatrouter.plugin.anthropic.Upstream.call;
import static dev.chatrouter.plugin.anthropic.Upstream.fixture;
import static dev.chatrouter.plugin.anthropic.Upstream.streamAll;
import static dev.chatrouter.plugin.anthropic.Upstream.streamFailure;
import static dev.chatrouter.plugin.anthropic.Upstream.tree;
import static org.assertj.core.api.Assertions.assertThat;

/** How the anthropic plugin turns the Messages stream's events into Chat Completions chunks, against WireMock. */
class AnthropicStreamingTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Upstream.TestContext context;
    private Provider provider;

    @BeforeAll
    static void startVertx() {
        context = new Upstream.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @BeforeEach
    void createProvider() {
        provider = Upstream.provider(Upstream.spec(wm.baseUrl()).build(), context);
    }

    @AfterEach
    void closeProvider() {
        provider.close();
    }

    private static ChatRequest ask(String text) {
        return ChatRequest.builder().addMessage(Message.user(text)).build();
    }

    private static List<ChunkChoice> choices(List<ChatChunk> chunks) {
        return chunks.stream().flatMap(c -> c.choices().stream()).collect(Collectors.toList());
    }

    private static String text(List<ChatChunk> chunks) {
        return choices(chunks).stream().map(c -> c.delta().content()).filter(Objects::nonNull)
                .collect(Collectors.joining());
    }

    private static String reasoning(List<ChatChunk> chunks) {
        return choices(chunks).stream().map(c -> (String) c.delta().extra().get("reasoning_content"))
                .filter(Objects::nonNull).collect(Collectors.joining());
    }

    private static List<String> finishReasons(List<ChatChunk> chunks) {
        return choices(chunks).stream().map(ChunkChoice::finishReason).filter(Objects::nonNull)
                .collect(Collectors.toList());
    }

    @Test
    void aTextStreamBecomesARoleChunkTextDeltasAFinishChunkAndAUsageChunk() {
        Upstream.answerStream(wm, fixture("streams/text.sse"));

        List<ChatChunk> chunks = streamAll(provider, call(SONNET, ask("Hello")));

        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.id()).isEqualTo("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
            assertThat(chunk.object()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.model()).isEqualTo("claude-opus-4-8");
        });
        assertThat(chunks).hasSize(5);
        assertThat(chunks.get(0).choices()).singleElement()
                .satisfies(c -> assertThat(c.delta()).isEqualTo(new Delta(Role.ASSISTANT, "", null, null, Map.of())));
        assertThat(chunks.subList(1, 3)).extracting(c -> c.choices().get(0).delta().content())
                .containsExactly("Hello", "!");
        assertThat(chunks.get(3).choices()).singleElement()
                .satisfies(c -> assertThat(c.finishReason()).isEqualTo("stop"));
        ChatChunk usage = chunks.get(4);
        assertThat(usage.choices()).isEmpty();
        assertThat(usage.usage()).isEqualTo(new Usage(25, 15, 40, null, null, null, Map.of()));

        LoggedRequest sent = Upstream.onlyRequest(wm);
        assertThat(sent.getHeader("accept")).isEqualTo("text/event-stream");
        assertThat(tree(sent.getBodyAsString()).get("stream").asBoolean()).isTrue();
    }

    @Test
    void aStreamedToolUseBecomesAToolCallWhoseArgumentsAreTheInputJsonFragments() {
        Upstream.answerStream(wm, fixture("streams/tool-use.sse"));

        List<ChatChunk> chunks = streamAll(provider, call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("What's the weather like in San Francisco?"))
                .tools(List.of(Tool.function("get_weather", null, Map.of("type", "object")))).build()));

        assertThat(text(chunks)).isEqualTo("Okay, let's check the weather for San Francisco, CA:");
        List<ToolCall> calls = choices(chunks).stream().filter(c -> c.delta().toolCalls() != null)
                .flatMap(c -> c.delta().toolCalls().stream()).collect(Collectors.toList());
        assertThat(calls.get(0).index()).isZero();
        assertThat(calls.get(0).id()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assertThat(calls.get(0).type()).isEqualTo("function");
        assertThat(calls.get(0).function().name()).isEqualTo("get_weather");
        assertThat(calls.get(0).function().arguments()).isEmpty();
        assertThat(calls.subList(1, calls.size())).allSatisfy(fragment -> {
            assertThat(fragment.index()).isZero();
            assertThat(fragment.id()).isNull();
            assertThat(fragment.function().name()).isNull();
        });
        String arguments = calls.stream().map(c -> c.function().arguments()).collect(Collectors.joining());
        assertThat(arguments).isEqualTo("{\"location\": \"San Francisco, CA\"}");
        assertThat(finishReasons(chunks)).containsExactly("tool_calls");
        assertThat(chunks.get(chunks.size() - 1).usage()).satisfies(usage -> {
            assertThat(usage.promptTokens()).isEqualTo(472);
            assertThat(usage.completionTokens()).isEqualTo(89);
        });
    }

    @Test
    void thinkingDeltasBecomeReasoningContentAndSignaturesAreNotPassedOn() {
        Upstream.answerStream(wm, fixture("streams/thinking.sse"));

        List<ChatChunk> chunks = streamAll(provider, call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("What is the GCD of 1071 and 462?")).reasoningEffort("medium").build()));

        assertThat(reasoning(chunks)).isEqualTo("I need to find the GCD of 1071 and 462 using the Euclidean "
                + "algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\nThe remainder is 0, "
                + "so GCD(1071, 462) = 21.");
        assertThat(text(chunks)).isEqualTo("The greatest common divisor of 1071 and 462 is **21**.");
        assertThat(choices(chunks)).allSatisfy(c -> assertThat(c.delta().extra()).doesNotContainKey("signature"));
        assertThat(finishReasons(chunks)).containsExactly("stop");
        assertThat(chunks).noneMatch(c -> c.usage() != null); // the documented stream carries no usage
        assertThat(tree(Upstream.onlyRequest(wm).getBodyAsString()).get("thinking"))
                .isEqualTo(tree("{\"type\": \"enabled\", \"budget_tokens\": 8192}"));
    }

    @Test
    void theUsageChunkCountsCacheReadsAndWritesFromTheCumulativeMessageDelta() {
        Upstream.answerStream(wm, fixture("streams/prompt-cache-hit.sse"));

        List<ChatChunk> chunks = streamAll(provider, call(SONNET, ChatRequest.builder()
                .addMessage(Message.user(List.of(new ContentPart.Text("What are the major themes?",
                        dev.chatrouter.api.chat.CacheControl.ephemeral(), Map.of())))).build()));

        assertThat(text(chunks)).isEqualTo("Pride, prejudice, marriage and class.");
        Usage usage = chunks.get(chunks.size() - 1).usage();
        assertThat(usage.promptTokens()).isEqualTo(21 + 188 + 187_364);
        assertThat(usage.completionTokens()).isEqualTo(12);
        assertThat(usage.cachedTokens()).isEqualTo(187_364);
        assertThat(usage.cacheWriteTokens()).isEqualTo(188);
    }

    @Test
    void aStreamedJsonSchemaAnswerArrivesAsContent() {
        Upstream.answerStream(wm, fixture("streams/json-answer-person.sse"));

        List<ChatChunk> chunks = streamAll(provider, call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("Extract the person from: Grace Hopper was 85 when she died in 1992."))
                .responseFormat(ResponseFormat.jsonSchema("person", Map.of("type", "object"))).build()));

        assertThat(tree(text(chunks))).isEqualTo(tree("{\"name\": \"Grace Hopper\", \"age\": 85}"));
        assertThat(choices(chunks)).allSatisfy(c -> assertThat(c.delta().toolCalls()).isNull());
        assertThat(finishReasons(chunks)).containsExactly("stop");
    }

    @Test
    void anOverloadedErrorEventMidStreamFailsTheStreamAsAServerFailure() {
        Upstream.answerStream(wm, fixture("streams/overloaded-mid-stream.sse"));

        ProviderException e = streamFailure(provider, call(SONNET, ask("Hello")));

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.upstreamType()).contains("overloaded_error");
        assertThat(e.getMessage()).isEqualTo("Overloaded");
    }

    @ParameterizedTest(name = "an error event of type {0} is {1}")
    @CsvSource(delimiter = '|', value = {
            "rate_limit_error      | RATE_LIMIT     | Your account has hit a rate limit.",
            "api_error             | SERVER         | Internal server error",
            "invalid_request_error | CONTEXT_LENGTH | prompt is too long: 208310 tokens > 200000 maximum",
            "invalid_request_error | BAD_REQUEST    | max_tokens: must be greater than 0",
            "authentication_error  | AUTH           | invalid x-api-key"})
    void anErrorEventIsClassifiedByItsType(String type, FailureKind kind, String message) {
        Upstream.answerStream(wm, fixture("streams/overloaded-mid-stream.sse")
                .replace("overloaded_error", type).replace("\"Overloaded\"", "\"" + message + "\""));

        ProviderException e = streamFailure(provider, call(SONNET, ask("Hello")));

        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e.upstreamType()).contains(type);
        assertThat(e.getMessage()).isEqualTo(message);
    }

    @ParameterizedTest(name = "a body that ends before {0} is a truncated stream")
    @CsvSource({"event: message_delta", "event: message_stop"})
    void aBodyEndingBeforeMessageStopIsATruncatedStream(String cutBefore) {
        String whole = fixture("streams/text.sse");
        Upstream.answerStream(wm, whole.substring(0, whole.indexOf(cutBefore)));

        ProviderException e = streamFailure(provider, call(SONNET, ask("Hello")));

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).contains("ended before it was complete");
    }

    @Test
    void anErrorStatusBeforeTheStreamIsClassifiedLikeAChatError() {
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(529)
                .withBody(fixture("errors/529-overloaded-error.json"))));

        ProviderException e = streamFailure(provider, call(SONNET, ask("Hello")));

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.status()).isEqualTo(529);
        assertThat(e.upstreamType()).contains("overloaded_error");
    }

    @Test
    void aRequestTheMessagesApiCannotTakeFailsTheStreamWithoutCallingIt() {
        ProviderException e = streamFailure(provider, call(SONNET, ChatRequest.builder().addMessage(Message.user(
                List.of(new ContentPart.Audio("UklGRg==", "wav", null, Map.of())))).build()));

        assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(e.getMessage()).startsWith("messages[0].content[0]: the Messages API takes no input_audio parts");
        assertThat(wm.findAll(postRequestedFor(urlEqualTo(MESSAGES)))).isEmpty();
    }
}
