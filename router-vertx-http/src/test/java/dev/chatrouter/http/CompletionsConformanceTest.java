package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The official OpenAI Java SDK's legacy {@code completions()} works against ChatRouter: the prompt reaches the
 * upstream as one user message of a chat request, the answer and the stream come back as {@code text_completion}s,
 * and what cannot be translated is a 400 naming the field.
 */
class CompletionsConformanceTest {

    static final String VIRTUAL_KEY = "vk-team-a-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT = "/v1/chat/completions";

    static WireMockServer upstream;
    static TestServer server;
    static OpenAIClient sdk;

    @BeforeAll
    static void start(@TempDir Path dir) {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        server = TestServer.start(dir, """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:${WM_PORT}/v1
                    api_key: sk-upstream-secret-42
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, streaming] }
                routes:
                  di:
                    pools:
                      "*": { policy: priority, targets: [up/m1] }
                server:
                  route_headers: true
                  keys:
                    team-a: { key: "${TEAM_A_KEY}" }
                """, Map.of("WM_PORT", Integer.toString(upstream.port()), "TEAM_A_KEY", VIRTUAL_KEY));
        sdk = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(VIRTUAL_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (sdk != null) {
            sdk.close();
        }
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    private static JsonNode sent() throws Exception {
        var requests = upstream.findAll(postRequestedFor(urlEqualTo(CHAT)));
        assertThat(requests).hasSize(1);
        return JSON.readTree(requests.get(0).getBodyAsString());
    }

    /** A prompt is answered as a text_completion echoing the intent, with the routing headers. */
    @Test
    void createTranslatesThePromptToOneUserMessage() throws Exception {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));

        HttpResponseFor<Completion> raw = sdk.completions().withRawResponse().create(CompletionCreateParams.builder()
                .model("di").prompt("Three uses of a paperclip").maxTokens(64).temperature(0.0).stop("\n\n")
                .build());
        Completion completion = raw.parse();

        assertThat(completion.model()).isEqualTo("di");
        assertThat(completion.choices()).hasSize(1);
        CompletionChoice choice = completion.choices().get(0);
        assertThat(choice.text()).startsWith("1. Reset devices");
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.totalTokens()).isEqualTo(56));
        assertThat(raw.headers().values("x-di-provider")).containsExactly("up");

        JsonNode body = sent();
        assertThat(body.path("messages")).hasSize(1);
        assertThat(body.at("/messages/0/role").asText()).isEqualTo("user");
        assertThat(body.at("/messages/0/content").asText()).isEqualTo("Three uses of a paperclip");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(64);
        assertThat(body.path("stop").asText()).isEqualTo("\n\n");
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.0);
    }

    /** A seed is a 64-bit integer, as OpenAI's is, and goes upstream as sent. */
    @Test
    void aSeedBeyondThirtyTwoBitsIsPassedOn() throws Exception {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));

        sdk.completions().create(CompletionCreateParams.builder().model("di").prompt("Hi").seed(4_294_967_296L)
                .build());

        assertThat(sent().path("seed").asLong()).isEqualTo(4_294_967_296L);
    }

    /** A streamed completion arrives as text_completion chunks the SDK reads to the end, usage last. */
    @Test
    void streamRelaysTextCompletionChunks() {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-haiku-include-usage.sse"))));

        StringBuilder text = new StringBuilder();
        List<Completion> chunks = new ArrayList<>();
        try (StreamResponse<Completion> stream = sdk.completions().createStreaming(CompletionCreateParams.builder()
                .model("di").prompt("A haiku about latency")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(c -> text.append(c.text()));
            });
        }

        assertThat(text.toString()).isEqualTo(
                "Packets cross the sea —\nninety milliseconds pass,\nthe cursor still blinks.");
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.model()).isEqualTo("di");
            assertThat(c._object_().asString()).hasValue("text_completion");
        });
        // finish_reason is null (as OpenAI sends it) until the last text chunk
        assertThat(chunks).anySatisfy(c -> assertThat(c.choices()).anySatisfy(choice -> assertThat(
                choice._finishReason().asKnown()).hasValue(CompletionChoice.FinishReason.STOP)));
        assertThat(chunks.get(chunks.size() - 1).usage()).hasValueSatisfying(
                u -> assertThat(u.totalTokens()).isEqualTo(31));
    }

    /** echo is refused with 400 naming echo, before any upstream call; the server keeps serving. */
    @Test
    void echoIsRefused() {
        BadRequestException e = catchThrowableOfType(BadRequestException.class,
                () -> sdk.completions().create(CompletionCreateParams.builder().model("di").prompt("Hi")
                        .echo(true).build()));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.param()).hasValue("echo");
        assertThat(e.code()).hasValue("invalid_parameter");
        assertThat(upstream.getAllServeEvents()).isEmpty();

        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));
        assertThat(sdk.completions().create(CompletionCreateParams.builder().model("di").prompt("Hi").build())
                .choices()).hasSize(1);
    }

    /** suffix, a list of several prompts and a missing prompt are each a 400 naming the field. */
    @Test
    void untranslatableFieldsAreRefused() {
        BadRequestException suffix = catchThrowableOfType(BadRequestException.class,
                () -> sdk.completions().create(CompletionCreateParams.builder().model("di").prompt("def f(")
                        .suffix("return 1").build()));
        assertThat(suffix.param()).hasValue("suffix");

        BadRequestException several = catchThrowableOfType(BadRequestException.class,
                () -> sdk.completions().create(CompletionCreateParams.builder().model("di")
                        .promptOfArrayOfStrings(List.of("one", "two")).build()));
        assertThat(several.param()).hasValue("prompt");
        assertThat(several.getMessage()).contains("one prompt per request");

        BadRequestException missing = catchThrowableOfType(BadRequestException.class,
                () -> sdk.completions().create(CompletionCreateParams.builder().model("di")
                        .prompt(java.util.Optional.empty()).build()));
        assertThat(missing.param()).hasValue("prompt");
        assertThat(missing.code()).hasValue("missing_parameter");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }
}
