package dev.chatrouter.plugin.mock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.chatrouter.plugin.mock.Fixtures.await;
import static dev.chatrouter.plugin.mock.Fixtures.call;
import static dev.chatrouter.plugin.mock.Fixtures.failure;
import static dev.chatrouter.plugin.mock.Fixtures.parse;
import static dev.chatrouter.plugin.mock.Fixtures.provider;
import static dev.chatrouter.plugin.mock.Fixtures.request;
import static dev.chatrouter.plugin.mock.Fixtures.schema;
import static org.assertj.core.api.Assertions.assertThat;

class MockChatTest {

    static final Map<String, Object> ORDER_SCHEMA = schema("""
            {"type": "object",
             "properties": {
               "customer": {"type": "object",
                            "properties": {"name": {"type": "string"},
                                           "email": {"type": "string", "format": "email"},
                                           "vip": {"type": "boolean"},
                                           "note": {"type": "string"}},
                            "required": ["name", "email", "vip"]},
               "items": {"type": "array", "minItems": 1,
                         "items": {"type": "object",
                                   "properties": {"sku": {"type": "string"},
                                                  "quantity": {"type": "integer", "minimum": 1},
                                                  "price": {"type": "number", "exclusiveMinimum": 0}},
                                   "required": ["sku", "quantity", "price"]}},
               "delivery": {"type": "string", "format": "date"},
               "priority": {"enum": ["low", "high"]},
               "gift": {"anyOf": [{"type": "null"}, {"type": "string", "minLength": 10}]},
               "source": {"const": "web"},
               "comment": {"type": ["string", "null"]},
               "internal": {"type": "string"}
             },
             "required": ["customer", "items", "delivery", "priority", "gift", "source", "comment"]}
            """);

    final Provider mock = provider();

