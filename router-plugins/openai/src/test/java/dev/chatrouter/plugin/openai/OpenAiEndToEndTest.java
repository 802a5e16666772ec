package dev.chatrouter.plugin.openai;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.EmbeddingResult;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.embed.EmbeddingRequest;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.fixture;
import static dev.chatrouter.plugin.openai.Upstreams.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * The router in process, configured by a YAML file whose only provider is the openai plugin pointed at WireMock:
 * what an embedder gets from {@code ChatRouter.builder().configFile(path).build()}.
 */
class OpenAiEndToEndTest {

    private static final String KEY = "sk-from-the-environment";

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    @TempDir
    Path dir;
    private ChatRouter router;

    @BeforeEach
    void buildRouter() throws Exception {
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, """
                providers:
                  up:
                    type: openai
                    base_url: http://localhost:%d/v1
                    api_key: ${UP_API_KEY}
                    headers: { X-Title: ChatRouter e2e }
                    timeouts: { connect_ms: 2000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      mini:
                        upstream: gpt-5.5-mini
                        price: { input: 1.0, output: 2.0 }
                        capabilities: [tools, streaming, embeddings]
                routes:
                  di:
                    match: ["gpt-*"]
                    pools:
                      "*": { policy: priority, targets: [up/mini] }
                    fallback: { max_attempts: 1, retries_per_target: 0 }
                """.formatted(wm.getPort()));
        router = ChatRouter.builder().configFile(config).environment(Map.of("UP_API_KEY", KEY)).build();
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    private static ChatRequest ask(String intent) {
        return ChatRequest.builder().model(intent).addMessage(Message.system("You are a concise assistant."))
                .addMessage(Message.user("Name three uses for a paperclip.")).build();
    }

    private static LoggedRequest onlyChatRequest() {
        List<LoggedRequest> requests = wm.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private static void assertReportNamesTheTarget(RoutingReport report, String intent) {
        assertThat(report.intent()).isEqualTo(intent);
        assertThat(report.route()).isEqualTo("di");
        assertThat(report.target()).isEqualTo("up/mini");
        assertThat(report.candidates()).containsExactly("up/mini");
        assertThat(report.attempts()).singleElement().satisfies(attempt -> {
            assertThat(attempt.target()).isEqualTo("up/mini");
            assertThat(attempt.succeeded()).isTrue();
        });
    }

    @Test
    void chatReturnsTheUpstreamsAnswerWithTheIntentAsModel() throws Exception {
        wm.stubFor(post("/v1/chat/completions").willReturn(okJson(fixture("responses/di-chat-system-prompt.json"))));

        ChatResult result = router.chat(ask("di")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("di");
        assertThat(result.response().id()).isEqualTo("chatcmpl-di-7f3a9c2e5b1d4f60");
        assertThat(result.response().text()).startsWith("1. Reset devices");
        assertThat(result.response().usage().promptTokens()).isEqualTo(27L);
        assertReportNamesTheTarget(result.report(), "di");
        // 27 input tokens at $1/M and 29 output tokens at $2/M
        assertThat(result.report().costUsd()).isCloseTo(85e-6, offset(1e-12));
        LoggedRequest sent = onlyChatRequest();
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(sent.getHeader("X-Title")).isEqualTo("ChatRouter e2e");
        assertThat(tree(sent.getBodyAsString()).get("model").asText()).isEqualTo("gpt-5.5-mini");
    }

    @Test
    void anIdMatchedByAGlobIsEchoedAsSent() throws Exception {
        wm.stubFor(post("/v1/chat/completions").willReturn(okJson(fixture("responses/di-chat-system-prompt.json"))));

        ChatResult result = router.chat(ask("gpt-4o")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("gpt-4o");
        assertReportNamesTheTarget(result.report(), "gpt-4o");
        assertThat(tree(onlyChatRequest().getBodyAsString()).get("model").asText()).isEqualTo("gpt-5.5-mini");
    }

    @Test
    void streamReturnsTheUpstreamsChunksWithTheIntentAsModelAndReportsTheRoute() throws Exception {
        wm.stubFor(post("/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody(fixture("sse/di-stream-haiku-include-usage.sse"))));
        ChatStream stream = router.stream(ask("di"));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();

        stream.subscribe(subscriber);
        subscriber.awaitDone(WAIT);

        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.completed()).isTrue();
        List<ChatChunk> chunks = subscriber.items();
        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("di"));
        String text = chunks.stream().flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content() == null ? "" : c.delta().content())
                .reduce("", String::concat);
        assertThat(text).isEqualTo(fixture("chunks/di-stream-haiku-include-usage.jsonl").lines()
                .map(line -> tree(line).path("choices").path(0).path("delta").path("content").asText(""))
                .reduce("", String::concat));
        assertThat(chunks).noneMatch(chunk -> chunk.usage() != null); // the caller did not ask for usage
        assertReportNamesTheTarget(stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS), "di");
        LoggedRequest sent = onlyChatRequest();
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(tree(sent.getBodyAsString()).get("model").asText()).isEqualTo("gpt-5.5-mini");
        assertThat(tree(sent.getBodyAsString()).get("stream").asBoolean()).isTrue();
    }

    @Test
    void embeddingsAreRoutedToTheUpstreamAndEchoTheIntent() throws Exception {
        wm.stubFor(post("/v1/embeddings")
                .willReturn(okJson(fixture("embeddings/responses/compat-nomic-hello-world.json"))));

        EmbeddingResult result = router.embed(EmbeddingRequest.of("di", "Hello world")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("di");
        assertThat(result.response().data()).singleElement()
                .satisfies(e -> assertThat(e.vector()).containsExactly(0.1, 0.2));
        assertThat(result.report().target()).isEqualTo("up/mini");
        List<LoggedRequest> sent = wm.findAll(postRequestedFor(urlEqualTo("/v1/embeddings")));
        assertThat(sent).singleElement().satisfies(r -> assertThat(tree(r.getBodyAsString()).get("model").asText())
                .isEqualTo("gpt-5.5-mini"));
    }

    @Test
    void anUpstreamRejectionReachesTheCallerWithItsStatusAndMessage() {
        wm.stubFor(post("/v1/chat/completions").willReturn(aResponse().withStatus(401)
                .withBody(fixture("errors/status-401-invalid-api-key.json"))));

        assertThatThrownBy(() -> router.chat(ask("di")).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(ChatRouterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
                    assertThat(e.failureKind()).contains(FailureKind.AUTH);
                    assertThat(e.upstreamStatus()).isEqualTo(401);
                    assertThat(e.getMessage()).contains("Incorrect API key provided");
                    assertThat(e.attempts()).singleElement().satisfies(a -> assertThat(a.status()).isEqualTo(401));
                });
    }
}
