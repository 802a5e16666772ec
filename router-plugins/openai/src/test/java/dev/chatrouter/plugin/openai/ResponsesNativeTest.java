package dev.chatrouter.plugin.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.await;
import static dev.chatrouter.plugin.openai.Upstreams.tree;
import static org.assertj.core.api.Assertions.assertThat;

/** A Responses request to a model with the {@code responses} capability goes to {@code /responses} as it was sent. */
class ResponsesNativeTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static final ModelSpec RESPONSES = new ModelSpec("gpt", "gpt-4.1", Price.FREE, 128_000, 16_000,
            Set.of(Capability.TOOLS, Capability.STREAMING, Capability.RESPONSES));
    private static final ModelSpec CHAT_ONLY = new ModelSpec("gpt", "gpt-4.1", Price.FREE, 128_000, 16_000,
            Set.of(Capability.TOOLS, Capability.STREAMING));
    private static final String BODY = "{\"model\":\"smart\",\"input\":[{\"role\":\"user\",\"content\":\"Hello\"}],"
            + "\"include\":[\"reasoning.encrypted_content\"],\"prompt_cache_key\":\"k-1\",\"store\":false,"
            + "\"tools\":[{\"type\":\"web_search\"}],\"stream\":false}";

    private static Upstreams.TestContext context;
    private Provider provider;

    @BeforeAll
    static void startVertx() {
        context = new Upstreams.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @BeforeEach
    void createProvider() {
        provider = Upstreams.provider(Upstreams.spec(wm.baseUrl() + "/v1").model(RESPONSES).build(), context);
    }

    @AfterEach
    void closeProvider() {
        provider.close();
    }

    private static ProviderCall nativeCall(ModelSpec model) {
        ChatRequest translated = ChatRequest.builder().model(model.upstream()).addMessage(Message.user("Hello"))
                .nativeRequest(new NativeRequest(NativeRequest.Surface.RESPONSES, BODY.getBytes(StandardCharsets.UTF_8),
                        Map.of("OpenAI-Beta", "responses=v1"))).build();
        return new ProviderCall("req-1", model, translated, null);
    }

    private static String nativeFixture(String name) {
        try (var in = ResponsesNativeTest.class.getResourceAsStream("/native/" + name)) {
            return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertSentAsIs(LoggedRequest sent, boolean stream) {
        JsonNode body = tree(sent.getBodyAsString());
        JsonNode original = tree(BODY);
        assertThat(body.get("model").asText()).isEqualTo("gpt-4.1");
        for (String field : List.of("input", "include", "prompt_cache_key", "store", "tools")) {
            assertThat(body.get(field)).as(field).isEqualTo(original.get(field));
        }
        assertThat(body.has("stream")).isEqualTo(stream);
        assertThat(sent.getHeader("openai-beta")).isEqualTo("responses=v1");
        assertThat(sent.getHeader("authorization")).isEqualTo("Bearer " + Upstreams.API_KEY);
    }

    @Test
    void aWholeResponseComesBackAsSentWithItsUsage() throws Exception {
        String answer = nativeFixture("responses-text.json");
        wm.stubFor(post("/v1/responses").willReturn(okJson(answer)));

        ChatResponse response = await(provider.chat(nativeCall(RESPONSES)));

        assertSentAsIs(wm.findAll(postRequestedFor(urlEqualTo("/v1/responses"))).get(0), false);
        assertThat(response.nativeAnswer()).isEqualTo(NativeAnswer.body(answer.getBytes(StandardCharsets.UTF_8)));
        assertThat(response.text()).isEqualTo("Hello! How can I help?");
        assertThat(response.usage().promptTokens()).isEqualTo(328);
        assertThat(response.usage().cachedTokens()).isEqualTo(128);
        assertThat(response.usage().completionTokens()).isEqualTo(52);
    }

    @Test
    void aFunctionCallIsReadAsAToolCall() throws Exception {
        wm.stubFor(post("/v1/responses").willReturn(okJson(nativeFixture("responses-function-call.json"))));

        ChatResponse response = await(provider.chat(nativeCall(RESPONSES)));

        assertThat(response.choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(response.choices().get(0).message().toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.id()).isEqualTo("call_12345xyz");
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).isEqualTo("{\"location\":\"Paris, France\"}");
        });
    }

    @Test
    void aStreamRelaysEveryEventAndReadsTheUsageOfResponseCompleted() {
        String sse = nativeFixture("responses-text.sse");
        wm.stubFor(post("/v1/responses").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(sse)));

        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(nativeCall(RESPONSES)).subscribe(subscriber);
        subscriber.awaitDone(WAIT);

        assertThat(subscriber.error()).isNull();
        List<ChatChunk> chunks = subscriber.items();
        assertSentAsIs(wm.findAll(postRequestedFor(urlEqualTo("/v1/responses"))).get(0), true);
        assertThat(tree(wm.findAll(postRequestedFor(urlEqualTo("/v1/responses"))).get(0).getBodyAsString())
                .get("stream").asBoolean()).isTrue();
        List<String> relayed = chunks.stream().map(ChatChunk::nativeAnswer).filter(Objects::nonNull)
                .map(a -> a.event() + "\n" + new String(a.data(), StandardCharsets.UTF_8)).toList();
        List<String> expected = Arrays.stream(sse.split("\n\n")).filter(s -> !s.isBlank())
                .map(s -> s.strip().replace("event: ", "").replace("data: ", "")).toList();
        assertThat(relayed).containsExactlyElementsOf(expected);
        assertThat(chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content())
                .filter(Objects::nonNull).reduce("", String::concat)).isEqualTo("Hello! How can I help?");
        Usage usage = chunks.get(chunks.size() - 1).usage();
        assertThat(usage.promptTokens()).isEqualTo(328);
        assertThat(usage.cachedTokens()).isEqualTo(128);
        assertThat(usage.completionTokens()).isEqualTo(52);
    }

    @Test
    void inputTokensAreCountedByTheUpstream() throws Exception {
        wm.stubFor(post("/v1/responses/input_tokens").willReturn(okJson(nativeFixture("responses-input-tokens.json"))));

        assertThat(await(provider.countTokens(nativeCall(RESPONSES)))).hasValue(11);
        LoggedRequest sent = wm.findAll(postRequestedFor(urlEqualTo("/v1/responses/input_tokens"))).get(0);
        assertThat(tree(sent.getBodyAsString()).get("model").asText()).isEqualTo("gpt-4.1");
        assertThat(tree(sent.getBodyAsString()).get("input")).isEqualTo(tree(BODY).get("input"));
    }

    @Test
    void aFailedCountIsAProviderFailure() throws Exception {
        wm.stubFor(post("/v1/responses/input_tokens").willReturn(aResponse().withStatus(500)
                .withHeader("content-type", "application/json")
                .withBody(Upstreams.fixture("errors/status-500-server-error.json"))));

        assertThat(Upstreams.failure(provider.countTokens(nativeCall(RESPONSES))).kind())
                .isEqualTo(FailureKind.SERVER);
    }

    /** Without the capability the translated request goes to Chat Completions, and there is no upstream count. */
    @Test
    void aModelWithoutTheCapabilityGetsTheTranslation() throws Exception {
        wm.stubFor(post("/v1/chat/completions").willReturn(okJson(
                Upstreams.fixture("responses/compat-chat-hello.json"))));

        ChatResponse response = await(provider.chat(nativeCall(CHAT_ONLY)));

        assertThat(response.nativeAnswer()).isNull();
        assertThat(wm.findAll(postRequestedFor(urlEqualTo("/v1/responses")))).isEmpty();
        assertThat(await(provider.countTokens(nativeCall(CHAT_ONLY)))).isEmpty();
    }
}
