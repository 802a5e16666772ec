package dev.chatrouter.plugin.anthropic;

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
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.anthropic.Upstream.SONNET;
import static dev.chatrouter.plugin.anthropic.Upstream.await;
import static dev.chatrouter.plugin.anthropic.Upstream.fixture;
import static dev.chatrouter.plugin.anthropic.Upstream.tree;
import static org.assertj.core.api.Assertions.assertThat;

/** A request that came in on the Messages surface goes to Anthropic as it was sent, and its answer comes back so. */
class AnthropicNativeTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static final String BODY = "{\"model\":\"smart\",\"max_tokens\":1024,"
            + "\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
            + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},\"metadata\":{\"user_id\":\"u-1\"},"
            + "\"context_management\":{\"edits\":[]},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"stream\":true}";

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
        provider = Upstream.provider(Upstream.spec(wm.baseUrl()).header("anthropic-beta", "configured-1").build(),
                context);
    }

    @AfterEach
    void closeProvider() {
        provider.close();
    }

    /** The call the router makes for a Messages request: the translation, and beside it the body as sent. */
    private static ProviderCall nativeCall(String body) {
        ChatRequest translated = ChatRequest.builder().model(SONNET.upstream()).addMessage(Message.user("Hello"))
                .maxTokens(1024).nativeRequest(new NativeRequest(NativeRequest.Surface.MESSAGES,
                        body.getBytes(StandardCharsets.UTF_8), Map.of("Anthropic-Beta", "interleaved-thinking-2025-05-14",
                        "anthropic-version", "2023-06-01"))).build();
        return new ProviderCall("req-1", SONNET, translated, null);
    }

    private static void assertSentAsIs(LoggedRequest sent, Boolean stream) {
        JsonNode body = tree(sent.getBodyAsString());
        JsonNode original = tree(BODY);
        assertThat(body.get("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(body.get("system")).isEqualTo(original.get("system"));
        assertThat(body.get("thinking")).isEqualTo(original.get("thinking"));
        assertThat(body.get("metadata")).isEqualTo(original.get("metadata"));
        assertThat(body.get("context_management")).isEqualTo(original.get("context_management"));
        assertThat(body.has("stream")).isEqualTo(stream != null);
        if (stream != null) {
            assertThat(body.get("stream").asBoolean()).isEqualTo(stream);
        }
        assertThat(sent.getHeader("anthropic-beta")).isEqualTo("configured-1,interleaved-thinking-2025-05-14");
        assertThat(sent.getHeader("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.getHeader("x-api-key")).isEqualTo(Upstream.API_KEY);
    }

    @Test
    void aWholeAnswerComesBackAsSentWithItsTranslation() throws Exception {
        String answer = fixture("responses/prompt-cache-hit.json");
        wm.stubFor(post(Upstream.MESSAGES).willReturn(okJson(answer)));

        ChatResponse response = await(provider.chat(nativeCall(BODY)));

        assertSentAsIs(Upstream.onlyRequest(wm), null);
        assertThat(response.nativeAnswer()).isEqualTo(NativeAnswer.body(answer.getBytes(StandardCharsets.UTF_8)));
        JsonNode usage = tree(answer).get("usage");
        long prompt = usage.get("input_tokens").asLong() + usage.get("cache_read_input_tokens").asLong()
                + usage.get("cache_creation_input_tokens").asLong();
        assertThat(response.usage().promptTokens()).isEqualTo(prompt);
        assertThat(response.usage().cachedTokens()).isEqualTo(usage.get("cache_read_input_tokens").asLong());
        assertThat(response.usage().completionTokens()).isEqualTo(usage.get("output_tokens").asLong());
    }

    /** Every event is relayed, in order, each on the first chunk it gives (or an empty one), with the usage read. */
    @Test
    void aStreamRelaysEveryEventWithItsTranslation() {
        String sse = fixture("streams/text.sse");
        wm.stubFor(post(Upstream.MESSAGES).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(sse)));

        List<ChatChunk> chunks = Upstream.streamAll(provider, nativeCall(BODY));

        assertSentAsIs(Upstream.onlyRequest(wm), true);
        List<String> relayed = chunks.stream().map(ChatChunk::nativeAnswer).filter(Objects::nonNull)
                .map(a -> a.event() + "\n" + new String(a.data(), StandardCharsets.UTF_8)).toList();
        List<String> expected = java.util.Arrays.stream(sse.split("\n\n")).filter(s -> !s.isBlank())
                .map(s -> s.strip().replace("event: ", "").replace("data: ", "")).toList();
        assertThat(relayed).containsExactlyElementsOf(expected);
        assertThat(chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content())
                .filter(Objects::nonNull).reduce("", String::concat)).isEqualTo("Hello!");
        assertThat(chunks.get(chunks.size() - 1).usage()).isEqualTo(Usage.of(25, 15));
    }

    /** A thinking block signed by Anthropic: the only kind its API takes back. */
    private static final String SIGNED = "{\"type\":\"thinking\",\"thinking\":\"4, plainly.\","
            + "\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}";

    private static String conversation(String thinking, String... turns) {
        return "{\"model\":\"smart\",\"max_tokens\":4096,\"thinking\":" + thinking + ",\"messages\":["
                + String.join(",", turns) + "]}";
    }

    private JsonNode sentFor(String body) throws Exception {
        wm.stubFor(post(Upstream.MESSAGES).willReturn(okJson(fixture("responses/text.json"))));
        await(provider.chat(nativeCall(body)));
        return tree(Upstream.onlyRequest(wm).getBodyAsString());
    }

    /**
     * A turn another provider answered comes back from the client with thinking the Messages surface could not sign
     * ({@code "signature": ""}); Anthropic refuses such a block, so it is left out, and a turn of nothing else with it.
     * A signed block goes as it was sent.
     */
    @Test
    void thinkingThatAnthropicDidNotSignIsNotSentBack() throws Exception {
        String unsigned = "{\"type\":\"thinking\",\"thinking\":\"Add them.\",\"signature\":\"\"}";
        JsonNode sent = sentFor(conversation("{\"type\":\"enabled\",\"budget_tokens\":2048}",
                "{\"role\":\"user\",\"content\":\"What is 2+2?\"}",
                "{\"role\":\"assistant\",\"content\":[" + unsigned + ",{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"And 3+3?\"}",
                "{\"role\":\"assistant\",\"content\":[" + unsigned.replace("\"\"}", " \"\" }") + "]}",
                "{\"role\":\"user\",\"content\":\"And 2+2 again?\"}",
                "{\"role\":\"assistant\",\"content\":[" + SIGNED + ",{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"Thanks.\"}"));

        assertThat(sent.get("messages")).isEqualTo(tree("[" + String.join(",",
                "{\"role\":\"user\",\"content\":\"What is 2+2?\"}",
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"And 3+3?\"}",
                "{\"role\":\"user\",\"content\":\"And 2+2 again?\"}",
                "{\"role\":\"assistant\",\"content\":[" + SIGNED + ",{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"Thanks.\"}") + "]"));
        assertThat(sent.get("thinking")).isEqualTo(tree("{\"type\":\"enabled\",\"budget_tokens\":2048}"));
        assertThat(sent.get("model").asText()).isEqualTo("claude-sonnet-4-5");
    }

    /**
     * Anthropic refuses thinking in a tool loop whose last assistant turn does not start with signed thinking (as
     * when another provider made the call): the loop's next step goes without thinking rather than failing.
     */
    @Test
    void aToolLoopAnotherProviderStartedContinuesWithoutThinking() throws Exception {
        String toolUse = "{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\","
                + "\"input\":{\"location\":\"Paris\"}}";
        String toolResult = "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
                + "\"tool_use_id\":\"toolu_01\",\"content\":\"15 degrees\"}]}";
        JsonNode sent = sentFor(conversation("{\"type\":\"enabled\",\"budget_tokens\":2048}",
                "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}",
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Look it up.\","
                        + "\"signature\":\"\"}," + toolUse + "]}",
                toolResult));

        assertThat(sent.has("thinking")).isFalse();
        assertThat(sent.get("messages").get(1)).isEqualTo(tree("{\"role\":\"assistant\",\"content\":[" + toolUse
                + "]}"));

        wm.resetRequests();
        // The same loop started by Anthropic itself keeps its thinking.
        sent = sentFor(conversation("{\"type\":\"enabled\",\"budget_tokens\":2048}",
                "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}",
                "{\"role\":\"assistant\",\"content\":[" + SIGNED + "," + toolUse + "]}",
                toolResult));
        assertThat(sent.get("thinking")).isEqualTo(tree("{\"type\":\"enabled\",\"budget_tokens\":2048}"));
    }

    /** A body with nothing to leave out goes byte for byte as sent, but for its model. */
    @Test
    void aBodyWithOnlySignedThinkingIsNotRewritten() throws Exception {
        String body = conversation("{\"type\":\"enabled\",\"budget_tokens\":2048}",
                "{\"role\":\"user\",\"content\":\"What is 2+2?\"}",
                "{\"role\":\"assistant\",\"content\":[" + SIGNED + ",{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"Thanks.\"}");
        wm.stubFor(post(Upstream.MESSAGES).willReturn(okJson(fixture("responses/text.json"))));
        await(provider.chat(nativeCall(body)));

        assertThat(Upstream.onlyRequest(wm).getBodyAsString())
                .isEqualTo(body.replace("\"model\":\"smart\"", "\"model\":\"claude-sonnet-4-5\""));
    }

    /** The count endpoint checks the same rules: it is sent the same body. */
    @Test
    void theCountIsAskedWithoutTheUnsignedThinking() throws Exception {
        wm.stubFor(post("/v1/messages/count_tokens").willReturn(okJson(fixture("count/count-tokens.json"))));
        await(provider.countTokens(nativeCall(conversation("{\"type\":\"disabled\"}",
                "{\"role\":\"user\",\"content\":\"What is 2+2?\"}",
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Add.\","
                        + "\"signature\":\"\"},{\"type\":\"text\",\"text\":\"4\"}]}",
                "{\"role\":\"user\",\"content\":\"Thanks.\"}"))));

        JsonNode sent = tree(wm.findAll(postRequestedFor(urlEqualTo("/v1/messages/count_tokens"))).get(0)
                .getBodyAsString());
        assertThat(sent.get("messages").get(1)).isEqualTo(tree(
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"4\"}]}"));
    }

    @Test
    void countTokensAsksAnthropicsCountEndpoint() throws Exception {
        wm.stubFor(post("/v1/messages/count_tokens").willReturn(okJson(fixture("count/count-tokens.json"))));

        OptionalLong count = await(provider.countTokens(nativeCall(BODY)));

        assertThat(count).hasValue(2095);
        List<LoggedRequest> sent = wm.findAll(postRequestedFor(urlEqualTo("/v1/messages/count_tokens")));
        assertThat(sent).singleElement().satisfies(request -> {
            JsonNode body = tree(request.getBodyAsString());
            assertThat(body.get("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(body.has("max_tokens")).isFalse();
            assertThat(body.has("stream")).isFalse();
            assertThat(body.get("system")).isEqualTo(tree(BODY).get("system"));
            assertThat(request.getHeader("x-api-key")).isEqualTo(Upstream.API_KEY);
            assertThat(request.getHeader("anthropic-beta")).isEqualTo("configured-1,interleaved-thinking-2025-05-14");
        });
    }

    @Test
    void aFailedCountIsAProviderFailure() throws Exception {
        wm.stubFor(post("/v1/messages/count_tokens").willReturn(aResponse().withStatus(529)
                .withHeader("content-type", "application/json").withBody(fixture("errors/529-overloaded-error.json"))));

        assertThat(Upstream.failure(provider.countTokens(nativeCall(BODY))).kind()).isEqualTo(FailureKind.SERVER);
    }

    /** A request without a Messages body is translated as before, and has no count of the provider's. */
    @Test
    void aTranslatedRequestHasNoNativeAnswerAndNoCount() throws Exception {
        wm.stubFor(post(Upstream.MESSAGES).willReturn(okJson(fixture("responses/text.json"))));
        ProviderCall translated = Upstream.call(SONNET, ChatRequest.builder().addMessage(Message.user("Hi")).build());

        assertThat(await(provider.chat(translated)).nativeAnswer()).isNull();
        assertThat(await(provider.countTokens(translated))).isEmpty();
        assertThat(wm.findAll(postRequestedFor(urlEqualTo("/v1/messages/count_tokens")))).isEmpty();
    }
}