    @Test
    void answersTheLastUserMessageWithAFixedShape() throws Exception {
        ChatRequest request = ChatRequest.builder().model("echo")
                .addMessage(Message.user("first question"))
                .addMessage(Message.assistant("first answer"))
                .addMessage(Message.user("What is the capital of France?")).build();

        ChatResponse response = await(mock.chat(call(request)));

        assertThat(response.text()).isEqualTo("Mock reply to: What is the capital of France?");
        assertThat(response.id()).matches("mock-[0-9a-f]{24}");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.created()).isEqualTo(Fixtures.NOW.getEpochSecond());
        assertThat(response.model()).isEqualTo("echo");
        assertThat(response.choices()).singleElement().satisfies(choice -> {
            assertThat(choice.index()).isZero();
            assertThat(choice.finishReason()).isEqualTo("stop");
            assertThat(choice.message().role().wireName()).isEqualTo("assistant");
            assertThat(choice.message().toolCalls()).isNull();
        });
    }

    @Test
    void theSameRequestGetsTheSameAnswerAndAnotherRequestAnotherId() throws Exception {
        ChatResponse first = await(mock.chat(call(request("hi").build())));
        ChatResponse again = await(provider().chat(call(request("hi").build())));
        ChatResponse other = await(mock.chat(call(request("hello").build())));

        assertThat(again).isEqualTo(first);
        assertThat(other.id()).isNotEqualTo(first.id());
    }

    @Test
    void quotesOnlyTheFirst200CharactersAndHonoursAFixedReply() throws Exception {
        String longText = "x".repeat(500);

        assertThat(await(mock.chat(call(request(longText).build()))).text())
                .isEqualTo("Mock reply to: " + "x".repeat(200));
        assertThat(await(provider("reply", "Fixed.").chat(call(request(longText).build()))).text())
                .isEqualTo("Fixed.");
    }

    @Test
    void nTwoGivesTwoIndexedChoicesAndCountsCompletionTokensForEach() throws Exception {
        ChatResponse response = await(mock.chat(call(request("abcd").n(2).build())));

        assertThat(response.choices()).extracting(Choice::index).containsExactly(0, 1);
        assertThat(response.choices()).allSatisfy(choice -> {
            assertThat(choice.message().text()).isEqualTo("Mock reply to: abcd");
            assertThat(choice.finishReason()).isEqualTo("stop");
        });
        // "Mock reply to: abcd" is 19 characters: 5 tokens per choice.
        assertThat(response.usage()).isEqualTo(Usage.of(1, 10));
    }

    @Test
    void usageEstimatesFourCharactersPerTokenOverMessagesAndTools() throws Exception {
        Tool tool = Tool.function("f", null, Map.of("type", "object"));
        ChatRequest request = ChatRequest.builder().model("echo")
                .addMessage(Message.system("12345"))           // 5 characters
                .addMessage(Message.user("123456"))            // 6 characters
                .tools(List.of(tool)).toolChoice(ToolChoice.none()).build();
        String toolJson = "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":null,"
                + "\"parameters\":{\"type\":\"object\"}}}";

        Usage usage = await(mock.chat(call(request))).usage();

        assertThat(usage.promptTokens()).isEqualTo((11 + toolJson.length() + 3) / 4);
        assertThat(usage.completionTokens()).isEqualTo(("Mock reply to: 123456".length() + 3) / 4);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
    }

    @Test
    void anOutputLimitBelowTheReplyCutsItToFitWithFinishReasonLength() throws Exception {
        ChatResponse limited = await(mock.chat(call(request("tell me everything").maxTokens(3).build())));
        ChatResponse roomy = await(mock.chat(call(request("tell me everything").maxCompletionTokens(100).build())));

        assertThat(limited.text()).isEqualTo("Mock reply t");
        assertThat(limited.choices().get(0).finishReason()).isEqualTo("length");
        assertThat(limited.usage().completionTokens()).isEqualTo(3);
        assertThat(roomy.text()).isEqualTo("Mock reply to: tell me everything");
        assertThat(roomy.choices().get(0).finishReason()).isEqualTo("stop");
    }

    @Test
    void withToolsCallsTheFirstToolWithArgumentsThatFitANestedSchema() throws Exception {
        ChatRequest request = request("order a gift").tools(List.of(
                Tool.function("place_order", "Places an order", ORDER_SCHEMA),
                Tool.function("cancel_order", null, Map.of("type", "object")))).build();

        ChatResponse response = await(mock.chat(call(request)));

        Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().content()).isNull();
        ToolCall toolCall = choice.message().toolCalls().get(0);
        assertThat(toolCall.id()).isEqualTo("call_mock_0");
        assertThat(toolCall.type()).isEqualTo("function");
        assertThat(toolCall.function().name()).isEqualTo("place_order");
        JsonNode arguments = parse(toolCall.function().arguments());
        assertThat(SchemaCheck.errors(arguments, ORDER_SCHEMA)).isEmpty();
        assertThat(arguments.get("customer").get("name").isTextual()).isTrue();
        assertThat(arguments.get("customer").get("email").textValue()).contains("@");
        assertThat(arguments.get("customer").get("vip").isBoolean()).isTrue();
        assertThat(arguments.get("items").get(0).get("quantity").isIntegralNumber()).isTrue();
        assertThat(arguments.get("items").get(0).get("price").isNumber()).isTrue();
        assertThat(arguments.get("delivery").textValue()).isEqualTo("2024-01-01");
        assertThat(arguments.get("priority").textValue()).isEqualTo("low");
        assertThat(arguments.get("gift").textValue()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(arguments.get("source").textValue()).isEqualTo("web");
        assertThat(arguments.get("comment").isTextual()).isTrue();
        assertThat(arguments.has("internal")).as("not required").isFalse();
        assertThat(arguments.get("customer").has("note")).as("not required").isFalse();
    }

    @Test
    void aNamedToolChoiceCallsThatFunction() throws Exception {
        ChatRequest request = request("cancel it").tools(List.of(
                        Tool.function("place_order", null, ORDER_SCHEMA),
                        Tool.function("cancel_order", null, schema("""
                                {"type": "object", "properties": {"order_id": {"type": "string"},
                                                                  "reason": {"type": "string"}}}"""))))
                .toolChoice(ToolChoice.function("cancel_order")).build();

        ToolCall toolCall = await(mock.chat(call(request))).choices().get(0).message().toolCalls().get(0);

        assertThat(toolCall.function().name()).isEqualTo("cancel_order");
        assertThat(parse(toolCall.function().arguments()))
                .as("every property when there is no required list")
                .isEqualTo(parse("{\"order_id\":\"mock\",\"reason\":\"mock\"}"));
    }

    @Test
    void aToolChoiceNamingAnAbsentFunctionIsABadRequest() throws Exception {
        ChatRequest request = request("x").tools(List.of(Tool.function("a", null, null)))
                .toolChoice(ToolChoice.function("b")).build();

        assertThat(failure(mock.chat(call(request)))).isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).contains("'b'");
        });
    }

    @Test
    void toolChoiceNoneAnswersWithText() throws Exception {
        ChatRequest request = request("hi").tools(List.of(Tool.function("a", null, null)))
                .toolChoice(ToolChoice.none()).build();

        ChatResponse response = await(mock.chat(call(request)));

        assertThat(response.text()).isEqualTo("Mock reply to: hi");
        assertThat(response.choices().get(0).finishReason()).isEqualTo("stop");
    }

    @Test
    void afterAToolResultAnswersWithTextSoThatToolUseEnds() throws Exception {
        ChatRequest request = ChatRequest.builder().model("echo")
                .addMessage(Message.user("weather in Paris?"))
                .addMessage(Message.assistantToolCalls(List.of(
                        ToolCall.function("call_mock_0", "get_weather", "{\"city\":\"Paris\"}"))))
                .addMessage(Message.tool("call_mock_0", "22 C and sunny"))
                .tools(List.of(Tool.function("get_weather", null, Map.of("type", "object"))))
                .toolChoice(ToolChoice.required()).build();

        ChatResponse response = await(mock.chat(call(request)));

        assertThat(response.text()).isEqualTo("Mock reply using tool result: 22 C and sunny");
        assertThat(response.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(response.choices().get(0).message().toolCalls()).isNull();
    }

    @Test
    void jsonSchemaAnswersWithJsonThatFitsTheSchema() throws Exception {
        ChatRequest request = request("make up an order")
                .responseFormat(ResponseFormat.jsonSchema("order", ORDER_SCHEMA)).build();

        ChatResponse response = await(mock.chat(call(request)));

        assertThat(SchemaCheck.errors(parse(response.text()), ORDER_SCHEMA)).isEmpty();
        assertThat(response.choices().get(0).finishReason()).isEqualTo("stop");
    }

    @Test
    void jsonObjectAnswersWithTheReplyInAJsonObject() throws Exception {
        ChatRequest request = request("say \"hi\"").responseFormat(ResponseFormat.jsonObject()).build();

        JsonNode reply = parse(await(mock.chat(call(request))).text());

        assertThat(reply).isEqualTo(Fixtures.JSON.createObjectNode().put("reply", "Mock reply to: say \"hi\""));
    }

    @Test
    void nOrAnOutputLimitBelowOneIsABadRequest() throws Exception {
        assertThat(failure(mock.chat(call(request("x").n(0).build()))))
                .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(failure(mock.chat(call(request("x").maxTokens(0).build()))))
                .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(400));
    }
}
