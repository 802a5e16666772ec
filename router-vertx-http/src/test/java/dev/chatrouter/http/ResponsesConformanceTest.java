package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.inputtokens.InputTokenCountParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * The official OpenAI Java SDK's {@code responses()} works against ChatRouter, translated to Chat Completions at an
 * OpenAI-compatible upstream: create, streaming events, a function-call round trip over
 * {@code previous_response_id}, token counts without dispatch, and 400s naming the field.
 */
class ResponsesConformanceTest {

    static final String VIRTUAL_KEY = "vk-team-a-0123456789";
    static final String OTHER_KEY = "vk-team-b-9876543210";
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
                            capabilities: [tools, json_schema, streaming, reasoning] }
                routes:
                  di:
                    pools:
                      "*": { policy: priority, targets: [up/m1] }
                server:
                  route_headers: true
                  responses_ttl: 10m
                  keys:
                    team-a: { key: "${TEAM_A_KEY}" }
                    team-b: { key: "${TEAM_B_KEY}" }
                """, Map.of("WM_PORT", Integer.toString(upstream.port()), "TEAM_A_KEY", VIRTUAL_KEY,
                "TEAM_B_KEY", OTHER_KEY));
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

    private static void answers(String fixture) {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(TestServer.fixture(fixture))));
    }

    private static JsonNode sent() throws Exception {
        var requests = upstream.findAll(postRequestedFor(urlEqualTo(CHAT)));
        assertThat(requests).hasSize(1);
        return JSON.readTree(requests.get(0).getBodyAsString());
    }

    private static FunctionTool weatherTool() {
        return FunctionTool.builder().name("get_weather").description("Current weather").strict(false)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .build())
                .build();
    }

    /** instructions and input reach the upstream as system and user messages; the answer is a message item. */
    @Test
    void createAnswersWithAMessageItem() throws Exception {
        answers("responses/di-chat-system-prompt.json");

        HttpResponseFor<Response> raw = sdk.responses().withRawResponse().create(ResponseCreateParams.builder()
                .model("di").instructions("Be brief.").input("Three uses of a paperclip").maxOutputTokens(300)
                .temperature(0.2).build());
        Response response = raw.parse();

        assertThat(response.id()).startsWith("resp_");
        assertThat(response.model().asString()).isEqualTo("di");
        assertThat(response.output()).hasSize(1);
        ResponseOutputItem item = response.output().get(0);
        assertThat(item.isMessage()).isTrue();
        assertThat(item.asMessage().content().get(0).asOutputText().text()).startsWith("1. Reset devices");
        assertThat(response.usage()).hasValueSatisfying(u -> {
            assertThat(u.totalTokens()).isEqualTo(56);
            assertThat(u.inputTokens() + u.outputTokens()).isEqualTo(56);
        });
        assertThat(response.instructions()).isPresent();
        assertThat(raw.headers().values("x-di-provider")).containsExactly("up");

        JsonNode body = sent();
        assertThat(body.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(body.at("/messages/0/content").asText()).isEqualTo("Be brief.");
        assertThat(body.at("/messages/1/role").asText()).isEqualTo("user");
        assertThat(body.at("/messages/1/content").asText()).isEqualTo("Three uses of a paperclip");
        // the provider's max_tokens_field decides which field carries the limit
        assertThat(body.path("max_tokens").asInt(body.path("max_completion_tokens").asInt())).isEqualTo(300);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
    }

    /** A stream is relayed as Responses events in order, each numbered, ending with response.completed. */
    @Test
    void streamEmitsResponsesEvents() {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-haiku-include-usage.sse"))));

        StringBuilder text = new StringBuilder();
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = sdk.responses().createStreaming(ResponseCreateParams
                .builder().model("di").input("A haiku about latency").build())) {
            stream.stream().forEach(event -> {
                events.add(event);
                event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
            });
        }

        String haiku = "Packets cross the sea —\nninety milliseconds pass,\nthe cursor still blinks.";
        assertThat(text.toString()).isEqualTo(haiku);
        assertThat(events.get(0).isCreated()).isTrue();
        assertThat(events.get(1).isInProgress()).isTrue();
        assertThat(events.get(2).isOutputItemAdded()).isTrue();
        assertThat(events.get(3).isContentPartAdded()).isTrue();
        assertThat(events).anySatisfy(e -> assertThat(e.outputTextDone()).hasValueSatisfying(
                d -> assertThat(d.text()).isEqualTo(haiku)));
        assertThat(events).anySatisfy(e -> assertThat(e.isOutputItemDone()).isTrue());
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isCompleted()).isTrue();
        Response completed = last.asCompleted().response();
        assertThat(completed.usage()).hasValueSatisfying(u -> assertThat(u.totalTokens()).isEqualTo(31));
        assertThat(completed.output().get(0).asMessage().content().get(0).asOutputText().text()).isEqualTo(haiku);
        for (int i = 0; i < events.size(); i++) {
            assertThat(sequenceNumber(events.get(i))).isEqualTo(i);
        }
    }

    /**
     * A stream that fails after its first text ends with an error event and then response.failed, whose response
     * has status failed and the error: clients such as the Codex CLI read only response.failed, and would otherwise
     * see a stream that closed before it completed.
     */
    @Test
    void aStreamThatFailsAfterContentEndsWithResponseFailed() {
        String first = TestServer.fixture("sse/di-stream-haiku.sse").split("\n\n")[1];
        // dribbled, so that the content chunk arrives (and is relayed) well before the error event
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream").withChunkedDribbleDelay(12, 600)
                .withBody(first + "\n\n" + "data: {\"error\":{\"message\":\"the model is overloaded\","
                        + "\"type\":\"server_error\"}}\n\n")));

        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = sdk.responses().createStreaming(ResponseCreateParams
                .builder().model("di").input("A haiku about latency").build())) {
            stream.stream().forEach(events::add);
        }

        assertThat(events).anySatisfy(e -> assertThat(e.isOutputTextDelta()).isTrue());
        assertThat(events).noneSatisfy(e -> assertThat(e.isCompleted()).isTrue());
        assertThat(events.get(events.size() - 2).isError()).isTrue();
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isFailed()).as(last.toString()).isTrue();
        Response failed = last.asFailed().response();
        assertThat(failed.status()).hasValueSatisfying(s -> assertThat(s.asString()).isEqualTo("failed"));
        assertThat(failed.error()).hasValueSatisfying(e -> {
            assertThat(e.code().asString()).isEqualTo("server_error");
            assertThat(e.message()).contains("the stream failed after content was sent");
        });
        for (int i = 0; i < events.size(); i++) {
            assertThat(sequenceNumber(events.get(i))).isEqualTo(i);
        }
    }

    private static long sequenceNumber(ResponseStreamEvent event) {
        return JSON.valueToTree(event).path("sequence_number").asLong(-1);
    }

    /**
     * The model calls a function; the client answers with function_call_output and previous_response_id; the
     * upstream gets the whole conversation (the user turn, the call, the output) and the model answers.
     */
    @Test
    void functionCallRoundTripOverPreviousResponseId() throws Exception {
        answers("responses/di-tools-get-weather.json");

        Response asked = sdk.responses().create(ResponseCreateParams.builder().model("di")
                .input("Weather in Paris?").addTool(weatherTool()).build());

        ResponseFunctionToolCall call = asked.output().stream().filter(ResponseOutputItem::isFunctionCall)
                .findFirst().orElseThrow().asFunctionCall();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.callId()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(call.arguments()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(sent().at("/tools/0/function/name").asText()).isEqualTo("get_weather");

        upstream.resetAll();
        answers("responses/di-chat-system-prompt.json");
        Response answered = sdk.responses().create(ResponseCreateParams.builder().model("di")
                .previousResponseId(asked.id()).addTool(weatherTool())
                .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(
                        ResponseInputItem.FunctionCallOutput.builder().callId(call.callId())
                                .output("18°C and sunny").build())))
                .build());

        assertThat(answered.output().get(0).asMessage().content().get(0).asOutputText().text())
                .startsWith("1. Reset devices");
        assertThat(answered.previousResponseId()).hasValue(asked.id());
        JsonNode messages = sent().path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.at("/0/role").asText()).isEqualTo("user");
        assertThat(messages.at("/0/content").asText()).isEqualTo("Weather in Paris?");
        assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
        assertThat(messages.at("/1/tool_calls/0/id").asText()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(messages.at("/2/role").asText()).isEqualTo("tool");
        assertThat(messages.at("/2/tool_call_id").asText()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(messages.at("/2/content").asText()).isEqualTo("18°C and sunny");
    }

    /** A streamed function call arrives as function_call_arguments deltas and a done event with the whole call. */
    @Test
    void streamedFunctionCall() {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream")
                .withBody(TestServer.fixture("sse/di-stream-tool-call-get-weather.sse"))));

        StringBuilder arguments = new StringBuilder();
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = sdk.responses().createStreaming(ResponseCreateParams
                .builder().model("di").input("Weather in Paris?").addTool(weatherTool()).build())) {
            stream.stream().forEach(event -> {
                events.add(event);
                event.functionCallArgumentsDelta().ifPresent(d -> arguments.append(d.delta()));
            });
        }

        String done = events.stream().filter(ResponseStreamEvent::isFunctionCallArgumentsDone).findFirst()
                .orElseThrow().asFunctionCallArgumentsDone().arguments();
        assertThat(done).isEqualTo(arguments.toString()).contains("city");
        Response completed = events.get(events.size() - 1).asCompleted().response();
        assertThat(completed.output()).anySatisfy(item -> assertThat(item.functionCall()).hasValueSatisfying(
                c -> assertThat(c.name()).isEqualTo("get_weather")));
    }

    /** An unknown previous_response_id is a 400 naming it, before any upstream call; the server keeps serving. */
    @Test
    void unknownPreviousResponseIdIsRefused() {
        BadRequestException e = catchThrowableOfType(BadRequestException.class,
                () -> sdk.responses().create(ResponseCreateParams.builder().model("di").input("Hi")
                        .previousResponseId("resp_nope").build()));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.param()).hasValue("previous_response_id");
        assertThat(upstream.getAllServeEvents()).isEmpty();

        answers("responses/di-chat-system-prompt.json");
        assertThat(sdk.responses().create(ResponseCreateParams.builder().model("di").input("Hi").build())
                .output()).isNotEmpty();
    }

    /**
     * A stored response belongs to the key that created it, as OpenAI's belong to a project: another key that names
     * it as previous_response_id is told there is no such response, and nothing goes upstream.
     */
    @Test
    void aStoredResponseIsContinuedOnlyWithTheKeyThatCreatedIt() {
        answers("responses/di-chat-system-prompt.json");
        Response asked = sdk.responses().create(ResponseCreateParams.builder().model("di").input("Hi").build());
        upstream.resetAll();

        OpenAIClient other = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(OTHER_KEY)
                .maxRetries(0).timeout(Duration.ofSeconds(10)).build();
        try {
            BadRequestException e = catchThrowableOfType(BadRequestException.class,
                    () -> other.responses().create(ResponseCreateParams.builder().model("di").input("And?")
                            .previousResponseId(asked.id()).build()));
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.param()).hasValue("previous_response_id");
        } finally {
            other.close();
        }
        assertThat(upstream.getAllServeEvents()).isEmpty();

        answers("responses/di-chat-system-prompt.json");
        assertThat(sdk.responses().create(ResponseCreateParams.builder().model("di").input("And?")
                .previousResponseId(asked.id()).build()).previousResponseId()).hasValue(asked.id());
    }

    /** A response created with store false cannot be continued. */
    @Test
    void unstoredResponsesCannotBeContinued() {
        answers("responses/di-chat-system-prompt.json");
        Response first = sdk.responses().create(ResponseCreateParams.builder().model("di").input("Hi").store(false)
                .build());

        BadRequestException e = catchThrowableOfType(BadRequestException.class,
                () -> sdk.responses().create(ResponseCreateParams.builder().model("di").input("More")
                        .previousResponseId(first.id()).build()));
        assertThat(e.param()).hasValue("previous_response_id");
    }

    /** input_tokens answers the router's estimate and calls no upstream. */
    @Test
    void inputTokensNeverDispatches() {
        long tokens = sdk.responses().inputTokens().count(InputTokenCountParams.builder().model("di")
                .input("Hello ".repeat(200)).build()).inputTokens();

        assertThat(tokens).isGreaterThan(200);
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }

    /**
     * A custom tool is offered as a function taking one string, and its call comes back as a custom_tool_call;
     * hosted tools are dropped and named in X-DI-Dropped-Tools.
     */
    @Test
    void customToolsAreFunctionsAndHostedToolsAreDropped() throws Exception {
        upstream.stubFor(post(urlEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("""
                        {"id":"chatcmpl-1","object":"chat.completion","created":1763712060,"model":"up-model-1",
                         "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                           {"id":"call_1","type":"function","function":{"name":"run_sql",
                            "arguments":"{\\"input\\":\\"SELECT 1\\"}"}}]},"finish_reason":"tool_calls"}],
                         "usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}""")));

        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/di/v1/responses")).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").header("authorization", "Bearer " + VIRTUAL_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"di","input":"Count the rows","tools":[
                          {"type":"custom","name":"run_sql","description":"Runs SQL"},
                          {"type":"web_search"},{"type":"file_search","vector_store_ids":["vs_1"]}]}""")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-di-dropped-tools")).hasValue("web_search,file_search");
        JsonNode output = JSON.readTree(response.body()).path("output");
        assertThat(output.at("/0/type").asText()).isEqualTo("custom_tool_call");
        assertThat(output.at("/0/name").asText()).isEqualTo("run_sql");
        assertThat(output.at("/0/input").asText()).isEqualTo("SELECT 1");
        assertThat(output.at("/0/call_id").asText()).isEqualTo("call_1");
        JsonNode tools = sent().path("tools");
        assertThat(tools).hasSize(1);
        assertThat(tools.at("/0/function/name").asText()).isEqualTo("run_sql");
        assertThat(tools.at("/0/function/parameters/properties/input/type").asText()).isEqualTo("string");
    }

    /** Input items of an unknown type are a 400 naming the item. */
    @Test
    void unknownInputItemIsRefused() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/v1/responses")).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").header("authorization", "Bearer " + VIRTUAL_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"di","input":[{"type":"item_reference","id":"msg_1"}]}""")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("input[0].type");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }
}
