package dev.chatrouter.plugin.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Stop;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.anthropic.Upstream.API_KEY;
import static dev.chatrouter.plugin.anthropic.Upstream.MESSAGES;
import static dev.chatrouter.plugin.anthropic.Upstream.PLAIN;
import static dev.chatrouter.plugin.anthropic.Upstream.SONNET;
import static dev.chatrouter.plugin.anthropic.Upstream.await;
import static dev.chatrouter.plugin.anthropic.Upstream.call;
import static dev.chatrouter.plugin.anthropic.Upstream.failure;
import static dev.chatrouter.plugin.anthropic.Upstream.fixture;
import static dev.chatrouter.plugin.anthropic.Upstream.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the anthropic plugin sends the Messages API for a Chat Completions request, and how it reads the message
 * back, against WireMock answering in the documentation's shapes.
 */
class AnthropicChatTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Upstream.TestContext context;
    private final List<Provider> providers = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        context = new Upstream.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @AfterEach
    void closeProviders() {
        providers.forEach(Provider::close);
    }

    private Provider provider(ProviderSpec.Builder spec) {
        Provider provider = Upstream.provider(spec.build(), context);
        providers.add(provider);
        return provider;
    }

    private Provider provider() {
        return provider(Upstream.spec(wm.baseUrl()));
    }

    private static JsonNode sent() {
        return Upstream.sentBody(wm);
    }

    /** Sends a request to a model, answering with the text fixture, and returns the body sent. */
    private JsonNode send(ModelSpec model, ChatRequest request) throws Exception {
        Upstream.answer(wm, fixture("responses/text.json"));
        await(provider().chat(call(model, request)));
        return sent();
    }

    private static Map<String, Object> weatherSchema() {
        Map<String, Object> location = new LinkedHashMap<>();
        location.put("type", "string");
        location.put("description", "The city and state, e.g. San Francisco, CA");
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", Map.of("location", location));
        schema.put("required", List.of("location"));
        return schema;
    }

    private static Map<String, Object> personSchema() {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("name", Map.of("type", "string"));
        properties.put("age", Map.of("type", "integer"));
        schema.put("properties", properties);
        schema.put("required", List.of("name", "age"));
        return schema;
    }

    @Test
    void aTextRequestCarriesTheApiHeadersAndTheSystemPromptAndReadsTheMessageBack() throws Exception {
        Upstream.answer(wm, fixture("responses/text.json"));
        Provider provider = provider(Upstream.spec(wm.baseUrl()).header("anthropic-beta", "files-api-2025-04-14"));

        ChatResponse response = await(provider.chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.system("You are a concise assistant."))
                .addMessage(Message.user("Hello, Claude")).build())));

        LoggedRequest sent = Upstream.onlyRequest(wm);
        assertThat(sent.getHeader("x-api-key")).isEqualTo(API_KEY);
        assertThat(sent.getHeader("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.getHeader("content-type")).startsWith("application/json");
        assertThat(sent.getHeader("anthropic-beta")).isEqualTo("files-api-2025-04-14");
        assertThat(sent.containsHeader("Authorization")).isFalse();
        assertThat(tree(sent.getBodyAsString())).isEqualTo(tree("""
                {"model": "claude-sonnet-4-5", "max_tokens": 4096,
                 "system": [{"type": "text", "text": "You are a concise assistant."}],
                 "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, Claude"}]}]}"""));

        assertThat(response.id()).isEqualTo("msg_013Zva2CMHLNnXjNJJKqJ2EF");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.model()).isEqualTo("claude-sonnet-4-5-20250929");
        Choice choice = response.choices().get(0);
        assertThat(choice.message().role()).isEqualTo(Role.ASSISTANT);
        assertThat(choice.message().text()).isEqualTo("Hi! My name is Claude.");
        assertThat(choice.message().toolCalls()).isNull();
        assertThat(choice.finishReason()).isEqualTo("stop");
        assertThat(response.usage().promptTokens()).isEqualTo(2095);
        assertThat(response.usage().completionTokens()).isEqualTo(503);
        assertThat(response.usage().totalTokens()).isEqualTo(2598);
        assertThat(response.usage().promptTokensDetails()).isNull();
    }

    @Test
    void aToolUseConversationIsSentAsAlternatingTurnsWithToolUseAndToolResultBlocks() throws Exception {
        Upstream.answer(wm, fixture("responses/tool-use-get-weather.json"));
        Map<String, Object> timeSchema = Map.of("type", "object",
                "properties", Map.of("timezone", Map.of("type", "string")));
        ChatRequest request = ChatRequest.builder()
                .addMessage(Message.system("You are a weather bot."))
                .addMessage(new Message(Role.DEVELOPER, dev.chatrouter.api.chat.Content.of("Answer in celsius."),
                        null, null, null, null, Map.of()))
                .addMessage(Message.user("What's the weather in San Francisco?"))
                .addMessage(Message.user("And what time is it there?"))
                .addMessage(new Message(Role.ASSISTANT, dev.chatrouter.api.chat.Content.of("I'll check."), null,
                        List.of(ToolCall.function("toolu_01", "get_weather", "{\"location\":\"San Francisco, CA\"}"),
                                ToolCall.function("toolu_02", "get_time", "{\"timezone\":\"America/Los_Angeles\"}")),
                        null, null, Map.of()))
                .addMessage(Message.tool("toolu_01", "15 degrees"))
                .addMessage(Message.tool("toolu_02", "9:41 AM"))
                .addMessage(Message.user("Thanks. Anything else I should know?"))
                .tools(List.of(Tool.function("get_weather", "Get the current weather in a given location",
                        weatherSchema()), Tool.function("get_time", null, timeSchema)))
                .toolChoice(ToolChoice.required()).parallelToolCalls(false)
                .maxTokens(512).stop(Stop.of(List.of("END"))).temperature(1.4).topP(0.9).user("user-42")
                // Fields the Messages API does not take: none of them may reach it.
                .seed(7L).n(1).frequencyPenalty(0.5).presencePenalty(0.1).logprobs(true)
                .metadata(Map.of("trace", "abc"))
                .extra(Map.of("logit_bias", Map.of("50256", -100L), "service_tier", "flex"))
                .build();

        ChatResponse response = await(provider().chat(call(SONNET, request)));

        assertThat(sent()).isEqualTo(tree("""
                {"model": "claude-sonnet-4-5", "max_tokens": 512,
                 "system": [{"type": "text", "text": "You are a weather bot."},
                            {"type": "text", "text": "Answer in celsius."}],
                 "messages": [
                   {"role": "user", "content": [
                     {"type": "text", "text": "What's the weather in San Francisco?"},
                     {"type": "text", "text": "And what time is it there?"}]},
                   {"role": "assistant", "content": [
                     {"type": "text", "text": "I'll check."},
                     {"type": "tool_use", "id": "toolu_01", "name": "get_weather",
                      "input": {"location": "San Francisco, CA"}},
                     {"type": "tool_use", "id": "toolu_02", "name": "get_time",
                      "input": {"timezone": "America/Los_Angeles"}}]},
                   {"role": "user", "content": [
                     {"type": "tool_result", "tool_use_id": "toolu_01", "content": "15 degrees"},
                     {"type": "tool_result", "tool_use_id": "toolu_02", "content": "9:41 AM"},
                     {"type": "text", "text": "Thanks. Anything else I should know?"}]}],
                 "tools": [
                   {"name": "get_weather", "description": "Get the current weather in a given location",
                    "input_schema": {"type": "object",
                      "properties": {"location": {"type": "string",
                        "description": "The city and state, e.g. San Francisco, CA"}},
                      "required": ["location"]}},
                   {"name": "get_time",
                    "input_schema": {"type": "object", "properties": {"timezone": {"type": "string"}}}}],
                 "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
                 "stop_sequences": ["END"],
                 "temperature": 1.0,
                 "top_p": 0.9,
                 "metadata": {"user_id": "user-42"}}"""));

        Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().text()).isEqualTo("I'll check the current weather in San Francisco for you.");
        assertThat(choice.message().toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.id()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
            assertThat(call.type()).isEqualTo("function");
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(tree(call.function().arguments()))
                    .isEqualTo(tree("{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"));
        });
        assertThat(response.usage()).isNull(); // the documentation's example has none
    }

    @ParameterizedTest(name = "tool_choice {0} is sent as {1}")
    @CsvSource(delimiter = '|', value = {
            "auto     | {\"type\":\"auto\"}",
            "none     | {\"type\":\"none\"}",
            "required | {\"type\":\"any\"}",
            "function | {\"type\":\"tool\",\"name\":\"get_weather\"}"})
    void eachToolChoiceHasItsAnthropicForm(String given, String expected) throws Exception {
        ToolChoice choice = "function".equals(given) ? ToolChoice.function("get_weather")
                : new ToolChoice(given, null);

        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user("Weather in Paris?"))
                .tools(List.of(Tool.function("get_weather", null, weatherSchema()))).toolChoice(choice).build());

        assertThat(body.get("tool_choice")).isEqualTo(tree(expected));
    }

    @Test
    void imagesAreSentAsBase64SourcesFromDataUrlsAndAsUrlSourcesFromWebUrls() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user(List.of(
                ContentPart.text("What is in these images?"),
                ContentPart.imageUrl("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="),
                ContentPart.imageUrl("https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"))))
                .build());

        assertThat(body.get("messages")).isEqualTo(tree("""
                [{"role": "user", "content": [
                  {"type": "text", "text": "What is in these images?"},
                  {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                               "data": "iVBORw0KGgoAAAANSUhEUg=="}},
                  {"type": "image", "source": {"type": "url",
                    "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}}
                ]}]"""));
    }

    @Test
    void aPdfFilePartIsSentAsADocumentBlockAndAnthropicBlocksAsTheyAre() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user(List.of(
                new ContentPart.File(null, "report.pdf", "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IK", null,
                        Map.of()),
                new ContentPart.Other("document", null,
                        Map.of("source", Map.of("type", "url", "url", "https://example.com/spec.pdf"))),
                ContentPart.text("Compare these two documents."))))
                .build());

        assertThat(body.get("messages")).isEqualTo(tree("""
                [{"role": "user", "content": [
                  {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                  "data": "JVBERi0xLjQKJcfsj6IK"},
                   "title": "report.pdf"},
                  {"type": "document", "source": {"type": "url", "url": "https://example.com/spec.pdf"}},
                  {"type": "text", "text": "Compare these two documents."}
                ]}]"""));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a file by id                 | file-abc123 |                                    | messages[0].content[0]: file",
            "a file that is not a PDF     |             | data:text/plain;base64,aGVsbG8=    | messages[0].content[0]: file",
            "an image over ftp            |             |                                    | messages[0].content[0]: image_url"})
    void contentTheMessagesApiCannotTakeFailsAsABadRequestWithoutCallingIt(String what, String fileId,
                                                                           String fileData, String message)
            throws Exception {
        ContentPart part = what.contains("image") ? ContentPart.imageUrl("ftp://example.com/cat.png")
                : new ContentPart.File(fileId, "notes", fileData, null, Map.of());

        ProviderException e = failure(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user(List.of(part))).build())));

        assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(e.getMessage()).startsWith(message);
        assertThat(wm.findAll(postRequestedFor(urlEqualTo(MESSAGES)))).isEmpty();
    }

    /**
     * Proves the legacy function-call fields, which the Messages API has no place for, fail as a bad request naming
     * the field instead of being dropped (the model would answer as if it had no functions).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"functions", "function_call"})
    void legacyFunctionFieldsFailAsABadRequestNamingTheField(String field) throws Exception {
        Object value = "functions".equals(field)
                ? List.of(Map.of("name", "get_weather", "parameters", Map.of("type", "object")))
                : Map.of("name", "get_weather");

        ProviderException e = failure(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("Weather in Paris?")).extra(Map.of(field, value)).build())));

        assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(e.getMessage()).startsWith("request: " + field).contains("tools");
        assertThat(wm.findAll(postRequestedFor(urlEqualTo(MESSAGES)))).isEmpty();
    }

    @Test
    void jsonSchemaIsAskedForWithAForcedToolWhoseInputComesBackAsTheMessageText() throws Exception {
        Upstream.answer(wm, fixture("responses/json-answer-person.json"));

        ChatResponse response = await(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("Extract the person from: Grace Hopper was 85 when she died in 1992."))
                .responseFormat(ResponseFormat.jsonSchema("person", personSchema()))
                .reasoningEffort("high") // thinking cannot go with a forced tool: none is sent
                .build())));

        JsonNode body = sent();
        assertThat(body.get("tools")).isEqualTo(tree("""
                [{"name": "person", "description": "%s",
                  "input_schema": {"type": "object",
                    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                    "required": ["name", "age"]}}]""".formatted(MessagesRequest.ANSWER_TOOL_DESCRIPTION)));
        assertThat(body.get("tool_choice")).isEqualTo(tree("{\"type\": \"tool\", \"name\": \"person\"}"));
        assertThat(body.has("thinking")).isFalse();
        assertThat(body.has("system")).isFalse();

        Choice choice = response.choices().get(0);
        assertThat(tree(choice.message().text())).isEqualTo(tree("{\"name\": \"Grace Hopper\", \"age\": 85}"));
        assertThat(choice.message().toolCalls()).isNull();
        assertThat(choice.finishReason()).isEqualTo("stop");
    }

    @Test
    void jsonSchemaBesideTheCallersOwnToolsRequiresSomeToolCall() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user("Weather in Paris, as JSON"))
                .tools(List.of(Tool.function("get_weather", null, weatherSchema())))
                .responseFormat(ResponseFormat.jsonSchema("person", personSchema())).build());

        assertThat(body.get("tools").size()).isEqualTo(2);
        assertThat(body.get("tools").get(0).get("name").asText()).isEqualTo("get_weather");
        assertThat(body.get("tools").get(1).get("name").asText()).isEqualTo("person");
        assertThat(body.get("tool_choice")).isEqualTo(tree("{\"type\": \"any\"}"));
    }

    @Test
    void jsonObjectAddsAnInstructionToTheSystemPrompt() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.system("You list fruit."))
                .addMessage(Message.user("Three fruits with their colours")).responseFormat(ResponseFormat.jsonObject())
                .build());

        assertThat(body.get("system")).isEqualTo(tree("""
                [{"type": "text", "text": "You list fruit."}, {"type": "text", "text": "%s"}]"""
                .formatted(MessagesRequest.JSON_OBJECT_INSTRUCTION)));
        assertThat(body.has("tools")).isFalse();
    }

    @ParameterizedTest(name = "reasoning_effort {0} sends a thinking budget of {1}")
    @CsvSource({"low, 1024", "medium, 8192", "high, 24576", "xhigh, 24576"})
    void effortBecomesAThinkingBudgetAboveWhichMaxTokensIsRaised(String effort, int budget) throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user("Prove that 2 is prime."))
                .reasoningEffort(effort).maxTokens(1000).temperature(0.5).topP(0.5).build());

        assertThat(body.get("thinking")).isEqualTo(tree("{\"type\": \"enabled\", \"budget_tokens\": " + budget + "}"));
        assertThat(body.get("max_tokens").asInt()).isEqualTo(budget + 1000);
        // The API rejects sampling changes beside thinking.
        assertThat(body.has("temperature")).isFalse();
        assertThat(body.has("top_p")).isFalse();
    }

    /**
     * A translated assistant turn carries no signed thinking, and Anthropic refuses thinking in a tool loop whose
     * last assistant turn does not start with it: the loop's next step goes without thinking (and so with the
     * sampling fields), rather than failing.
     */
    @Test
    void aToolLoopIsContinuedWithoutThinking() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder()
                .addMessage(Message.user("What's the weather in Paris?"))
                .addMessage(Message.assistantToolCalls(
                        List.of(ToolCall.function("toolu_01", "get_weather", "{\"location\":\"Paris\"}"))))
                .addMessage(Message.tool("toolu_01", "15 degrees"))
                .tools(List.of(Tool.function("get_weather", "Get the weather", weatherSchema())))
                .reasoningEffort("high").maxTokens(1000).temperature(0.5).build());

        assertThat(body.has("thinking")).isFalse();
        assertThat(body.get("max_tokens").asInt()).isEqualTo(1000);
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.5);
    }

    /** Once the loop is over (the last turn is the user's own text), thinking is sent again. */
    @Test
    void aTurnAfterAToolLoopThinksAgain() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder()
                .addMessage(Message.user("What's the weather in Paris?"))
                .addMessage(Message.assistantToolCalls(
                        List.of(ToolCall.function("toolu_01", "get_weather", "{\"location\":\"Paris\"}"))))
                .addMessage(Message.tool("toolu_01", "15 degrees"))
                .addMessage(Message.assistant("It is 15 degrees."))
                .addMessage(Message.user("Should I take a coat?"))
                .tools(List.of(Tool.function("get_weather", "Get the weather", weatherSchema())))
                .reasoningEffort("low").maxTokens(1000).build());

        assertThat(body.get("thinking")).isEqualTo(tree("{\"type\": \"enabled\", \"budget_tokens\": 1024}"));
    }

    @Test
    void aMaxTokensAlreadyAboveTheBudgetIsKept() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user("Prove that 2 is prime."))
                .reasoningEffort("low").maxCompletionTokens(3000).build());

        assertThat(body.get("thinking").get("budget_tokens").asInt()).isEqualTo(1024);
        assertThat(body.get("max_tokens").asInt()).isEqualTo(3000);
    }

    @Test
    void aDerivedBudgetShrinksToFitUnderTheModelsOutputLimit() throws Exception {
        ModelSpec small = new ModelSpec("small", "claude-small", null, 0, 8000, SONNET.capabilities());

        JsonNode body = send(small, ChatRequest.builder().addMessage(Message.user("Prove that 2 is prime."))
                .reasoningEffort("high").build());

        assertThat(body.get("max_tokens").asInt()).isEqualTo(8000);
        assertThat(body.get("thinking").get("budget_tokens").asInt()).isEqualTo(7999);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"minimal effort on a reasoning model, sonnet, minimal",
            "high effort on a model without the reasoning capability, plain, high"})
    void noThinkingIsSentForMinimalEffortOrToModelsThatDoNotReason(String what, String model, String effort)
            throws Exception {
        JsonNode body = send("sonnet".equals(model) ? SONNET : PLAIN, ChatRequest.builder()
                .addMessage(Message.user("Prove that 2 is prime.")).reasoningEffort(effort).maxTokens(1000)
                .temperature(0.5).build());

        assertThat(body.has("thinking")).isFalse();
        assertThat(body.get("max_tokens").asInt()).isEqualTo(1000);
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.5);
        assertThat(body.has("reasoning_effort")).isFalse();
    }

    @Test
    void theRequestsOwnThinkingObjectIsSentAsItIs() throws Exception {
        JsonNode body = send(SONNET, ChatRequest.builder().addMessage(Message.user("Prove that 2 is prime."))
                .reasoningEffort("high") // what the router derives from the thinking object: the object wins
                .extra(Map.of("thinking", Map.of("type", "enabled", "budget_tokens", 2000L))).build());

        assertThat(body.get("thinking")).isEqualTo(tree("{\"type\": \"enabled\", \"budget_tokens\": 2000}"));
        assertThat(body.get("max_tokens").asInt()).isEqualTo(4096);
    }

    /** The option as a number, or as the text a {@code ${VAR}} in the configuration file gives. */
    @ParameterizedTest(name = "default_max_tokens {1} on {0} sends {2}")
    @CsvSource({"sonnet, 1000, 1000", "plain, 8192, 4096", "sonnet, text 1000, 1000"})
    void theDefaultMaxTokensOptionIsSentWhenTheRequestSetsNoneCappedByTheModelsLimit(String model, String option,
                                                                                   int expected) throws Exception {
        Upstream.answer(wm, fixture("responses/text.json"));
        Object value = option.startsWith("text ") ? option.substring(5) : (Object) Long.valueOf(option);
        Provider provider = provider(Upstream.spec(wm.baseUrl()).option("default_max_tokens", value));

        await(provider.chat(call("sonnet".equals(model) ? SONNET : PLAIN,
                ChatRequest.builder().addMessage(Message.user("Hi")).build())));

        assertThat(sent().get("max_tokens").asInt()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "on {0}")
    @CsvSource({"sonnet", "plain"})
    void cacheControlIsForwardedToPromptCacheModelsAndRemovedForOthers(String model) throws Exception {
        boolean caches = "sonnet".equals(model);
        CacheControl hour = new CacheControl("ephemeral", "1h");
        Map<String, Object> toolExtra = Map.of("cache_control", Map.of("type", "ephemeral"));
        ChatRequest request = ChatRequest.builder()
                .addMessage(new Message(Role.SYSTEM, dev.chatrouter.api.chat.Content.of(List.of(
                        new ContentPart.Text("You analyse novels.", null, Map.of()),
                        new ContentPart.Text("<the full text of Pride and Prejudice>", hour, Map.of()))),
                        null, null, null, null, Map.of()))
                .addMessage(Message.user(List.of(
                        new ContentPart.Image("https://example.com/cover.png", null, CacheControl.ephemeral(),
                                Map.of()),
                        new ContentPart.Text("What are the major themes?", CacheControl.ephemeral(), Map.of()))))
                .tools(List.of(new Tool("function", Tool.function("lookup", null, weatherSchema()).function(),
                        toolExtra)))
                .build();

        JsonNode body = send(caches ? SONNET : PLAIN, request);

        String bookmark = caches ? ", \"cache_control\": {\"type\": \"ephemeral\", \"ttl\": \"1h\"}" : "";
        String ephemeral = caches ? ", \"cache_control\": {\"type\": \"ephemeral\"}" : "";
        assertThat(body.get("system")).isEqualTo(tree("""
                [{"type": "text", "text": "You analyse novels."},
                 {"type": "text", "text": "<the full text of Pride and Prejudice>"%s}]""".formatted(bookmark)));
        assertThat(body.get("messages")).isEqualTo(tree("""
                [{"role": "user", "content": [
                  {"type": "image", "source": {"type": "url", "url": "https://example.com/cover.png"}%s},
                  {"type": "text", "text": "What are the major themes?"%s}]}]""".formatted(ephemeral, ephemeral)));
        assertThat(body.get("tools").get(0).has("cache_control")).isEqualTo(caches);
    }

    @Test
    void cacheReadsAndWritesAreCountedAsPromptTokensAndDetailed() throws Exception {
        Upstream.answer(wm, fixture("responses/prompt-cache-hit.json"));

        ChatResponse response = await(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("What are the major themes?")).build())));

        Usage usage = response.usage();
        assertThat(usage.promptTokens()).isEqualTo(21 + 188 + 187_364);
        assertThat(usage.completionTokens()).isEqualTo(393);
        assertThat(usage.totalTokens()).isEqualTo(21 + 188 + 187_364 + 393);
        assertThat(usage.cachedTokens()).isEqualTo(187_364);
        assertThat(usage.cacheWriteTokens()).isEqualTo(188);
    }

    @Test
    void thinkingBlocksComeBackAsReasoningContentBesideTheText() throws Exception {
        Upstream.answer(wm, fixture("responses/thinking.json"));

        ChatResponse response = await(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("Analyse this.")).reasoningEffort("medium").build())));

        Message message = response.choices().get(0).message();
        assertThat(message.text()).isEqualTo("Based on my analysis...");
        assertThat(message.extra()).containsExactly(Map.entry("reasoning_content",
                "Let me analyze this step by step..."));
    }

    @ParameterizedTest(name = "stop_reason {0} is finish_reason {1}")
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "max_tokens, length", "tool_use, tool_calls",
            "refusal, content_filter"})
    void stopReasonsMapToFinishReasons(String stopReason, String finishReason) throws Exception {
        Upstream.answer(wm, fixture("responses/text.json")
                .replace("\"stop_reason\": \"end_turn\"", "\"stop_reason\": \"" + stopReason + "\""));

        ChatResponse response = await(provider().chat(call(SONNET, ChatRequest.builder()
                .addMessage(Message.user("Hi")).build())));

        assertThat(response.choices().get(0).finishReason()).isEqualTo(finishReason);
    }

    @Test
    void embeddingsAreNotOffered() throws Exception {
        ProviderException e = failure(provider().embed(new EmbeddingCall("req-1", SONNET,
                EmbeddingRequest.of("claude-sonnet-4-5", "Hello"), null)));

        assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"base_url, ftp://api.anthropic.com", "default_max_tokens, 0", "default_max_tokens, lots"})
    void aProviderEntryThePluginCannotUseIsRejectedNamingTheField(String field, String value) {
        ProviderSpec.Builder spec = ProviderSpec.builder("claude", "anthropic").apiKey(API_KEY).model(SONNET);
        if ("base_url".equals(field)) {
            spec.baseUrl(value);
        } else {
            spec.option(field, value.chars().allMatch(Character::isDigit) ? (Object) Long.valueOf(value) : value);
        }

        assertThatThrownBy(() -> new AnthropicProviderFactory().create(spec.build(), context))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(field + ": ")
                .hasMessageContaining(value);
    }
}
