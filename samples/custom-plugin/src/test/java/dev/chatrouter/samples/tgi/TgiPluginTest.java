package dev.chatrouter.samples.tgi;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sample plugin as its author would test it: TGI's wire shapes on WireMock (from TGI's OpenAPI: GenerateResponse
 * and StreamResponse), and the plugin found by ServiceLoader from nothing but a config entry naming its type.
 */
class TgiPluginTest {

    private static final WireMockServer TGI = new WireMockServer(wireMockConfig().dynamicPort());
    private ChatRouter router;

    @BeforeAll
    static void start() {
        TGI.start();
    }

    @AfterAll
    static void stop() {
        TGI.stop();
    }

    @BeforeEach
    void buildRouter(@TempDir Path dir) throws Exception {
        TGI.resetAll();
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, """
                providers:
                  local-tgi:
                    type: tgi
                    base_url: http://localhost:%d
                    api_key: ${TGI_TOKEN}
                    models:
                      mistral-7b: { price: { input: 0.1, output: 0.1 }, capabilities: [streaming] }
                routes:
                  chat:
                    pools:
                      "*": { targets: [local-tgi/mistral-7b] }
                """.formatted(TGI.port()));
        // no providerFactory(...) here: ServiceLoader finds the plugin from META-INF/services
        router = ChatRouter.builder().configFile(config).environment(Map.of("TGI_TOKEN", "hf_test")).build();
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().model("chat").addMessage(Message.system("Be brief."))
                .addMessage(Message.user("Say hello")).maxTokens(20).build();
    }

    @Test
    void chatTranslatesThePromptAndTheAnswer() throws Exception {
        TGI.stubFor(post("/generate").willReturn(aResponse().withHeader("content-type", "application/json")
                .withBody("""
                        {"generated_text":" Hello there!","details":{"finish_reason":"eos_token",
                         "generated_tokens":4,"seed":null,"prefill":[],"tokens":[]}}""")));
        ChatResult result = router.chat(hello()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(result.response().text()).isEqualTo(" Hello there!");
        assertThat(result.response().model()).isEqualTo("chat");
        assertThat(result.response().choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(result.response().usage().completionTokens()).isEqualTo(4);
        assertThat(result.report().target()).isEqualTo("local-tgi/mistral-7b");
        TGI.verify(postRequestedFor(urlEqualTo("/generate"))
                .withHeader("authorization", equalTo("Bearer hf_test"))
                .withRequestBody(equalToJson("""
                        {"inputs":"System: Be brief.\\nUser: Say hello\\nAssistant:",
                         "parameters":{"max_new_tokens":20,"details":true}}""")));
    }

    @Test
    void streamTranslatesTokensAndTheFinalDetails() {
        TGI.stubFor(post("/generate_stream").willReturn(aResponse().withHeader("content-type", "text/event-stream")
                .withBody("""
                        data:{"index":1,"token":{"id":22557,"text":" Hello","logprob":-0.1,"special":false},"generated_text":null,"details":null}

                        data:{"index":2,"token":{"id":736,"text":" there","logprob":-0.2,"special":false},"generated_text":null,"details":null}

                        data:{"index":3,"token":{"id":2,"text":"</s>","logprob":-0.3,"special":true},"generated_text":" Hello there","details":{"finish_reason":"eos_token","generated_tokens":3,"input_length":12,"seed":null}}

                        """)));
        ChatStream stream = router.stream(hello());
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        assertThat(subscriber.completed()).isTrue();
        StringBuilder text = new StringBuilder();
        subscriber.items().forEach(c -> c.choices().forEach(ch -> {
            if (ch.delta().content() != null) {
                text.append(ch.delta().content());
            }
        }));
        assertThat(text).hasToString(" Hello there");
        assertThat(stream.report().toCompletableFuture().join().costUsd())
                .isEqualTo((12 * 0.1 + 3 * 0.1) / 1e6, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void validationErrorIsABadRequestPassedThrough() {
        TGI.stubFor(post("/generate").willReturn(aResponse().withStatus(422)
                .withHeader("content-type", "application/json")
                .withBody("{\"error\":\"Input validation error: `inputs` must have less than 4096 tokens\","
                        + "\"error_type\":\"validation\"}")));
        assertThatThrownBy(() -> router.chat(hello()).toCompletableFuture().join())
                .isInstanceOf(CompletionException.class).cause()
                .isInstanceOfSatisfying(ChatRouterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_REJECTED);
                    assertThat(e.failureKind()).contains(FailureKind.BAD_REQUEST);
                    assertThat(e.upstreamStatus()).isEqualTo(422);
                    assertThat(e.getMessage()).contains("less than 4096 tokens");
                });
    }

    @Test
    void overloadIsARateLimit() {
        TGI.stubFor(post("/generate").willReturn(aResponse().withStatus(429)
                .withBody("{\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}")));
        assertThatThrownBy(() -> router.chat(hello()).toCompletableFuture().join()).cause()
                .isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.failureKind()).contains(FailureKind.RATE_LIMIT));
    }
}
