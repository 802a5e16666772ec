package dev.chatrouter.http;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
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
 * The official Anthropic Java SDK, pointed at ChatRouter by its base URL alone, creates messages, streams them,
 * makes a tool-use round trip and counts tokens: against an OpenAI-compatible upstream (the Messages request
 * translated to Chat Completions and back) and against an Anthropic upstream through the anthropic plugin. Bad
 * requests get Anthropic's error envelope naming the field, and the server keeps serving.
 */
class MessagesConformanceTest {

    static final String VIRTUAL_KEY = "vk-team-a-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OPENAI_CHAT = "/v1/chat/completions";
    static final String ANTHROPIC_MESSAGES = "/v1/messages";

    static WireMockServer openai;
    static WireMockServer anthropic;
    static TestServer server;
    static AnthropicClient sdk;

    @BeforeAll
    static void start(@TempDir Path dir) {
        openai = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        openai.start();
        anthropic = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        anthropic.start();
        server = TestServer.start(dir, """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:${OA_PORT}/v1
                    api_key: sk-upstream-secret-42
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, vision, document, json_schema, streaming, reasoning] }
                  an:
                    type: anthropic
                    base_url: http://127.0.0.1:${AN_PORT}
                    api_key: sk-ant-upstream-secret-7
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      sonnet: { upstream: claude-sonnet-4-5, context_window: 200000,
                                capabilities: [tools, vision, document, streaming, reasoning, prompt_cache] }
                routes:
                  di:
                    pools:
                      "*": { policy: priority, targets: [up/m1] }
                  claude:
                    match: ["claude-*"]
                    pools:
                      "*": { policy: priority, targets: [an/sonnet] }
                server:
                  route_headers: true
                  keys:
                    team-a: { key: "${TEAM_A_KEY}" }
                """, Map.of("OA_PORT", Integer.toString(openai.port()), "AN_PORT",
                Integer.toString(anthropic.port()), "TEAM_A_KEY", VIRTUAL_KEY));
        sdk = client(server.baseUrl(), VIRTUAL_KEY);
    }

