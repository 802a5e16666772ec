package dev.chatrouter.kit.wire;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Malformed client requests fail with the right code and name the field at fault. */
class StrictReadTest {

    private static final String MSGS = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static ChatRouterException chatError(String json) {
        return catchThrowableOfType(ChatRouterException.class,
                () -> WireCodec.readChatRequest(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static ChatRouterException embeddingError(String json) {
        return catchThrowableOfType(ChatRouterException.class,
                () -> WireCodec.readEmbeddingRequest(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertError(ChatRouterException e, ErrorCode code, String param) {
        assertThat(e).as("an exception").isNotNull();
        assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
        assertThat(e.param().orElse(null)).as(e.getMessage()).isEqualTo(param);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"model":"m",                         | truncated
            {"model":"m"} trailing                | content after the object
            [1,2]                                 | not an object
            ''                                    | empty
            {"model":'m'}                         | single quotes
            """)
    void invalidJson(String json, String why) {
        ChatRouterException e = chatError(json);
        assertError(e, ErrorCode.INVALID_JSON, null);
        assertThat(e.getMessage()).startsWith("the body ").doesNotContain("Source").doesNotContain("`")
                .doesNotContain("Feature");
    }

    @Test
    void documentsOverJacksonsLimitsAreInvalidJsonAndMessagesDoNotEchoTheBody() {
        String deep = "{\"model\":\"m\",\"x\":" + "[".repeat(2000) + "]".repeat(2000) + "}";
        assertError(chatError(deep), ErrorCode.INVALID_JSON, null);
        ChatRouterException e = chatError("{\"model\":\"sk-secret-key\" oops}");
        assertError(e, ErrorCode.INVALID_JSON, null);
        assertThat(e.getMessage()).doesNotContain("sk-secret-key");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"messages":[{"role":"user","content":"hi"}]}                          | model
            {"model":null,"messages":[{"role":"user","content":"hi"}]}             | model
            {"model":"m"}                                                          | messages
            {"model":"m","messages":[{"content":"hi"}]}                            | messages[0].role
            {"model":"m","messages":[{"role":"user","content":"a"},{"role":"user"}]} | messages[1].content
            {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"user","content":[{"type":"text"}]}]} | messages[1].content[0].text
            {"model":"m","messages":[{"role":"user","content":[{"text":"a"}]}]}    | messages[0].content[0].type
            {"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"detail":"low"}}]}]} | messages[0].content[0].image_url.url
            {"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"format":"wav"}}]}]} | messages[0].content[0].input_audio.data
            {"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"description":"d"}}]} | tools[0].function.name
            {"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]} | tools[0].function
            {"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"function","function":{}}} | tool_choice.function.name
            {"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema"}} | response_format.json_schema
            {"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}} | response_format.json_schema.name
            {"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{}} | response_format.type
            """)
    void missingParameter(String json, String param) {
        assertError(chatError(json), ErrorCode.MISSING_PARAMETER, param);
    }

    @ParameterizedTest(name = "{1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            "temperature":"hot"                                     | temperature       | expected a number, found the string "hot"
            "top_p":true                                            | top_p             | expected a number, found true
            "max_tokens":1.5                                        | max_tokens        | expected an integer, found the number 1.5
            "max_tokens":"ten"                                      | max_tokens        | expected an integer, found the string "ten"
            "top_logprobs":"5"                                      | top_logprobs      | expected an integer, found the string "5"
            "max_tokens":4294967296                                 | max_tokens        | expected an integer of at most 32 bits
            "n":"2"                                                 | n                 | expected an integer
            "stream":"yes"                                          | stream            | expected a boolean
            "seed":1e40                                             | seed              | expected an integer
            "stop":5                                                | stop              | expected a string or an array of strings, found the number 5
            "stop":["a",7]                                          | stop[1]           | expected a string, found the number 7
            "tool_choice":"sometimes"                               | tool_choice       | found the string "sometimes"
            "tool_choice":{"type":"tool","name":"f"}                | tool_choice       | found an object
            "tool_choice":3                                         | tool_choice       | found the number 3
            "tools":{"type":"function"}                             | tools             | expected an array of tools, found an object
            "tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}] | tools[0].function.parameters | expected a JSON Schema object
            "response_format":"json"                                | response_format   | expected an object, found the string "json"
            "stream_options":{"include_usage":1}                    | stream_options.include_usage | expected a boolean
            "metadata":[]                                           | metadata          | expected an object, found an array
            "model":""                                              | model             | found the empty string
            "user":42                                               | user              | expected a string, found the number 42
            """)
    void invalidTopLevelParameter(String field, String param, String message) {
        String json = "{\"model\":\"m\"," + MSGS + "," + field + "}";
        ChatRouterException e = chatError(json);
        assertError(e, ErrorCode.INVALID_PARAMETER, param);
        assertThat(e.getMessage()).contains(message);
    }

    @ParameterizedTest(name = "{1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            "hi"                                                     | messages          | expected an array of messages, found the string "hi"
            []                                                       | messages          | expected at least one message
            ["hi"]                                                   | messages[0]       | expected a message object
            [{"role":"robot","content":"x"}]                         | messages[0].role  | expected one of system, developer, user, assistant, tool, function, found the string "robot"
            [{"role":7,"content":"x"}]                               | messages[0].role  | expected a string
            [{"role":"user","content":12}]                           | messages[0].content | expected a string or an array of content parts, found the number 12
            [{"role":"user","content":{"type":"text"}}]              | messages[0].content | found an object
            [{"role":"user","content":null}]                         | messages[0].content | found null
            [{"role":"user","content":["hi"]}]                       | messages[0].content[0] | expected a content part object
            [{"role":"user","content":[{"type":"text","text":5}]}]   | messages[0].content[0].text | expected a string, found the number 5
            [{"role":"user","content":[{"type":5}]}]                 | messages[0].content[0].type | expected a string
            [{"role":"user","content":[{"type":"image_url","image_url":"http://x"}]}] | messages[0].content[0].image_url | expected an object
            [{"role":"user","content":[{"type":"text","text":"a","cache_control":"yes"}]}] | messages[0].content[0].cache_control | expected an object
            [{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]}] | messages[0].tool_calls[0].function.arguments | expected a string, found an object
            [{"role":"assistant","tool_calls":{}}]                  | messages[0].tool_calls | expected an array of tool calls
            """)
    void invalidMessage(String messages, String param, String message) {
        ChatRouterException e = chatError("{\"model\":\"m\",\"messages\":" + messages + "}");
        assertError(e, ErrorCode.INVALID_PARAMETER, param);
        assertThat(e.getMessage()).contains(message);
    }

    @Test
    void anAssistantMayOmitContent() {
        var request = WireCodec.readChatRequest(("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\","
                + "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(request.messages().get(0).content()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"input":"a"}                          | MISSING_PARAMETER | model  |
            {"model":"e"}                          | MISSING_PARAMETER | input  |
            {"model":"e","input":[1,2,3]}          | INVALID_PARAMETER | input  | token-array inputs are not supported
            {"model":"e","input":[[1,2],[3]]}      | INVALID_PARAMETER | input  | token-array inputs are not supported
            {"model":"e","input":["a",{}]}         | INVALID_PARAMETER | input[1] | expected a string, found an object
            {"model":"e","input":5}                | INVALID_PARAMETER | input  | expected a string or an array of strings
            {"model":"e","input":[]}               | INVALID_PARAMETER | input  | at least one text
            {"model":"e","input":"a","dimensions":"x"} | INVALID_PARAMETER | dimensions | expected an integer
            {"model":"e","input":"a"               | INVALID_JSON      |        |
            """)
    void embeddingRequestErrors(String json, ErrorCode code, String param, String message) {
        ChatRouterException e = embeddingError(json);
        assertError(e, code, param);
        if (message != null) {
            assertThat(e.getMessage()).contains(message);
        }
    }

    @Test
    void lenientReadersThrowIllegalArgumentException() {
        assertThatThrownBy(() -> WireCodec.readChatResponse("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("invalid JSON");
        assertThatThrownBy(() -> WireCodec.readChatChunk("{\"choices\":{}}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choices");
        assertThatThrownBy(() -> WireCodec.readEmbeddingResponse("{\"data\":[{\"embedding\":true}]}"
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data[0].embedding");
    }
}
