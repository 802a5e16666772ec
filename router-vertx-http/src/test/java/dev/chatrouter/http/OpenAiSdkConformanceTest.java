package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
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
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The official OpenAI Java SDK, pointed at ChatRouter's server by its base URL alone, works for chat, streams,
 * tools, structured output, images, embeddings and models, and sees the router's errors as its typed exceptions.
 */
class OpenAiSdkConformanceTest {

    static final String VIRTUAL_KEY = "vk-team-a-0123456789";
    static final String PROVIDER_KEY = "sk-upstream-secret-42";
    static final ObjectMapper JSON = new ObjectMapper();

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
                    api_key: ${UP_KEY}
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, vision, json_schema, streaming, embeddings] }
                      m2: { upstream: up-model-2, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, vision, json_schema, streaming, embeddings] }
                routes:
                  di:
                    match: ["gpt-*"]
                    pools:
                      "*": { policy: priority, targets: [up/m1, up/m2] }
                    fallback: { max_attempts: 3, retries_per_target: 0, on: [rate_limit, server, timeout, connection] }
                server:
                  max_body_bytes: 65536
                  keys:
                    team-a: { key: "${TEAM_A_KEY}" }
                """, Map.of("WM_PORT", Integer.toString(upstream.port()), "UP_KEY", PROVIDER_KEY,
                "TEAM_A_KEY", VIRTUAL_KEY));
        sdk = client(VIRTUAL_KEY);
    }

    static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(key).maxRetries(0)
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

    private static void answer(String fixture) {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(TestServer.fixture(fixture))));
    }

    private static JsonNode upstreamBody() throws Exception {
        List<LoggedRequest> requests = upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")));
        assertThat(requests).hasSize(1);
        return JSON.readTree(requests.get(0).getBodyAsString());
    }

    /** A chat answer comes back with the intent the client sent as its model, whatever model served it. */
    @Test
    void chatEchoesTheIntentAsModel() throws Exception {
        answer("responses/di-chat-system-prompt.json");

        ChatCompletion completion = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o").addSystemMessage("Be brief.").addUserMessage("Three uses of a paperclip").build());

        assertThat(completion.model()).isEqualTo("gpt-4o");
        assertThat(completion.choices().get(0).message().content()).hasValueSatisfying(
                text -> assertThat(text).startsWith("1. Reset devices"));
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.totalTokens()).isEqualTo(56));
        assertThat(upstreamBody().path("model").asText()).isEqualTo("up-model-1");
    }

    /** A stream is assembled by the SDK from the relayed chunks, each naming the intent, and ends cleanly. */
    @Test
    void streamAssemblesContentAndEnds() {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-haiku-include-usage.sse"))));

        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("di").addUserMessage("A haiku about latency")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }

        assertThat(text.toString()).isEqualTo(
                "Packets cross the sea —\nninety milliseconds pass,\nthe cursor still blinks.");
        assertThat(chunks).allSatisfy(c -> assertThat(c.model()).isEqualTo("di"));
        assertThat(chunks).anySatisfy(c -> assertThat(c.choices()).anySatisfy(
                choice -> assertThat(choice.finishReason()).hasValue(ChatCompletionChunk.Choice.FinishReason.STOP)));
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.usage()).hasValueSatisfying(u -> {
            assertThat(u.totalTokens()).isEqualTo(31);
            // 14 input tokens at $1/M and 17 output tokens at $2/M
            assertThat(u._additionalProperties().get("cost").asNumber()).hasValueSatisfying(
                    cost -> assertThat(((Number) cost).doubleValue()).isCloseTo(48e-6, org.assertj.core.data.Offset.offset(1e-12)));
        });
    }

    /** Tool calls from the upstream reach the SDK as parsed function calls. */
    @Test
    void toolCallsAreParsed() throws Exception {
        answer("responses/di-tools-get-weather.json");

        ChatCompletion completion = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("di").addUserMessage("Weather in Paris?")
                .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                        .name("get_weather").description("Current weather")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                        Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                                .build())
                        .build()).build())
                .build());

        List<ChatCompletionMessageToolCall> calls = completion.choices().get(0).message().toolCalls().orElseThrow();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).asFunction().function().name()).isEqualTo("get_weather");
        assertThat(calls.get(0).asFunction().function().arguments()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(upstreamBody().at("/tools/0/function/name").asText()).isEqualTo("get_weather");
    }

    /** response_format json_schema goes upstream as sent, and the request is classified as json. */
    @Test
    void structuredOutput() throws Exception {
        answer("responses/di-json-schema-person.json");

        HttpResponseFor<ChatCompletion> raw = sdk.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("di").addUserMessage("Ada Lovelace, 36")
                        .responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(
                                ResponseFormatJsonSchema.JsonSchema.builder().name("person").strict(true)
                                        .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                                .putAdditionalProperty("type", JsonValue.from("object"))
                                                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                                        "name", Map.of("type", "string"),
                                                        "age", Map.of("type", "integer"))))
                                                .build())
                                        .build()).build())
                        .build());

        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().values("x-di-request-type")).containsExactly("json");
        assertThat(raw.parse().choices().get(0).message().content()).hasValue("{\"name\":\"Ada\",\"age\":36}");
        JsonNode format = upstreamBody().path("response_format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.at("/json_schema/name").asText()).isEqualTo("person");
        assertThat(format.at("/json_schema/schema/properties/age/type").asText()).isEqualTo("integer");
    }

    /** An image_url content part reaches the upstream unchanged, and the request is classified as vision. */
    @Test
    void imagePartsReachTheUpstreamUnchanged() throws Exception {
        answer("responses/di-vision-image-url.json");

        HttpResponseFor<ChatCompletion> raw = sdk.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("di").addUserMessageOfArrayOfContentParts(List.of(
                        ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder()
                                .text("What is in this image?").build()),
                        ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                                .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder()
                                        .url("https://example.com/dog.png")
                                        .detail(ChatCompletionContentPartImage.ImageUrl.Detail.HIGH).build())
                                .build())))
                        .build());

        assertThat(raw.headers().values("x-di-request-type")).containsExactly("vision");
        assertThat(raw.parse().choices().get(0).message().content()).hasValueSatisfying(
                text -> assertThat(text).startsWith("A golden retriever"));
        assertThat(upstreamBody().at("/messages/0/content")).isEqualTo(JSON.readTree("""
                [{"type":"text","text":"What is in this image?"},
                 {"type":"image_url","image_url":{"url":"https://example.com/dog.png","detail":"high"}}]"""));
    }

    /** Embeddings are routed and answered in OpenAI's shape, model echoed. */
    @Test
    void embeddings() throws Exception {
        upstream.stubFor(post(urlEqualTo("/v1/embeddings")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(TestServer.fixture("embeddings/responses/deepinfra-bge-string-input.json"))));

        CreateEmbeddingResponse response = sdk.embeddings().create(EmbeddingCreateParams.builder()
                .model("di").input("The food was delicious").encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
                .build());

        assertThat(response.model()).isEqualTo("di");
        assertThat(response.data()).hasSize(1);
        assertThat(response.data().get(0).embedding()).hasSize(1024).startsWith(0.04013027f, 0.04515396f);
        assertThat(response.usage().promptTokens()).isEqualTo(12);
        List<LoggedRequest> sent = upstream.findAll(postRequestedFor(urlEqualTo("/v1/embeddings")));
        assertThat(sent).hasSize(1);
        assertThat(JSON.readTree(sent.get(0).getBodyAsString()).path("model").asText()).isEqualTo("up-model-1");
    }

    /** The models list names the route intents and non-glob match ids; one can be retrieved. */
    @Test
    void modelsListAndRetrieve() {
        List<String> ids = sdk.models().list().data().stream().map(Model::id).toList();
        assertThat(ids).containsExactly("di");

        Model di = sdk.models().retrieve("di");
        assertThat(di.id()).isEqualTo("di");
        assertThat(di.ownedBy()).isEqualTo("chatrouter");

        NotFoundException missing = catchThrowableOfType(NotFoundException.class,
                () -> sdk.models().retrieve("nope"));
        assertThat(missing.code()).hasValue("model_not_found");
    }

    /** A wrong virtual key is a 401 the SDK reports as UnauthorizedException. */
    @Test
    void wrongKeyIsUnauthorized() {
        OpenAIClient wrong = client("vk-wrong");
        try {
            UnauthorizedException e = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(simple("di")));
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.code()).hasValue("invalid_api_key");
            assertThat(e.type()).hasValue("authentication_error");
        } finally {
            wrong.close();
        }
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /** A model no route matches, with no default route, is a 404 model_not_found. */
    @Test
    void unknownModelIsNotFound() {
        NotFoundException e = catchThrowableOfType(NotFoundException.class,
                () -> sdk.chat().completions().create(simple("claude-3-opus")));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.code()).hasValue("model_not_found");
        assertThat(e.param()).hasValue("model");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /** A body over max_body_bytes is refused with 413 request_too_large. */
    @Test
    void oversizedBodyIs413() {
        OpenAIServiceException e = catchThrowableOfType(OpenAIServiceException.class,
                () -> sdk.chat().completions().create(ChatCompletionCreateParams.builder().model("di")
                        .addUserMessage("x".repeat(100_000)).build()));

        assertThat(e.statusCode()).isEqualTo(413);
        assertThat(e.code()).hasValue("request_too_large");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /** When every target answers 429, the SDK gets a RateLimitException with the upstream's Retry-After. */
    @Test
    void upstreamRateLimitOnEveryTarget() {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(429)
                .withHeader("content-type", "application/json").withHeader("retry-after", "7")
                .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\","
                        + "\"code\":\"rate_limit_exceeded\"}}")));

        RateLimitException e = catchThrowableOfType(RateLimitException.class,
                () -> sdk.chat().completions().create(simple("di")));

        assertThat(e.statusCode()).isEqualTo(429);
        assertThat(e.code()).hasValue("rate_limit_exceeded");
        assertThat(e.headers().values("retry-after")).containsExactly("7");
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")))).hasSize(2);
    }

    /** When every target fails with 500, the SDK gets a 502 listing each attempt in metadata.attempts. */
    @Test
    void everyTargetFailingIs502WithAttempts() {
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(500)
                .withHeader("content-type", "application/json")
                .withBody("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}")));

        InternalServerException e = catchThrowableOfType(InternalServerException.class,
                () -> sdk.chat().completions().create(simple("di")));

        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.code()).hasValue("upstream_error");
        JsonNode body = JSON.valueToTree(e.body());
        JsonNode attempts = body.has("error") ? body.at("/error/metadata/attempts") : body.at("/metadata/attempts");
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).path("target").asText()).isEqualTo("up/m1");
        assertThat(attempts.get(1).path("target").asText()).isEqualTo("up/m2");
        assertThat(attempts).allSatisfy(a -> {
            assertThat(a.path("outcome").asText()).isEqualTo("server");
            assertThat(a.path("status").asInt()).isEqualTo(500);
        });
    }

    private static ChatCompletionCreateParams simple(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hello").build();
    }
}
