package dev.chatrouter.plugin.anthropic;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.anthropic.Upstream.WAIT;
import static dev.chatrouter.plugin.anthropic.Upstream.coreFixture;
import static dev.chatrouter.plugin.anthropic.Upstream.fixture;
import static dev.chatrouter.plugin.anthropic.Upstream.tree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router in process, configured by a YAML file with an openai provider and an anthropic provider (each over its
 * own WireMock upstream) and two routes that list them in opposite orders: when the first target fails with a
 * server error, the second serves, for chat and for streams, and the caller sees its intent as the model.
 */
class CrossProviderFallbackTest {

    private static final String OPENAI_CHAT = "/v1/chat/completions";

    @RegisterExtension
    static final WireMockExtension openai = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();
    @RegisterExtension
    static final WireMockExtension anthropic = WireMockExtension.newInstance()
            .options(wireMockConfig().dynamicPort()).build();

    @TempDir
    Path dir;
    private ChatRouter router;

    @BeforeEach
    void buildRouter() throws Exception {
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, """
                providers:
                  oa:
                    type: openai
                    base_url: http://localhost:%d/v1
                    api_key: ${OA_KEY}
                    timeouts: { connect_ms: 2000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      mini: { upstream: gpt-5.5-mini, capabilities: [streaming] }
                  an:
                    type: anthropic
                    base_url: http://localhost:%d
                    api_key: ${AN_KEY}
                    default_max_tokens: 1024
                    timeouts: { connect_ms: 2000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      haiku: { upstream: claude-haiku-4-5, capabilities: [streaming] }
                routes:
                  openai-first:
                    pools:
                      "*": { policy: priority, targets: [oa/mini, an/haiku] }
                    fallback: { max_attempts: 2, retries_per_target: 0 }
                  anthropic-first:
                    pools:
                      "*": { policy: priority, targets: [an/haiku, oa/mini] }
                    fallback: { max_attempts: 2, retries_per_target: 0 }
                """.formatted(openai.getPort(), anthropic.getPort()));
        router = ChatRouter.builder().configFile(config)
                .environment(Map.of("OA_KEY", "sk-oa-test", "AN_KEY", "sk-ant-test")).build();
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    private static ChatRequest ask(String intent) {
        return ChatRequest.builder().model(intent).addMessage(Message.system("You are a concise assistant."))
                .addMessage(Message.user("Say hello.")).build();
    }

    private static void anthropicFails() {
        anthropic.stubFor(post(Upstream.MESSAGES).willReturn(aResponse().withStatus(529)
                .withHeader("Content-Type", "application/json").withBody(fixture("errors/529-overloaded-error.json"))));
    }

    private static void openAiFails() {
        openai.stubFor(post(OPENAI_CHAT).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json")
                .withBody(coreFixture("errors/status-500-server-error.json"))));
    }

    private static void assertFellBack(RoutingReport report, String intent, String failed, int status,
                                       String served) {
        assertThat(report.intent()).isEqualTo(intent);
        assertThat(report.target()).isEqualTo(served);
        assertThat(report.attempts()).hasSize(2);
        Attempt first = report.attempts().get(0);
        assertThat(first.target()).isEqualTo(failed);
        assertThat(first.failure()).isEqualTo(FailureKind.SERVER);
        assertThat(first.status()).isEqualTo(status);
        Attempt second = report.attempts().get(1);
        assertThat(second.target()).isEqualTo(served);
        assertThat(second.succeeded()).isTrue();
    }

    /** The one request the anthropic upstream got: the Messages API shape, with the provider's key and options. */
    private static void assertAnthropicWasAskedNatively(boolean stream) {
        List<LoggedRequest> sent = anthropic.findAll(postRequestedFor(urlEqualTo(Upstream.MESSAGES)));
        assertThat(sent).singleElement().satisfies(request -> {
            assertThat(request.getHeader("x-api-key")).isEqualTo("sk-ant-test");
            assertThat(tree(request.getBodyAsString())).isEqualTo(tree("""
                    {"model": "claude-haiku-4-5", "max_tokens": 1024,
                     "system": [{"type": "text", "text": "You are a concise assistant."}],
                     "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hello."}]}]%s}"""
                    .formatted(stream ? ", \"stream\": true" : "")));
        });
    }

    private static List<ChatChunk> streamAll(ChatStream stream) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.completed()).isTrue();
        return subscriber.items();
    }

    private static String text(List<ChatChunk> chunks) {
        return chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content())
                .filter(Objects::nonNull).collect(Collectors.joining());
    }

    @Test
    void chatFallsBackFromAnOverloadedAnthropicToOpenAi() throws Exception {
        anthropicFails();
        openai.stubFor(post(OPENAI_CHAT).willReturn(okJson(coreFixture("responses/di-chat-system-prompt.json"))));

        ChatResult result = router.chat(ask("anthropic-first")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("anthropic-first");
        assertThat(result.response().text()).startsWith("1. Reset devices");
        assertFellBack(result.report(), "anthropic-first", "an/haiku", 529, "oa/mini");
        assertAnthropicWasAskedNatively(false);
    }

    @Test
    void chatFallsBackFromAFailingOpenAiToAnthropic() throws Exception {
        openAiFails();
        Upstream.answer(anthropic, fixture("responses/text.json"));

        ChatResult result = router.chat(ask("openai-first")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("openai-first");
        assertThat(result.response().text()).isEqualTo("Hi! My name is Claude.");
        assertThat(result.response().usage().promptTokens()).isEqualTo(2095);
        assertFellBack(result.report(), "openai-first", "oa/mini", 500, "an/haiku");
        assertAnthropicWasAskedNatively(false);
    }

    @Test
    void aStreamFallsBackFromAnOverloadedAnthropicToOpenAi() throws Exception {
        anthropicFails();
        openai.stubFor(post(OPENAI_CHAT).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(coreFixture("sse/di-stream-haiku.sse"))));
        ChatStream stream = router.stream(ask("anthropic-first"));

        List<ChatChunk> chunks = streamAll(stream);

        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("anthropic-first"));
        assertThat(text(chunks)).isEqualTo("Packets cross the sea —\nninety milliseconds pass,\nthe cursor still blinks.");
        assertFellBack(stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS), "anthropic-first",
                "an/haiku", 529, "oa/mini");
        assertAnthropicWasAskedNatively(true);
    }

    @Test
    void aStreamFallsBackFromAFailingOpenAiToAnthropic() throws Exception {
        openAiFails();
        Upstream.answerStream(anthropic, fixture("streams/text.sse"));
        ChatStream stream = router.stream(ask("openai-first"));

        List<ChatChunk> chunks = streamAll(stream);

        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("openai-first"));
        assertThat(text(chunks)).isEqualTo("Hello!");
        assertThat(chunks).flatExtracting(ChatChunk::choices).extracting(c -> c.finishReason())
                .contains("stop");
        assertFellBack(stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS), "openai-first",
                "oa/mini", 500, "an/haiku");
        assertAnthropicWasAskedNatively(true);
    }
}