    /** The SDK appends {@code /v1/messages} to its base URL: the server's root serves the {@code /v1} base path. */
    static AnthropicClient client(String baseUrl, String key) {
        return AnthropicOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0)
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
        if (openai != null) {
            openai.stop();
        }
        if (anthropic != null) {
            anthropic.stop();
        }
    }

    @BeforeEach
    void reset() {
        openai.resetAll();
        anthropic.resetAll();
    }

    private static void openAiAnswers(String fixture) {
        openai.stubFor(post(urlEqualTo(OPENAI_CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(TestServer.fixture(fixture))));
    }

    private static void openAiStreams(String fixture) {
        openai.stubFor(post(urlEqualTo(OPENAI_CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream").withBody(TestServer.fixture(fixture))));
    }

    private static List<JsonNode> sent(WireMockServer upstream, String path) throws Exception {
        List<JsonNode> bodies = new ArrayList<>();
        for (LoggedRequest r : upstream.findAll(postRequestedFor(urlEqualTo(path)))) {
            bodies.add(JSON.readTree(r.getBodyAsString()));
        }
        return bodies;
    }

    private static Tool weatherTool() {
        return Tool.builder().name("get_weather").description("Current weather in a city")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .addRequired("city").build())
                .build();
    }

    /** A message is routed to the OpenAI upstream as Chat Completions and answered as a message. */
    @Test
    void createAgainstOpenAiUpstream() throws Exception {
        openAiAnswers("responses/di-chat-system-prompt.json");

        HttpResponseFor<Message> raw = sdk.messages().withRawResponse().create(MessageCreateParams.builder()
                .model("di").maxTokens(200).system("Be brief.").addUserMessage("Three uses of a paperclip")
                .putAdditionalBodyProperty("temperature", JsonValue.from(0.0)).stopSequences(List.of("END")).metadata(com.anthropic.models.messages.Metadata
                        .builder().userId("user-7").build())
                .build());
        Message message = raw.parse();

        assertThat(message.model().asString()).isEqualTo("di");
        assertThat(message.id()).startsWith("msg_");
        assertThat(message.content()).hasSize(1);
        assertThat(message.content().get(0).asText().text()).startsWith("1. Reset devices");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().inputTokens() + message.usage().outputTokens()).isEqualTo(56);
        assertThat(raw.headers().values("x-di-provider")).containsExactly("up");
        assertThat(raw.headers().values("x-di-request-type")).hasSize(1);

        JsonNode upstream = sent(openai, OPENAI_CHAT).get(0);
        assertThat(upstream.path("model").asText()).isEqualTo("up-model-1");
        assertThat(upstream.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(upstream.at("/messages/0/content").asText()).isEqualTo("Be brief.");
        assertThat(upstream.at("/messages/1/content").asText()).isEqualTo("Three uses of a paperclip");
        assertThat(upstream.path("max_tokens").asInt()).isEqualTo(200);
        assertThat(upstream.path("stop")).isEqualTo(JSON.readTree("[\"END\"]"));
        assertThat(upstream.path("user").asText()).isEqualTo("user-7");
        assertThat(upstream.path("temperature").asDouble()).isEqualTo(0.0);
    }

    /**
     * Claude Code's {@code metadata.user_id} is a JSON text of about 150 characters, and OpenAI refuses a
     * {@code user} longer than 64: the translated request carries its SHA-256 instead (64 hexadecimal digits, the
     * same for the same id); a short id goes as it is (above).
     */
    @Test
    void aLongUserIdReachesOpenAiAsItsDigest() throws Exception {
        openAiAnswers("responses/di-chat-system-prompt.json");
        String userId = "{\"device_id\":\"17739e3a1ca3e58899d69f4e0e3a167dc5a35d3894f1852a7f05aaad3a2b309b\","
                + "\"account_uuid\":\"\",\"session_id\":\"e4ade6e9-c64f-40a8-9672-81b63d1bb7fe\"}";
        String body = JSON.writeValueAsString(Map.of("model", "di", "max_tokens", 64,
                "metadata", Map.of("user_id", userId), "messages", List.of(Map.of("role", "user", "content", "hi"))));

        assertThat(rawPost("/v1/messages", body).statusCode()).isEqualTo(200);
        assertThat(rawPost("/v1/messages", body).statusCode()).isEqualTo(200);

        List<JsonNode> sent = sent(openai, OPENAI_CHAT);
        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(userId.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(sent).extracting(b -> b.path("user").asText()).containsExactly(expected, expected);
    }

    /**
     * Claude Code with its default model puts a {@code system} message among the turns: it stays a system message,
     * where it was.
     */
    @Test
    void aSystemMessageAmongTheTurnsStaysWhereItIs() throws Exception {
        openAiAnswers("responses/di-chat-system-prompt.json");

        HttpResponse<String> response = rawPost("/v1/messages", """
                {"model":"di","max_tokens":64,"messages":[{"role":"user","content":"hi"},
                 {"role":"system","content":"Answer in French."},
                 {"role":"system","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"go"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode messages = sent(openai, OPENAI_CHAT).get(0).path("messages");
        assertThat(messages).extracting(m -> m.path("role").asText())
                .containsExactly("user", "system", "system", "user");
        assertThat(messages.at("/1/content").asText()).isEqualTo("Answer in French.");
        assertThat(messages.at("/2/content/0/text").asText()).isEqualTo("Be brief.");
    }

    /** A system message's blocks are text, as the top-level {@code system}'s are. */
    @Test
    void aSystemMessageWithAnImageIsAnInvalidRequest() throws Exception {
        HttpResponse<String> response = rawPost("/v1/messages", """
                {"model":"di","max_tokens":64,"messages":[{"role":"system","content":[{"type":"image",
                 "source":{"type":"url","url":"https://example.com/a.png"}}]},{"role":"user","content":"go"}]}""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/message").asText())
                .startsWith("messages[0].content[0].type:");
        assertThat(openai.getAllServeEvents()).isEmpty();
    }

    /**
     * {@code thinking} sets the effort, which a reasoning target gets as {@code reasoning_effort}; the field itself
     * is Anthropic's and does not reach an OpenAI-compatible upstream (OpenAI refuses it).
     */
    @Test
    void thinkingIsTheEffortNotAFieldOfTheTranslatedRequest() throws Exception {
        openAiAnswers("responses/di-chat-system-prompt.json");

        HttpResponse<String> response = rawPost("/v1/messages", """
                {"model":"di","max_tokens":32000,"thinking":{"type":"enabled","budget_tokens":31999},
                 "messages":[{"role":"user","content":"hi"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode upstream = sent(openai, OPENAI_CHAT).get(0);
        assertThat(upstream.has("thinking")).as(upstream.toString()).isFalse();
        assertThat(upstream.path("reasoning_effort").asText()).isEqualTo("high");
    }

    /** The second turn of a server-tool conversation: the assistant's server blocks, then the user again. */
    private static final String SERVER_TOOL_TURN = """
            {"model":"%s","max_tokens":512,"tools":[{"type":"web_search_20250305","name":"web_search"}],
             "messages":[{"role":"user","content":"news?"},
              {"role":"assistant","content":[
                {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"news"}},
                {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
                {"type":"text","text":"Nothing new today."}]},
              {"role":"user","content":[{"type":"search_result","source":"https://example.com","title":"Example",
                "content":[{"type":"text","text":"A result."}]},{"type":"text","text":"more"}]}]}""";

    /**
     * Blocks the router does not translate (server tools' blocks, search results) reach an Anthropic target as the
     * client sent them, and are not refused on the way.
     */
    @Test
    void serverToolBlocksReachAnAnthropicTargetAsSent() throws Exception {
        anthropic.stubFor(post(urlEqualTo(ANTHROPIC_MESSAGES)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("""
                        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",
                         "model":"claude-sonnet-4-5","content":[{"type":"text","text":"Still nothing."}],
                         "stop_reason":"end_turn","stop_sequence":null,
                         "usage":{"input_tokens":40,"output_tokens":4}}""")));

        HttpResponse<String> response = rawPost("/v1/messages", SERVER_TOOL_TURN.formatted("claude-sonnet-4-5"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode upstream = sent(anthropic, ANTHROPIC_MESSAGES).get(0);
        assertThat(upstream.at("/messages/1/content/0/type").asText()).isEqualTo("server_tool_use");
        assertThat(upstream.at("/messages/1/content/1/type").asText()).isEqualTo("web_search_tool_result");
        assertThat(upstream.at("/messages/2/content/0/type").asText()).isEqualTo("search_result");
    }

    /**
     * On the translated path the assistant's server-tool blocks are dropped, as its thinking blocks are (Chat
     * Completions cannot carry them); the rest of the turn is kept.
     */
    @Test
    void serverToolBlocksOfTheAssistantAreDroppedInTranslation() throws Exception {
        openAiAnswers("responses/di-chat-system-prompt.json");

        HttpResponse<String> response = rawPost("/v1/messages", SERVER_TOOL_TURN.formatted("di")
                .replaceFirst("\\{\"type\":\"search_result\"[^\\]]*\\]},", ""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode messages = sent(openai, OPENAI_CHAT).get(0).path("messages");
        assertThat(messages).extracting(m -> m.path("role").asText()).containsExactly("user", "assistant", "user");
        assertThat(messages.at("/1/content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"Nothing new today.\"}]");
        assertThat(messages.at("/2/content/0/text").asText()).isEqualTo("more");
    }

    /** The /di/v1 base path serves Messages too. */
    @Test
    void everyBasePathServesMessages() {
        openAiAnswers("responses/di-chat-system-prompt.json");
        AnthropicClient di = client(server.baseUrl() + "/di", VIRTUAL_KEY);
        try {
            Message message = di.messages().create(MessageCreateParams.builder().model("di").maxTokens(50)
                    .addUserMessage("Hi").build());
            assertThat(message.content().get(0).asText().text()).startsWith("1. Reset devices");
        } finally {
            di.close();
        }
        assertThat(openai.findAll(postRequestedFor(urlEqualTo(OPENAI_CHAT)))).hasSize(1);
    }

    /** A stream from the OpenAI upstream arrives as Messages events the SDK accumulates into the whole text. */
    @Test
    void streamAgainstOpenAiUpstream() throws Exception {
        openAiStreams("sse/di-stream-haiku-include-usage.sse");

        MessageAccumulator accumulator = MessageAccumulator.create();
        List<String> types = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk.messages().createStreaming(
                MessageCreateParams.builder().model("di").maxTokens(100).addUserMessage("A haiku about latency")
                        .build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                types.add(eventType(event));
            });
        }
        Message message = accumulator.message();

        assertThat(message.content().get(0).asText().text()).isEqualTo(
                "Packets cross the sea —\nninety milliseconds pass,\nthe cursor still blinks.");
        assertThat(message.model().asString()).isEqualTo("di");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isEqualTo(17);
        assertThat(types.get(0)).isEqualTo("message_start");
        assertThat(types.get(1)).isEqualTo("content_block_start");
        assertThat(types.subList(types.size() - 3, types.size()))
                .containsExactly("content_block_stop", "message_delta", "message_stop");
        JsonNode upstream = sent(openai, OPENAI_CHAT).get(0);
        assertThat(upstream.path("stream").asBoolean()).isTrue();
        assertThat(upstream.at("/stream_options/include_usage").asBoolean()).isTrue();
    }

    private static String eventType(RawMessageStreamEvent event) {
        if (event.isMessageStart()) {
            return "message_start";
        } else if (event.isContentBlockStart()) {
            return "content_block_start";
        } else if (event.isContentBlockDelta()) {
            return "content_block_delta";
        } else if (event.isContentBlockStop()) {
            return "content_block_stop";
        } else if (event.isMessageDelta()) {
            return "message_delta";
        }
        return "message_stop";
    }

    /**
     * The model asks for a tool, the client sends the tool_result, the model answers: the OpenAI upstream sees a
     * tool call and a tool message with the same id.
     */
    @Test
    void toolUseRoundTripAgainstOpenAiUpstream() throws Exception {
        openAiAnswers("responses/di-tools-get-weather.json");
        MessageCreateParams first = MessageCreateParams.builder().model("di").maxTokens(200)
                .addUserMessage("Weather in Paris?").addTool(weatherTool()).build();

        Message asked = sdk.messages().create(first);

        assertThat(asked.stopReason()).hasValue(StopReason.TOOL_USE);
        ToolUseBlock use = asked.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow()
                .asToolUse();
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use.id()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(JSON.readTree(JSON.writeValueAsString(use._input()))).isEqualTo(JSON.readTree(
                "{\"city\":\"Paris\"}"));
        JsonNode firstSent = sent(openai, OPENAI_CHAT).get(0);
        assertThat(firstSent.at("/tools/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(firstSent.at("/tools/0/function/parameters/properties/city/type").asText()).isEqualTo("string");

        openai.resetAll();
        openAiAnswers("responses/di-chat-system-prompt.json");
        Message answered = sdk.messages().create(first.toBuilder().addMessage(asked)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                        .toolUseId(use.id()).content("18°C and sunny").build())))
                .build());

        assertThat(answered.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(answered.content().get(0).asText().text()).startsWith("1. Reset devices");
        JsonNode second = sent(openai, OPENAI_CHAT).get(0);
        JsonNode messages = second.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.at("/1/role").asText()).isEqualTo("assistant");
        assertThat(messages.at("/1/tool_calls/0/id").asText()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(JSON.readTree(messages.at("/1/tool_calls/0/function/arguments").asText()))
                .isEqualTo(JSON.readTree("{\"city\":\"Paris\"}"));
        assertThat(messages.at("/2/role").asText()).isEqualTo("tool");
        assertThat(messages.at("/2/tool_call_id").asText()).isEqualTo("call_8Kx2mQ4rT7vN1pLs");
        assertThat(messages.at("/2/content").toString()).contains("18°C and sunny");
    }

    /** A streamed tool call arrives as a tool_use block whose input the SDK assembles from input_json_delta. */
    @Test
    void streamedToolUseAgainstOpenAiUpstream() {
        openAiStreams("sse/di-stream-tool-call-get-weather.sse");

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk.messages().createStreaming(
                MessageCreateParams.builder().model("di").maxTokens(100).addUserMessage("Weather in Paris?")
                        .addTool(weatherTool()).build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();

        assertThat(message.stopReason()).hasValue(StopReason.TOOL_USE);
        ToolUseBlock use = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow()
                .asToolUse();
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use._input().convert(Map.class)).containsKey("city");
    }

    /** count_tokens answers the router's estimate without calling any upstream. */
    @Test
    void countTokensNeverDispatches() {
        long small = sdk.messages().countTokens(MessageCountTokensParams.builder().model("di")
                .addUserMessage("Hello").build()).inputTokens();
        long large = sdk.messages().countTokens(MessageCountTokensParams.builder().model("di")
                .system("You are terse.").addUserMessage("Hello ".repeat(400)).addTool(weatherTool()).build())
                .inputTokens();

        assertThat(small).isPositive();
        // 2,400 characters at four a token, plus the system message and the tool
        assertThat(large).isGreaterThan(400).isGreaterThan(small);
        assertThat(openai.getAllServeEvents()).isEmpty();
        assertThat(anthropic.getAllServeEvents()).isEmpty();
    }

    /** Through the anthropic plugin, a message reaches an Anthropic upstream and its answer comes back whole. */
    @Test
    void createAgainstAnthropicUpstream() throws Exception {
        anthropic.stubFor(post(urlEqualTo(ANTHROPIC_MESSAGES)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("""
                        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",
                         "model":"claude-sonnet-4-5","content":[
                           {"type":"thinking","thinking":"The user greets me.","signature":"EqQBCgIYAhIM"},
                           {"type":"text","text":"Hello!"}],
                         "stop_reason":"end_turn","stop_sequence":null,
                         "usage":{"input_tokens":12,"output_tokens":6,"cache_creation_input_tokens":0,
                                  "cache_read_input_tokens":100}}""")));

        HttpResponseFor<Message> raw = sdk.messages().withRawResponse().create(MessageCreateParams.builder()
                .model("claude-sonnet-4-5").maxTokens(4096).enabledThinking(2048).addUserMessage("Hello").build());
        Message message = raw.parse();

        assertThat(message.model().asString()).isEqualTo("claude-sonnet-4-5");
        assertThat(message.content()).hasSize(2);
        assertThat(message.content().get(0).asThinking().thinking()).isEqualTo("The user greets me.");
        assertThat(message.content().get(1).asText().text()).isEqualTo("Hello!");
        assertThat(message.usage().inputTokens()).isEqualTo(12);
        assertThat(message.usage().cacheReadInputTokens()).hasValue(100L);
        assertThat(message.usage().outputTokens()).isEqualTo(6);
        // thinking.budget_tokens 2048 is effort medium, as for chat
        assertThat(raw.headers().values("x-di-effort")).containsExactly("medium");
        assertThat(raw.headers().values("x-di-provider")).containsExactly("an");

        JsonNode upstream = sent(anthropic, ANTHROPIC_MESSAGES).get(0);
        assertThat(upstream.path("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(upstream.path("max_tokens").asInt()).isEqualTo(4096);
        assertThat(upstream.at("/thinking/budget_tokens").asInt()).isEqualTo(2048);
        // the Messages body goes to an Anthropic target as the SDK wrote it: a string content stays a string
        assertThat(upstream.at("/messages/0/content").asText()).isEqualTo("Hello");
    }

    /** A tool-use round trip through the anthropic plugin keeps the tool_use id on both legs. */
    @Test
    void toolUseRoundTripAgainstAnthropicUpstream() throws Exception {
        anthropic.stubFor(post(urlEqualTo(ANTHROPIC_MESSAGES)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("""
                        {"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5",
                         "content":[{"type":"text","text":"I'll check."},
                           {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather",
                            "input":{"city":"Paris"}}],
                         "stop_reason":"tool_use","stop_sequence":null,
                         "usage":{"input_tokens":80,"output_tokens":30}}""")));
        MessageCreateParams first = MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(300)
                .addUserMessage("Weather in Paris?").addTool(weatherTool()).build();

        Message asked = sdk.messages().create(first);
        ToolUseBlock use = asked.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow()
                .asToolUse();
        assertThat(asked.stopReason()).hasValue(StopReason.TOOL_USE);
        assertThat(use.id()).isEqualTo("toolu_01A09q90qw90lq917835lq9");

        anthropic.resetAll();
        anthropic.stubFor(post(urlEqualTo(ANTHROPIC_MESSAGES)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody("""
                        {"id":"msg_02","type":"message","role":"assistant","model":"claude-sonnet-4-5",
                         "content":[{"type":"text","text":"It is 18°C and sunny in Paris."}],
                         "stop_reason":"end_turn","stop_sequence":null,
                         "usage":{"input_tokens":120,"output_tokens":12}}""")));
        Message answered = sdk.messages().create(first.toBuilder().addMessage(asked)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                        .toolUseId(use.id()).content("18°C and sunny").build())))
                .build());

        assertThat(answered.content().get(0).asText().text()).isEqualTo("It is 18°C and sunny in Paris.");
        JsonNode turns = sent(anthropic, ANTHROPIC_MESSAGES).get(0).path("messages");
        assertThat(turns.at("/1/content/1/type").asText()).isEqualTo("tool_use");
        assertThat(turns.at("/1/content/1/id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(turns.at("/2/content/0/type").asText()).isEqualTo("tool_result");
        assertThat(turns.at("/2/content/0/tool_use_id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
    }

    /** A stream through the anthropic plugin is re-encoded as Messages events the SDK accumulates. */
    @Test
    void streamAgainstAnthropicUpstream() {
        anthropic.stubFor(post(urlEqualTo(ANTHROPIC_MESSAGES)).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "text/event-stream").withBody("""
                        event: message_start
                        data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

                        event: content_block_start
                        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                        event: ping
                        data: {"type": "ping"}

                        event: content_block_delta
                        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

                        event: content_block_delta
                        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

                        event: content_block_stop
                        data: {"type":"content_block_stop","index":0}

                        event: message_delta
                        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

                        event: message_stop
                        data: {"type":"message_stop"}

                        """)));

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk.messages().createStreaming(
                MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(100).addUserMessage("Hello")
                        .build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();

        assertThat(message.content().get(0).asText().text()).isEqualTo("Hello!");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isEqualTo(15);
        assertThat(message.model().asString()).isEqualTo("claude-sonnet-4-5");
    }

    /** Missing max_tokens is a 400 invalid_request_error naming the field; the server then still serves. */
    @Test
    void missingMaxTokensIsAnInvalidRequest() throws Exception {
        HttpResponse<String> response = rawPost("/v1/messages", """
                {"model":"di","messages":[{"role":"user","content":"Hi"}]}""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.at("/error/message").asText()).startsWith("max_tokens:");
        assertThat(openai.getAllServeEvents()).isEmpty();

        openAiAnswers("responses/di-chat-system-prompt.json");
        assertThat(sdk.messages().create(MessageCreateParams.builder().model("di").maxTokens(10)
                .addUserMessage("Hi").build()).content()).isNotEmpty();
    }

    /**
     * A value the router refuses names the field as the Messages request has it ({@code stop_sequences}, not the
     * Chat Completions {@code stop} it becomes), in the surface's {@code field: detail} form.
     */
    @Test
    void aRefusedValueIsNamedAsTheMessagesRequestNamesIt() throws Exception {
        HttpResponse<String> stops = rawPost("/v1/messages", """
                {"model":"di","max_tokens":10,"stop_sequences":["a","b","c","d","e"],
                 "messages":[{"role":"user","content":"Hi"}]}""");
        HttpResponse<String> temperature = rawPost("/v1/messages", """
                {"model":"di","max_tokens":10,"temperature":3,"messages":[{"role":"user","content":"Hi"}]}""");

        assertThat(stops.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(stops.body()).at("/error/message").asText())
                .isEqualTo("stop_sequences: at most 4 sequences are allowed, found 5");
        assertThat(temperature.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(temperature.body()).at("/error/message").asText()).startsWith("temperature: ");
        assertThat(JSON.readTree(temperature.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(openai.getAllServeEvents()).isEmpty();
    }

    /** messages that is not an array, or is empty, is a 400 naming messages (BadRequestException in the SDK). */
    @Test
    void messagesNotAnArrayIsAnInvalidRequest() throws Exception {
        HttpResponse<String> response = rawPost("/di/v1/messages", """
                {"model":"di","max_tokens":10,"messages":"Hi"}""");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.at("/error/message").asText()).isEqualTo("messages: expected an array");

        BadRequestException e = catchThrowableOfType(BadRequestException.class,
                () -> sdk.messages().create(MessageCreateParams.builder().model("di").maxTokens(10)
                        .messages(List.of()).build()));
        assertThat(e.errorType()).hasValueSatisfying(t -> assertThat(t.asString())
                .isEqualTo("invalid_request_error"));
        assertThat(e.getMessage()).contains("messages: at least one message is required");
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(openai.getAllServeEvents()).isEmpty();
    }

    /** A wrong key is Anthropic's 401 authentication_error; x-api-key and a Bearer token are both accepted. */
    @Test
    void authenticationUsesTheServerKeys() throws Exception {
        AnthropicClient wrong = client(server.baseUrl(), "vk-wrong");
        try {
            UnauthorizedException e = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.messages().create(MessageCreateParams.builder().model("di").maxTokens(10)
                            .addUserMessage("Hi").build()));
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.errorType()).hasValueSatisfying(t -> assertThat(t.asString())
                    .isEqualTo("authentication_error"));
        } finally {
            wrong.close();
        }
        HttpResponse<String> missing = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/v1/messages/count_tokens"))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"di\",\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(missing.body()).at("/error/type").asText()).isEqualTo("authentication_error");

        HttpResponse<String> bearer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/v1/messages/count_tokens"))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .header("authorization", "Bearer " + VIRTUAL_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bearer.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(bearer.body()).path("input_tokens").asLong()).isPositive();
    }

    /** A model no route matches is Anthropic's 404 not_found_error. */
    @Test
    void unknownModelIsNotFound() {
        NotFoundException e = catchThrowableOfType(NotFoundException.class,
                () -> sdk.messages().create(MessageCreateParams.builder().model("gpt-nothing").maxTokens(10)
                        .addUserMessage("Hi").build()));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.errorType()).hasValueSatisfying(t -> assertThat(t.asString()).isEqualTo("not_found_error"));
    }

    /** An upstream failure with fallback exhausted is a 502 api_error in Anthropic's envelope. */
    @Test
    void upstreamFailureIsAnApiError() {
        openai.stubFor(post(urlEqualTo(OPENAI_CHAT)).willReturn(aResponse().withStatus(500)
                .withHeader("content-type", "application/json")
                .withBody("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}")));

        AnthropicServiceException e = catchThrowableOfType(AnthropicServiceException.class,
                () -> sdk.messages().create(MessageCreateParams.builder().model("di").maxTokens(10)
                        .addUserMessage("Hi").build()));

        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.errorType()).hasValueSatisfying(t -> assertThat(t.asString()).isEqualTo("api_error"));
        assertThat(e.getMessage()).doesNotContain("sk-upstream-secret-42");
    }

    private static HttpResponse<String> rawPost(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                        .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                        .header("x-api-key", VIRTUAL_KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
