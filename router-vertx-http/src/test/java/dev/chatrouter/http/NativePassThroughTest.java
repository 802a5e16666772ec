package dev.chatrouter.http;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.CacheControlEphemeral;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.Metadata;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.TextBlockParam;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.inputtokens.InputTokenCountParams;
import com.openai.models.responses.inputtokens.InputTokenCountResponse;
import dev.chatrouter.kit.wire.Decimals;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official SDKs against the router when the target speaks the client's API: a Messages request routed to an
 * Anthropic target and a Responses request routed to a model with the {@code responses} capability go upstream as
 * the client sent them (only {@code model} rewritten) and come back as the upstream answered (only {@code model}
 * set back to the client's), usage still read for the budgets; token counts are the upstream's own. Other targets
 * keep the translation, and fallback crosses from a native target to a translated one.
 */
class NativePassThroughTest {

    static final String VIRTUAL_KEY = "vk-native-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MESSAGES = "/v1/messages";
    static final String COUNT = "/v1/messages/count_tokens";
    static final String CHAT = "/v1/chat/completions";
    static final String RESPONSES = "/v1/responses";
    static final String INPUT_TOKENS = "/v1/responses/input_tokens";

    static WireMockServer anthropic;
    static WireMockServer openai;
    static TestServer server;
    static AnthropicClient claude;
    static OpenAIClient gpt;

    @BeforeAll
    static void start(@TempDir Path dir) {
        anthropic = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        anthropic.start();
        openai = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        openai.start();
        server = TestServer.start(dir, """
                providers:
                  an:
                    type: anthropic
                    base_url: http://127.0.0.1:${AN_PORT}
                    api_key: sk-ant-upstream-secret-7
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      sonnet: { upstream: claude-sonnet-4-5-20250929, context_window: 200000,
                                price: { input: 3.0, output: 15.0, cached_input: 0.3, cache_write: 3.75 },
                                capabilities: [tools, vision, document, streaming, reasoning, prompt_cache] }
                  flaky529:
                    type: anthropic
                    base_url: http://127.0.0.1:${AN_PORT}/flaky529
                    api_key: sk-ant-upstream-secret-8
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      sonnet: { upstream: claude-sonnet-4-5-20250929, context_window: 200000,
                                capabilities: [tools, streaming, reasoning, prompt_cache] }
                  flaky500:
                    type: anthropic
                    base_url: http://127.0.0.1:${AN_PORT}/flaky500
                    api_key: sk-ant-upstream-secret-8
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      sonnet: { upstream: claude-sonnet-4-5-20250929, context_window: 200000,
                                capabilities: [tools, streaming, reasoning, prompt_cache] }
                  flakysse:
                    type: anthropic
                    base_url: http://127.0.0.1:${AN_PORT}/flakysse
                    api_key: sk-ant-upstream-secret-8
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      sonnet: { upstream: claude-sonnet-4-5-20250929, context_window: 200000,
                                capabilities: [tools, streaming, reasoning, prompt_cache] }
                  up:
                    type: openai
                    base_url: http://127.0.0.1:${OA_PORT}/v1
                    api_key: sk-upstream-secret-42
                    timeouts: { connect_ms: 1000, first_token_ms: 5000, total_ms: 10000 }
                    models:
                      m1: { upstream: up-model-1, price: { input: 1.0, output: 2.0 }, context_window: 128000,
                            capabilities: [tools, streaming, reasoning] }
                      r1: { upstream: gpt-4.1-2025-04-14, price: { input: 2.0, output: 8.0 }, context_window: 128000,
                            capabilities: [tools, streaming, responses] }
                routes:
                  claude:
                    match: ["claude-*"]
                    pools:
                      "*": { policy: priority, targets: [an/sonnet] }
                  fallback-529:
                    fallback: { retries_per_target: 0 }
                    pools:
                      "*": { policy: priority, targets: [flaky529/sonnet, up/m1] }
                  fallback-500:
                    fallback: { retries_per_target: 0 }
                    pools:
                      "*": { policy: priority, targets: [flaky500/sonnet, up/m1] }
                  fallback-stream:
                    fallback: { retries_per_target: 0 }
                    pools:
                      "*": { policy: priority, targets: [flakysse/sonnet, up/m1] }
                  di:
                    pools:
                      "*": { policy: priority, targets: [up/m1] }
                  gpt:
                    match: ["gpt-router*"]
                    pools:
                      "*": { policy: priority, targets: [up/r1] }
                budgets:
                  - { scope: "key:team-a", window: month, limit_usd: 1000 }
                server:
                  route_headers: true
                  responses_ttl: 10m
                  keys:
                    team-a: { key: "${KEY}" }
                """, Map.of("AN_PORT", Integer.toString(anthropic.port()), "OA_PORT",
                Integer.toString(openai.port()), "KEY", VIRTUAL_KEY));
        claude = MessagesConformanceTest.client(server.baseUrl(), VIRTUAL_KEY);
        gpt = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(VIRTUAL_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (claude != null) {
            claude.close();
        }
        if (gpt != null) {
            gpt.close();
        }
        if (server != null) {
            server.close();
        }
        if (anthropic != null) {
            anthropic.stop();
        }
        if (openai != null) {
            openai.stop();
        }
    }

    @BeforeEach
    void reset() {
        anthropic.resetAll();
        openai.resetAll();
    }

    /** A file under {@code native/} in router-plugin-kit's test jar: the providers' documented shapes. */
    static String nativeFixture(String name) {
        try (InputStream in = NativePassThroughTest.class.getClassLoader().getResourceAsStream("native/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void answers(WireMockServer upstream, String path, int status, String contentType, String body) {
        upstream.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(status)
                .withHeader("content-type", contentType).withBody(body)));
    }

    private static LoggedRequest onlyRequest(WireMockServer upstream, String path) {
        List<LoggedRequest> requests = upstream.findAll(postRequestedFor(urlEqualTo(path)));
        assertThat(requests).as("requests to %s", path).hasSize(1);
        return requests.get(0);
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the caller's key budget has recorded so far, in USD. */
    private static double spentByKey() {
        HttpResponse<String> spend = Http.get(server.baseUrl() + "/v1/router/spend",
                "authorization", "Bearer " + VIRTUAL_KEY);
        assertThat(spend.statusCode()).isEqualTo(200);
        for (JsonNode budget : Http.json(spend).path("data")) {
            if (budget.path("scope").asText().equals("key:team-a")) {
                return budget.path("spent_usd").asDouble();
            }
        }
        throw new AssertionError("no key:team-a budget in " + spend.body());
    }

    private static MessageCreateParams.Builder richMessage() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(1024)
                .systemOfTextBlockParams(List.of(TextBlockParam.builder().text("You are terse.")
                        .cacheControl(CacheControlEphemeral.builder().build()).build()))
                .enabledThinking(2048)
                .metadata(Metadata.builder().userId("user-42").build())
                .addUserMessage("Hello")
                .putAdditionalHeader("anthropic-beta", "interleaved-thinking-2025-05-14")
                .putAdditionalBodyProperty("context_management", JsonValue.from(Map.of("edits", List.of())));
    }

    /** The upstream got the client's body: cache_control, thinking, metadata, an unknown field, the beta header. */
    private static void assertSentAsWritten(LoggedRequest sent) {
        JsonNode body = tree(sent.getBodyAsString());
        assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(body.at("/system/0/cache_control/type").asText()).isEqualTo("ephemeral");
        assertThat(body.at("/thinking/type").asText()).isEqualTo("enabled");
        assertThat(body.at("/thinking/budget_tokens").asInt()).isEqualTo(2048);
        assertThat(body.at("/metadata/user_id").asText()).isEqualTo("user-42");
        assertThat(body.path("context_management").isObject()).isTrue();
        assertThat(body.at("/messages/0/content").asText()).isEqualTo("Hello");
        assertThat(sent.getHeader("anthropic-beta")).isEqualTo("interleaved-thinking-2025-05-14");
        assertThat(sent.getHeader("anthropic-version")).isNotBlank();
        assertThat(sent.getHeader("x-api-key")).isEqualTo("sk-ant-upstream-secret-7");
    }

    /**
     * A message to an Anthropic target goes as written and comes back as answered: a redacted_thinking block the
     * translation has no place for reaches the client, and the cost is read from the native usage.
     */
    @Test
    void messagesCreateGoesNative() {
        answers(anthropic, MESSAGES, 200, "application/json", """
                {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",
                 "model":"claude-sonnet-4-5-20250929","content":[
                   {"type":"thinking","thinking":"The user greets me.","signature":"EqQBCgIYAhIM"},
                   {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"},
                   {"type":"text","text":"Hello!"}],
                 "stop_reason":"end_turn","stop_sequence":null,
                 "usage":{"input_tokens":12,"output_tokens":6,"cache_creation_input_tokens":50,
                          "cache_read_input_tokens":100}}""");
        double before = spentByKey();

        HttpResponseFor<Message> raw = claude.messages().withRawResponse().create(richMessage().build());
        Message message = raw.parse();

        assertSentAsWritten(onlyRequest(anthropic, MESSAGES));
        assertThat(message.id()).isEqualTo("msg_01XFDUDYJgAACzvnptvVoYEL");
        assertThat(message.model().asString()).isEqualTo("claude-sonnet-4-5");
        assertThat(message.content()).hasSize(3);
        assertThat(message.content().get(1).isRedactedThinking()).isTrue();
        assertThat(message.content().get(1).asRedactedThinking().data()).isEqualTo("EmwKAhgBEgy3va3pzix/LafPsn4a");
        assertThat(message.content().get(0).asThinking().signature()).isEqualTo("EqQBCgIYAhIM");
        assertThat(message.usage().cacheCreationInputTokens()).hasValue(50L);
        assertThat(message.usage().cacheReadInputTokens()).hasValue(100L);
        assertThat(raw.headers().values("x-di-provider")).containsExactly("an");
        // 12 uncached at $3/M, 100 cache reads at $0.30/M, 50 cache writes at $3.75/M, 6 out at $15/M
        double cost = (12 * 3.0 + 100 * 0.3 + 50 * 3.75 + 6 * 15.0) / 1e6;
        assertThat(raw.headers().values("x-di-cost-usd")).containsExactly(Decimals.usd(cost));
        assertThat(spentByKey() - before).isCloseTo(cost, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(openai.getAllServeEvents()).isEmpty();
    }

    /**
     * A stream from an Anthropic target reaches the client event for event (signature deltas and pings
     * included), only message_start's model set back to the client's; the budget is charged the usage of
     * message_start and message_delta.
     */
    @Test
    void messagesStreamGoesNative() {
        String sse = """
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_01Stream","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":0,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"A greeting."}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: ping
                data: {"type": "ping"}

                event: content_block_start
                data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello!"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":1}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

                event: message_stop
                data: {"type":"message_stop"}

                """;
        answers(anthropic, MESSAGES, 200, "text/event-stream", sse);
        double before = spentByKey();

        HttpResponse<String> rawStream = Http.post(server.baseUrl() + "/v1/messages", """
                {"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,
                 "thinking":{"type":"enabled","budget_tokens":2048},
                 "messages":[{"role":"user","content":"Hello"}]}""", "authorization", "Bearer " + VIRTUAL_KEY);

        assertThat(rawStream.statusCode()).isEqualTo(200);
        String expected = sse.replace("\"model\":\"claude-sonnet-4-5-20250929\"", "\"model\":\"claude-sonnet-4-5\"");
        assertThat(Arrays.asList(rawStream.body().split("\n\n"))).containsExactlyElementsOf(
                Arrays.stream(expected.split("\n\n")).filter(s -> !s.isBlank()).toList());
        assertThat(tree(onlyRequest(anthropic, MESSAGES).getBodyAsString()).path("stream").asBoolean()).isTrue();
        double cost = (25 * 3.0 + 15 * 15.0) / 1e6;
        assertThat(spentByKey() - before).isCloseTo(cost, org.assertj.core.data.Offset.offset(1e-12));

        anthropic.resetAll();
        answers(anthropic, MESSAGES, 200, "text/event-stream", sse);
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = claude.messages().createStreaming(richMessage().build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();
        assertSentAsWritten(onlyRequest(anthropic, MESSAGES));
        assertThat(message.content().get(0).asThinking().signature()).isEqualTo("EqQBCgIYAhIM");
        assertThat(message.content().get(1).asText().text()).isEqualTo("Hello!");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.model().asString()).isEqualTo("claude-sonnet-4-5");
    }

    /** count_tokens for an Anthropic target is Anthropic's own count; nothing is generated. */
    @Test
    void countTokensAsksAnthropic() {
        answers(anthropic, COUNT, 200, "application/json", nativeFixture("messages-count-tokens.json"));

        HttpResponseFor<MessageTokensCount> raw = claude.messages().withRawResponse().countTokens(
                MessageCountTokensParams.builder().model("claude-sonnet-4-5").addUserMessage("Hello")
                        .putAdditionalHeader("anthropic-beta", "token-counting-2024-11-01").build());

        assertThat(raw.parse().inputTokens()).isEqualTo(2095);
        assertThat(raw.headers().values("x-di-token-count-source")).containsExactly("provider");
        LoggedRequest sent = onlyRequest(anthropic, COUNT);
        assertThat(tree(sent.getBodyAsString()).path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(sent.getHeader("anthropic-beta")).isEqualTo("token-counting-2024-11-01");
        assertThat(sent.getHeader("x-api-key")).isEqualTo("sk-ant-upstream-secret-7");
        assertThat(anthropic.findAll(postRequestedFor(urlEqualTo(MESSAGES)))).isEmpty();
    }

    /** When Anthropic's count fails, the router counts, and says so. */
    @Test
    void aFailedProviderCountFallsBackToTheRouters() {
        answers(anthropic, COUNT, 529, "application/json",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");

        HttpResponseFor<MessageTokensCount> raw = claude.messages().withRawResponse().countTokens(
                MessageCountTokensParams.builder().model("claude-sonnet-4-5").addUserMessage("Hello ".repeat(100))
                        .build());

        assertThat(raw.parse().inputTokens()).isGreaterThan(90);
        assertThat(raw.headers().values("x-di-token-count-source")).containsExactly("router");
        assertThat(anthropic.findAll(postRequestedFor(urlEqualTo(COUNT)))).hasSize(1);
    }

    /** With an OpenAI-compatible target the same SDK calls are translated, and the router counts. */
    @Test
    void anOpenAiCompatibleTargetKeepsTheTranslation() {
        answers(openai, CHAT, 200, "application/json", TestServer.fixture("responses/di-chat-system-prompt.json"));

        Message message = claude.messages().create(richMessage().model("di").build());

        assertThat(message.model().asString()).isEqualTo("di");
        assertThat(message.content()).anySatisfy(block -> assertThat(block.isText()).isTrue());
        JsonNode sent = tree(onlyRequest(openai, CHAT).getBodyAsString());
        assertThat(sent.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(anthropic.getAllServeEvents()).isEmpty();

        HttpResponseFor<MessageTokensCount> raw = claude.messages().withRawResponse().countTokens(
                MessageCountTokensParams.builder().model("di").addUserMessage("Hello").build());
        assertThat(raw.parse().inputTokens()).isPositive();
        assertThat(raw.headers().values("x-di-token-count-source")).containsExactly("router");
        assertThat(anthropic.getAllServeEvents()).isEmpty();
    }

    /**
     * An Anthropic target that fails before any content falls back to the OpenAI-compatible one, which gets the
     * translated request; the client sees a valid message.
     */
    @ParameterizedTest(name = "Anthropic answers {0}")
    @ValueSource(ints = {529, 500})
    void fallbackCrossesFromNativeToTranslated(int status) {
        String type = status == 529 ? "overloaded_error" : "api_error";
        // one Anthropic provider per status: the first failure puts its target in cooldown
        String flaky = "/flaky" + status + MESSAGES;
        answers(anthropic, flaky, status, "application/json",
                "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"try later\"}}");
        answers(openai, CHAT, 200, "application/json", TestServer.fixture("responses/di-chat-system-prompt.json"));

        HttpResponseFor<Message> raw = claude.messages().withRawResponse().create(richMessage().model("fallback-" + status)
                .build());
        Message message = raw.parse();

        assertThat(message.model().asString()).isEqualTo("fallback-" + status);
        assertThat(message._type()).isEqualTo(JsonValue.from("message"));
        assertThat(message.content()).anySatisfy(block -> assertThat(block.isText()).isTrue());
        assertThat(raw.headers().values("x-di-provider")).containsExactly("up");
        assertThat(raw.headers().values("x-di-attempts")).containsExactly("2");
        assertThat(tree(onlyRequest(anthropic, flaky).getBodyAsString()).at("/system/0/cache_control")
                .isObject()).isTrue();
        JsonNode translated = tree(onlyRequest(openai, CHAT).getBodyAsString());
        assertThat(translated.path("model").asText()).isEqualTo("up-model-1");
        assertThat(translated.at("/messages/1/content").isMissingNode()).isFalse();
    }

    /**
     * A stream whose Anthropic target fails before any event falls back to the OpenAI-compatible target, and the
     * client gets the translated Messages stream, which the SDK accumulates.
     */
    @Test
    void streamFallbackCrossesFromNativeToTranslated() {
        answers(anthropic, "/flakysse" + MESSAGES, 529, "application/json",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
        answers(openai, CHAT, 200, "text/event-stream", TestServer.fixture("sse/di-stream-haiku.sse"));

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = claude.messages().createStreaming(
                richMessage().model("fallback-stream").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();

        assertThat(message.model().asString()).isEqualTo("fallback-stream");
        assertThat(message.content().get(0).asText().text()).isNotBlank();
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(anthropic.findAll(postRequestedFor(urlEqualTo("/flakysse" + MESSAGES)))).hasSize(1);
        assertThat(tree(onlyRequest(openai, CHAT).getBodyAsString()).path("stream").asBoolean()).isTrue();
    }

    /**
     * Responses to a model with the responses capability: create, then a follow-up by previous_response_id whose
     * earlier turns the router writes into the input it sends (the upstream stores nothing for it).
     */
    @Test
    void responsesCreateAndFollowUpGoNative() {
        answers(openai, RESPONSES, 200, "application/json", nativeFixture("responses-text.json"));

        Response first = gpt.responses().create(ResponseCreateParams.builder().model("gpt-router").input("Hello")
                .instructions("Be brief.").putAdditionalHeader("OpenAI-Beta", "responses=v1").build());

        assertThat(first.id()).isEqualTo("resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41");
        assertThat(first.model().asString()).isEqualTo("gpt-router");
        assertThat(first.output().get(0).asMessage().content().get(0).asOutputText().text())
                .isEqualTo("Hello! How can I help?");
        assertThat(first.usage().orElseThrow().inputTokensDetails().cachedTokens()).isEqualTo(128);
        LoggedRequest sent = onlyRequest(openai, RESPONSES);
        JsonNode body = tree(sent.getBodyAsString());
        assertThat(body.path("model").asText()).isEqualTo("gpt-4.1-2025-04-14");
        assertThat(body.path("input").asText()).isEqualTo("Hello");
        assertThat(body.path("instructions").asText()).isEqualTo("Be brief.");
        assertThat(sent.getHeader("openai-beta")).isEqualTo("responses=v1");
        assertThat(openai.findAll(postRequestedFor(urlEqualTo(CHAT)))).isEmpty();

        openai.resetAll();
        answers(openai, RESPONSES, 200, "application/json", nativeFixture("responses-text.json"));
        Response second = gpt.responses().create(ResponseCreateParams.builder().model("gpt-router")
                .previousResponseId(first.id()).input("And in French?").build());

        assertThat(second.previousResponseId()).hasValue(first.id());
        JsonNode followUp = tree(onlyRequest(openai, RESPONSES).getBodyAsString());
        assertThat(followUp.has("previous_response_id")).isFalse();
        JsonNode input = followUp.path("input");
        assertThat(input).hasSize(3);
        assertThat(input.at("/0/role").asText()).isEqualTo("user");
        assertThat(input.at("/0/content").asText()).isEqualTo("Hello");
        assertThat(input.at("/1/role").asText()).isEqualTo("assistant");
        assertThat(input.at("/1/content/0/type").asText()).isEqualTo("output_text");
        assertThat(input.at("/1/content/0/text").asText()).isEqualTo("Hello! How can I help?");
        assertThat(input.at("/2/role").asText()).isEqualTo("user");
        assertThat(input.at("/2/content").asText()).isEqualTo("And in French?");
    }

    /** A Responses stream is relayed event for event, and its answer is stored for a follow-up. */
    @Test
    void responsesStreamGoesNativeAndIsStored() {
        String sse = nativeFixture("responses-text.sse");
        answers(openai, RESPONSES, 200, "text/event-stream", sse);

        List<ResponseStreamEvent> events = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try (com.openai.core.http.StreamResponse<ResponseStreamEvent> stream = gpt.responses().createStreaming(ResponseCreateParams
                .builder().model("gpt-router").input("Hello").build())) {
            stream.stream().forEach(event -> {
                events.add(event);
                event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
            });
        }

        assertThat(text.toString()).isEqualTo("Hello! How can I help?");
        assertThat(events).hasSize(sse.split("\n\n").length);
        assertThat(events.get(0).asCreated().response().model().asString()).isEqualTo("gpt-router");
        Response completed = events.get(events.size() - 1).asCompleted().response();
        assertThat(completed.usage().orElseThrow().outputTokens()).isEqualTo(52);
        assertThat(tree(onlyRequest(openai, RESPONSES).getBodyAsString()).path("stream").asBoolean()).isTrue();

        openai.resetAll();
        answers(openai, RESPONSES, 200, "application/json", nativeFixture("responses-text.json"));
        gpt.responses().create(ResponseCreateParams.builder().model("gpt-router").previousResponseId(completed.id())
                .input("Thanks").build());
        JsonNode input = tree(onlyRequest(openai, RESPONSES).getBodyAsString()).path("input");
        assertThat(input).hasSize(3);
        assertThat(input.at("/1/content/0/text").asText()).isEqualTo("Hello! How can I help?");
    }

    /** input_tokens for a model with the responses capability is the upstream's count. */
    @Test
    void inputTokensAsksTheUpstream() {
        answers(openai, INPUT_TOKENS, 200, "application/json", nativeFixture("responses-input-tokens.json"));

        com.openai.core.http.HttpResponseFor<InputTokenCountResponse> raw = gpt.responses().inputTokens().withRawResponse().count(
                InputTokenCountParams.builder().model("gpt-router").input("Hello").build());

        assertThat(raw.parse().inputTokens()).isEqualTo(11);
        assertThat(raw.headers().values("x-di-token-count-source")).containsExactly("provider");
        JsonNode sent = tree(onlyRequest(openai, INPUT_TOKENS).getBodyAsString());
        assertThat(sent.path("model").asText()).isEqualTo("gpt-4.1-2025-04-14");
        assertThat(sent.path("input").asText()).isEqualTo("Hello");
        assertThat(openai.findAll(postRequestedFor(urlEqualTo(RESPONSES)))).isEmpty();

        // a count naming an earlier response counts its turns too, expanded into input
        answers(openai, RESPONSES, 200, "application/json", nativeFixture("responses-text.json"));
        Response first = gpt.responses().create(ResponseCreateParams.builder().model("gpt-router").input("Hello")
                .build());
        openai.resetAll();
        answers(openai, INPUT_TOKENS, 200, "application/json", nativeFixture("responses-input-tokens.json"));
        assertThat(gpt.responses().inputTokens().count(InputTokenCountParams.builder().model("gpt-router")
                .previousResponseId(first.id()).input("And?").build()).inputTokens()).isEqualTo(11);
        JsonNode expanded = tree(onlyRequest(openai, INPUT_TOKENS).getBodyAsString());
        assertThat(expanded.has("previous_response_id")).isFalse();
        assertThat(expanded.path("input")).hasSize(3);
        assertThat(expanded.at("/input/1/content/0/text").asText()).isEqualTo("Hello! How can I help?");

        com.openai.core.http.HttpResponseFor<InputTokenCountResponse> translated = gpt.responses().inputTokens().withRawResponse().count(
                InputTokenCountParams.builder().model("di").input("Hello").build());
        assertThat(translated.parse().inputTokens()).isPositive();
        assertThat(translated.headers().values("x-di-token-count-source")).containsExactly("router");
    }
}
