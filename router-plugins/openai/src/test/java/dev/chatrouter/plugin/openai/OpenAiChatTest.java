package dev.chatrouter.plugin.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.TestSubscriber;
import dev.chatrouter.kit.wire.WireCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.openai.Upstreams.API_KEY;
import static dev.chatrouter.plugin.openai.Upstreams.MODEL;
import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.await;
import static dev.chatrouter.plugin.openai.Upstreams.call;
import static dev.chatrouter.plugin.openai.Upstreams.fixture;
import static dev.chatrouter.plugin.openai.Upstreams.hello;
import static dev.chatrouter.plugin.openai.Upstreams.requestFixture;
import static dev.chatrouter.plugin.openai.Upstreams.spec;
import static dev.chatrouter.plugin.openai.Upstreams.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** What the openai plugin sends an OpenAI-compatible upstream and how it reads the answers, against WireMock. */
class OpenAiChatTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Upstreams.TestContext context;
    private final List<Provider> providers = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        context = new Upstreams.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @AfterEach
    void closeProviders() {
        providers.forEach(Provider::close);
    }

    private String baseUrl() {
        return wm.baseUrl() + "/v1";
    }

    private Provider provider(ProviderSpec.Builder spec) {
        Provider provider = Upstreams.provider(spec.build(), context);
        providers.add(provider);
        return provider;
    }

    private Provider provider() {
        return provider(spec(baseUrl()));
    }

    private static void answerChat(String body) {
        wm.stubFor(post("/v1/chat/completions").willReturn(okJson(body)));
    }

    private static void answerStream(String sse) {
        wm.stubFor(post("/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(sse)));
    }

    private static LoggedRequest onlyRequest(String path) {
        List<LoggedRequest> requests = wm.findAll(postRequestedFor(urlEqualTo(path)));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private static JsonNode sentBody(String path) {
        return tree(onlyRequest(path).getBodyAsString());
    }

    private static List<ChatChunk> streamAll(Provider provider, ChatRequest request) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(request)).subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.completed()).isTrue();
        return subscriber.items();
    }

    /** The fixture's chunk lines, as the decoder should give them back. */
    private static List<ChatChunk> chunkFixture(String name) {
        return fixture("chunks/" + name + ".jsonl").lines().filter(line -> !line.isBlank())
                .map(WireCodec::readChatChunk).collect(Collectors.toList());
    }

    @Test
    void chatSendsTheRequestWithKeyAndHeadersAndPassesUnknownFieldsThroughUntouched() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));
        String sent = """
                {"model": "gpt-5.5-mini",
                 "messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Hi", "x_trace": {"span": 7}}],
                 "temperature": 0.2, "seed": -1, "min_p": 0.05, "top_k": 40, "repetition_penalty": 1.1,
                 "provider": {"order": ["a", "b"], "allow_fallbacks": false}, "logit_bias": {"50256": -100}}""";

        await(provider(spec(baseUrl()).header("OpenAI-Organization", "org-1").header("X-Title", "ChatRouter"))
                .chat(call(WireCodec.readChatRequest(sent.getBytes(StandardCharsets.UTF_8)))));

        LoggedRequest request = onlyRequest("/v1/chat/completions");
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        assertThat(request.getHeader("OpenAI-Organization")).isEqualTo("org-1");
        assertThat(request.getHeader("X-Title")).isEqualTo("ChatRouter");
        assertThat(request.getHeader("Content-Type")).startsWith("application/json");
        assertThat(request.getHeader("Accept")).isEqualTo("application/json");
        assertThat(tree(request.getBodyAsString())).isEqualTo(tree(sent));
    }

    @Test
    void chatDropsTheCallersStreamFlags() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));

        await(provider().chat(call(hello().stream(true).streamOptions(new StreamOptions(true, Map.of())).build())));

        JsonNode body = sentBody("/v1/chat/completions");
        assertThat(body.has("stream")).isFalse();
        assertThat(body.has("stream_options")).isFalse();
        assertThat(body.get("model").asText()).isEqualTo(MODEL);
    }

    /**
     * Chat Completions takes only text in a tool message, while an Anthropic tool_result or a Responses
     * function_call_output may hold an image (Claude Code reading a screenshot, Codex's view_image): the tool
     * message keeps its text and the image goes in a user message after the turn's tool messages, naming its call.
     */
    @Test
    void imagesOfToolResultsGoInAUserMessageAfterTheToolMessages() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));
        String png = "data:image/png;base64,iVBORw0KGgo=";
        ChatRequest request = ChatRequest.builder().model(MODEL)
                .addMessage(Message.user("Compare a.png with the log"))
                .addMessage(Message.assistantToolCalls(List.of(ToolCall.function("call_1", "view_image", "{}"),
                        ToolCall.function("call_2", "read_log", "{}"))))
                .addMessage(new Message(Role.TOOL, Content.of(List.of(
                        new ContentPart.Image(png, "low", null, Map.of()))), null, null, "call_1", null, Map.of()))
                .addMessage(Message.tool("call_2", "no errors"))
                .addMessage(Message.user("Well?"))
                .build();

        await(provider().chat(call(request)));

        JsonNode messages = sentBody("/v1/chat/completions").path("messages");
        assertThat(messages).extracting(m -> m.path("role").asText())
                .containsExactly("user", "assistant", "tool", "tool", "user", "user");
        assertThat(messages.at("/2/tool_call_id").asText()).isEqualTo("call_1");
        assertThat(messages.at("/2/content/0/type").asText()).isEqualTo("text");
        assertThat(messages.at("/2/content")).hasSize(1);
        assertThat(messages.at("/3/content").asText()).isEqualTo("no errors");
        assertThat(messages.at("/4/content/0/text").asText()).contains("call_1");
        assertThat(messages.at("/4/content/1/image_url/url").asText()).isEqualTo(png);
        assertThat(messages.at("/4/content/1/image_url/detail").asText()).isEqualTo("low");
        assertThat(messages.at("/5/content").asText()).isEqualTo("Well?");
    }

    /** A tool message of text parts only goes as it is. */
    @Test
    void toolMessagesOfTextGoAsTheyAre() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));
        ChatRequest request = ChatRequest.builder().model(MODEL)
                .addMessage(Message.assistantToolCalls(List.of(ToolCall.function("call_1", "read_log", "{}"))))
                .addMessage(new Message(Role.TOOL, Content.of(List.of(ContentPart.text("no errors"))), null, null,
                        "call_1", null, Map.of()))
                .build();

        await(provider().chat(call(request)));

        JsonNode messages = sentBody("/v1/chat/completions").path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.at("/1/content/0/text").asText()).isEqualTo("no errors");
    }

    @Test
    void providerWithoutKeySendsNoAuthorization() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));

        await(provider(spec(baseUrl()).apiKey(null)).chat(call(hello().build())));

        assertThat(onlyRequest("/v1/chat/completions").containsHeader("Authorization")).isFalse();
    }

    @Test
    void configuredHeadersReplaceThePluginsOwnWhateverTheirCase() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));

        await(provider(spec(baseUrl()).header("Authorization", "Bearer from-headers").header("ACCEPT", "*/*"))
                .chat(call(hello().build())));

        LoggedRequest request = onlyRequest("/v1/chat/completions");
        assertThat(request.getHeaders().getHeader("Authorization").values()).containsExactly("Bearer from-headers");
        assertThat(request.getHeaders().getHeader("Accept").values()).containsExactly("*/*");
    }

    @ParameterizedTest(name = "{0} {1} {2}: {3} -> {4}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            up     | -          | -                     | max_tokens            | max_tokens
            up     | -          | -                     | max_completion_tokens | max_tokens
            up     | openai     | -                     | max_tokens            | max_completion_tokens
            up     | groq       | -                     | max_completion_tokens | max_completion_tokens
            up     | deepinfra  | -                     | max_completion_tokens | max_tokens
            up     | deepinfra  | max_completion_tokens | max_tokens            | max_completion_tokens
            up     | openai     | max_tokens            | max_completion_tokens | max_tokens
            openai | -          | -                     | max_tokens            | max_completion_tokens
            """)
    void outputLimitGoesInTheFieldThePresetOrOptionNames(String providerId, String preset, String field,
                                                         String callerField, String expectedField) throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));
        ProviderSpec.Builder spec = ProviderSpec.builder(providerId, "openai").baseUrl(baseUrl()).apiKey(API_KEY)
                .model(ModelSpec.of(MODEL));
        if (preset != null) {
            spec.option("preset", preset);
        }
        if (field != null) {
            spec.option("max_tokens_field", field);
        }
        ChatRequest.Builder request = hello();
        if (callerField.equals("max_tokens")) {
            request.maxTokens(300);
        } else {
            request.maxCompletionTokens(300);
        }

        await(provider(spec).chat(call(request.build())));

        JsonNode body = sentBody("/v1/chat/completions");
        String otherField = expectedField.equals("max_tokens") ? "max_completion_tokens" : "max_tokens";
        assertThat(body.get(expectedField).asInt()).isEqualTo(300);
        assertThat(body.has(otherField)).as(otherField).isFalse();
    }

    @Test
    void chatDecodesTheAnswer() throws Exception {
        answerChat(fixture("responses/di-chat-system-prompt.json"));

        ChatResponse response = await(provider().chat(call(requestFixture("requests/di-chat-system-prompt.json"))));

        assertThat(response.id()).isEqualTo("chatcmpl-di-7f3a9c2e5b1d4f60");
        assertThat(response.model()).isEqualTo(MODEL);
        assertThat(response.created()).isEqualTo(1763712000L);
        assertThat(response.text()).startsWith("1. Reset devices").endsWith("zipper pull.");
        assertThat(response.choices()).singleElement().satisfies(choice -> {
            assertThat(choice.finishReason()).isEqualTo("stop");
            assertThat(choice.message().role()).isEqualTo(Role.ASSISTANT);
        });
        assertThat(response.usage().promptTokens()).isEqualTo(27L);
        assertThat(response.usage().completionTokens()).isEqualTo(29);
        assertThat(response.usage().totalTokens()).isEqualTo(56);
        assertThat(sentBody("/v1/chat/completions"))
                .isEqualTo(tree(fixture("requests/di-chat-system-prompt.json")));
    }

    @Test
    void streamAsksForAnEventStreamWithUsageAndDecodesEveryChunk() {
        answerStream(fixture("sse/di-stream-haiku-include-usage.sse"));

        List<ChatChunk> chunks = streamAll(provider(), requestFixture("requests/di-stream-haiku.json"));

        assertThat(chunks).isEqualTo(chunkFixture("di-stream-haiku-include-usage"));
        assertThat(chunks.get(chunks.size() - 1).usage().totalTokens()).isEqualTo(31);
        LoggedRequest request = onlyRequest("/v1/chat/completions");
        assertThat(request.getHeader("Accept")).isEqualTo("text/event-stream");
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        JsonNode expected = tree(fixture("requests/di-stream-haiku.json"));
        ((ObjectNode) expected).putObject("stream_options").put("include_usage", true);
        assertThat(tree(request.getBodyAsString())).isEqualTo(expected);
    }

    /** The option as a boolean, or as the text a {@code ${VAR}} in the configuration file gives. */
    @ParameterizedTest(name = "stream_usage {0}")
    @ValueSource(strings = {"boolean", "text"})
    void streamUsageOffSendsNoStreamOptionsEvenWhenTheCallerHadSome(String form) {
        answerStream(fixture("sse/di-stream-haiku.sse"));
        Object off = "text".equals(form) ? "false" : Boolean.FALSE;

        List<ChatChunk> chunks = streamAll(provider(spec(baseUrl()).option("stream_usage", off)),
                requestFixture("requests/di-stream-haiku-include-usage.json"));

        assertThat(chunks).isEqualTo(chunkFixture("di-stream-haiku"));
        JsonNode body = sentBody("/v1/chat/completions");
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.has("stream_options")).as("stream_options sent to a server that rejects it").isFalse();
    }

    @Test
    void chatToolCallArrivesWithItsIdNameAndArguments() throws Exception {
        answerChat(fixture("responses/di-tools-get-weather.json"));

        ChatResponse response = await(provider().chat(call(requestFixture("requests/di-tools-get-weather.json"))));

        assertThat(sentBody("/v1/chat/completions")).isEqualTo(tree(fixture("requests/di-tools-get-weather.json")));
        assertThat(response.choices()).singleElement().satisfies(choice -> {
            assertThat(choice.finishReason()).isEqualTo("tool_calls");
            assertThat(choice.message().content()).isNull();
            assertThat(choice.message().toolCalls()).singleElement().satisfies(call -> {
                assertThat(call.id()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
                assertThat(call.type()).isEqualTo("function");
                assertThat(call.function().name()).isEqualTo("get_weather");
                assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");
            });
        });
    }

    @Test
    void streamedToolCallsArriveAsIndexedDeltasThatRebuildEachCall() {
        answerStream(fixture("sse/di-stream-parallel-tool-calls.sse"));

        List<ChatChunk> chunks = streamAll(provider(),
                requestFixture("requests/di-stream-parallel-tool-calls.json"));

        assertThat(chunks).isEqualTo(chunkFixture("di-stream-parallel-tool-calls"));
        List<ToolCall> fragments = chunks.stream().flatMap(c -> c.choices().stream()).map(ChunkChoice::delta)
                .filter(d -> d.toolCalls() != null).flatMap(d -> d.toolCalls().stream()).toList();
        assertThat(fragments).filteredOn(f -> f.id() != null).extracting(ToolCall::index, ToolCall::id)
                .containsExactly(tuple(0, "call_Vb7nK2pX9qLm4Rt1"),
                        tuple(1, "call_Hc4sW8eJ1yTz6Dn0"));
        Map<Integer, String> arguments = fragments.stream().collect(Collectors.groupingBy(ToolCall::index,
                Collectors.mapping(f -> f.function().arguments(), Collectors.joining())));
        assertThat(arguments).containsExactlyInAnyOrderEntriesOf(
                Map.of(0, "{\"city\":\"Paris\"}", 1, "{\"city\":\"Tokyo\"}"));
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(chunks.get(chunks.size() - 1).usage().totalTokens()).isEqualTo(101);
    }

    @Test
    void embeddingsPostTheRequestAndDecodeTheVectors() throws Exception {
        wm.stubFor(post("/v1/embeddings")
                .willReturn(okJson(fixture("embeddings/responses/deepinfra-bge-array-input.json"))));
        EmbeddingRequest request = EmbeddingRequest.of("BAAI/bge-large-en-v1.5", List.of("hello", "world"));
        request = new EmbeddingRequest(request.model(), request.input(), false, "float", null, null,
                Map.of("normalize", true));

        EmbeddingResponse response = await(provider().embed(
                new EmbeddingCall("req-1", ModelSpec.of("BAAI/bge-large-en-v1.5"), request, null)));

        LoggedRequest sent = onlyRequest("/v1/embeddings");
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        JsonNode expected = tree(fixture("embeddings/requests/deepinfra-bge-array-input.json"));
        ((ObjectNode) expected).put("normalize", true);
        assertThat(tree(sent.getBodyAsString())).isEqualTo(expected);
        assertThat(response.data()).hasSize(2);
        assertThat(response.data().get(1).index()).isEqualTo(1);
        assertThat(response.data().get(0).vector()).hasSize(1024);
        assertThat(response.usage().promptTokens()).isEqualTo(6);
    }

    @Test
    void embeddingOfOneStringIsSentAsAString() throws Exception {
        wm.stubFor(post("/v1/embeddings")
                .willReturn(okJson(fixture("embeddings/responses/compat-nomic-hello-world.json"))));

        EmbeddingResponse response = await(provider().embed(new EmbeddingCall("req-1",
                ModelSpec.of("nomic-embed-text"), EmbeddingRequest.of("nomic-embed-text", "Hello world"), null)));

        assertThat(sentBody("/v1/embeddings"))
                .isEqualTo(tree(fixture("embeddings/requests/compat-nomic-hello-world.json")));
        assertThat(response.data()).singleElement().satisfies(e -> assertThat(e.vector())
                .containsExactly(0.1, 0.2));
    }
}
