package dev.chatrouter.kit.wire;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.kit.wire.JsonTrees.assertSameJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** A field the records do not name survives a round trip at every level, in the extra map of that level. */
class UnknownFieldsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String REQUEST = """
            {"model":"m","x_request":1,
             "messages":[
               {"role":"system","content":"s","x_message":{"a":[1,2.5,null]}},
               {"role":"user","content":[
                 {"type":"text","text":"t","x_text":true,"cache_control":{"type":"ephemeral","ttl":"1h"}},
                 {"type":"image_url","image_url":{"url":"u","detail":"low","x_image_url":"i"},"x_image":3},
                 {"type":"input_audio","input_audio":{"data":"d","format":"wav"},"x_audio":null},
                 {"type":"file","file":{"file_id":"f"},"x_file":"f"},
                 {"type":"document","source":{"type":"base64","data":"x"},"cache_control":{"type":"ephemeral"}}
               ]},
               {"role":"assistant","content":null,"refusal":null,"reasoning_content":"r",
                "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"},"x_call":0}]},
               {"role":"tool","tool_call_id":"c","content":"ok"}
             ],
             "tools":[{"type":"function","x_tool":"t",
                       "function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true,"x_fn":1}},
                      {"type":"web_search","web_search":{"max":2}}],
             "tool_choice":"auto",
             "response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"},"x_schema":"s"}},
             "stream":true,"stream_options":{"include_usage":true,"x_opts":false},
             "seed":12345678901234,"top_k":40,"big":123456789012345678901234567890,"precise":0.1000000000000000055511151231257827,
             "temperature":null}
            """;

    @Test
    void requestKeepsUnknownFieldsAtEveryLevel() {
        ChatRequest q = WireCodec.readChatRequest(utf8(REQUEST));
        assertThat(q.extra()).containsKeys("x_request", "top_k", "big", "precise", "temperature");
        assertThat(q.extra().get("top_k")).isEqualTo(40L);
        assertThat(q.extra().get("big")).isInstanceOf(java.math.BigInteger.class);
        assertThat(q.extra().get("precise")).isInstanceOf(java.math.BigDecimal.class);
        assertThat(q.temperature()).isNull();
        assertThat(q.messages().get(0).extra()).containsKey("x_message");
        List<ContentPart> parts = ((Content.Parts) q.messages().get(1).content()).parts();
        assertThat(parts.get(0)).isInstanceOf(ContentPart.Text.class);
        assertThat(parts.get(0).extra()).containsOnlyKeys("x_text");
        assertThat(parts.get(0).cacheControl().ttl()).isEqualTo("1h");
        assertThat(((ContentPart.Image) parts.get(1)).imageExtra()).containsOnly(entry("x_image_url", "i"));
        assertThat(parts.get(1).extra()).containsOnly(entry("x_image", 3L));
        assertThat(parts.get(2)).isInstanceOf(ContentPart.Audio.class);
        assertThat(parts.get(2).extra()).containsEntry("x_audio", null);
        assertThat(parts.get(3)).isInstanceOf(ContentPart.File.class);
        assertThat(parts.get(4)).isInstanceOf(ContentPart.Other.class);
        assertThat(parts.get(4).type()).isEqualTo("document");
        assertThat(parts.get(4).cacheControl()).isNotNull();
        assertThat(parts.get(4).extra()).containsOnlyKeys("source");
        Message assistant = q.messages().get(2);
        assertThat(assistant.content()).isNull();
        assertThat(assistant.extra()).containsKeys("content", "refusal", "reasoning_content");
        assertThat(assistant.toolCalls().get(0).extra()).containsOnlyKeys("x_call");
        assertThat(q.tools().get(0).extra()).containsOnlyKeys("x_tool");
        assertThat(q.tools().get(0).function().extra()).containsOnlyKeys("x_fn");
        assertThat(q.tools().get(1).function()).isNull();
        assertThat(q.tools().get(1).extra()).containsOnlyKeys("web_search");
        assertThat(q.responseFormat().jsonSchema().extra()).containsOnlyKeys("x_schema");
        assertThat(q.streamOptions().extra()).containsOnlyKeys("x_opts");

        assertSameJson(WireCodec.writeChatRequest(q), utf8(REQUEST));
    }

    @Test
    void integersStayIntegralAndExtrasKeepTheirOrder() {
        byte[] written = WireCodec.writeChatRequest(WireCodec.readChatRequest(utf8(REQUEST)));
        String text = new String(written, StandardCharsets.UTF_8);
        assertThat(text).contains("\"top_k\":40,").contains("\"seed\":12345678901234")
                .contains("\"big\":123456789012345678901234567890")
                .contains("\"precise\":0.1000000000000000055511151231257827");
        assertThat(text.indexOf("\"x_request\"")).isLessThan(text.indexOf("\"top_k\""));
        assertThat(text.indexOf("\"model\"")).isLessThan(text.indexOf("\"messages\""));
    }

    @Test
    void shapesTheRecordsCannotHoldAreKeptRaw() {
        String json = """
                {"model":"m","messages":[{"role":"user","content":[
                   {"type":"input_audio","input_audio":{"data":"d","format":"wav","x":1}},
                   {"type":"file","file":{"file_id":"f","filename":null}}]}],
                 "response_format":{"type":"json_object","schema":{"type":"object"}},
                 "tool_choice":{"type":"function","function":{"name":"f"},"x":1}}
                """;
        ChatRequest q = WireCodec.readChatRequest(utf8(json));
        List<ContentPart> parts = ((Content.Parts) q.messages().get(0).content()).parts();
        assertThat(parts).allMatch(p -> p instanceof ContentPart.Other);
        assertThat(q.responseFormat()).isNull();
        assertThat(q.toolChoice()).isNull();
        assertThat(q.extra()).containsKeys("response_format", "tool_choice");
        assertSameJson(WireCodec.writeChatRequest(q), utf8(json));
    }

    @Test
    void aValueSetOnTheRecordWinsOverAKeptNull() {
        ChatRequest q = WireCodec.readChatRequest(utf8(REQUEST)).toBuilder().temperature(0.5).build();
        String text = new String(WireCodec.writeChatRequest(q), StandardCharsets.UTF_8);
        assertThat(text).contains("\"temperature\":0.5").doesNotContain("\"temperature\":null");
    }

    @Test
    void responseKeepsUnknownFieldsAtEveryLevel() {
        String json = """
                {"id":"r","object":"chat.completion","created":1,"model":"m","x_response":{"k":"v"},
                 "choices":[{"index":0,"x_choice":1,"finish_reason":"stop","logprobs":{"content":[{"token":"a","logprob":-0.5}]},
                   "message":{"role":"assistant","content":"hi","annotations":[],"x_message":null,
                     "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"},"x_call":1}]}}],
                 "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"x_usage":1,"cost":0.25,
                   "prompt_tokens_details":{"cached_tokens":1,"audio_tokens":0},
                   "completion_tokens_details":{"reasoning_tokens":1,"accepted_prediction_tokens":0}},
                 "service_tier":"default","system_fingerprint":"fp"}
                """;
        ChatResponse r = WireCodec.readChatResponse(utf8(json));
        assertThat(r.extra()).containsOnlyKeys("x_response");
        assertThat(r.choices().get(0).extra()).containsOnlyKeys("x_choice");
        assertThat(r.choices().get(0).message().extra()).containsOnlyKeys("annotations", "x_message");
        assertThat(r.choices().get(0).message().toolCalls().get(0).extra()).containsOnlyKeys("x_call");
        assertThat(r.usage().extra()).containsOnlyKeys("x_usage");
        assertThat(r.usage().cost()).isEqualTo(0.25);
        assertThat(r.usage().promptTokensDetails().extra()).containsOnlyKeys("audio_tokens");
        assertThat(r.usage().completionTokensDetails().extra()).containsOnlyKeys("accepted_prediction_tokens");
        assertThat(r.choices().get(0).logprobs()).isInstanceOf(Map.class);
        assertSameJson(WireCodec.writeChatResponse(r), utf8(json));
    }

    @Test
    void chunkKeepsUnknownFieldsAtEveryLevel() {
        String json = """
                {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","x_chunk":1,"service_tier":"flex",
                 "choices":[{"index":0,"x_choice":2,"logprobs":null,"finish_reason":null,
                   "delta":{"role":"assistant","content":null,"reasoning_content":"think","x_delta":[1],
                     "tool_calls":[{"index":0,"function":{"arguments":"{"},"x_call":true}]}}],
                 "usage":null}
                """;
        ChatChunk c = WireCodec.readChatChunk(json);
        assertThat(c.extra()).containsOnlyKeys("x_chunk", "service_tier", "usage");
        assertThat(c.choices().get(0).extra()).containsOnlyKeys("x_choice", "logprobs", "finish_reason");
        assertThat(c.choices().get(0).delta().extra()).containsOnlyKeys("content", "reasoning_content", "x_delta");
        ToolCall call = c.choices().get(0).delta().toolCalls().get(0);
        assertThat(call.index()).isZero();
        assertThat(call.function().name()).isNull();
        assertThat(call.extra()).containsOnlyKeys("x_call");
        assertSameJson(WireCodec.writeChatChunk(c), utf8(json));
    }

    @Test
    void toolCallArgumentsAsAnObjectAreKeptRawInAnUpstreamAnswer() {
        String json = """
                {"id":"r","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",
                 "message":{"role":"assistant","content":"","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]}}]}
                """;
        ChatResponse r = WireCodec.readChatResponse(utf8(json));
        ToolCall call = r.choices().get(0).message().toolCalls().get(0);
        assertThat(call.function()).isNull();
        assertThat(call.extra()).containsKey("function");
        assertSameJson(WireCodec.writeChatResponse(r), utf8(json));
    }

    @Test
    void embeddingsKeepUnknownFieldsAtEveryLevel() {
        String request = """
                {"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":8,"user":"u","x_req":{"a":null}}
                """;
        EmbeddingRequest q = WireCodec.readEmbeddingRequest(utf8(request));
        assertThat(q.singleInput()).isFalse();
        assertThat(q.extra()).containsOnlyKeys("x_req");
        assertSameJson(WireCodec.writeEmbeddingRequest(q), utf8(request));

        String response = """
                {"object":"list","x_resp":1,"model":"e","usage":{"prompt_tokens":2,"total_tokens":2,"x_usage":0},
                 "data":[{"object":"embedding","index":0,"embedding":"AAAAAA==","x_item":1},
                         {"object":"embedding","index":1,"embedding":[0.5,-1,3.25e-7]}]}
                """;
        EmbeddingResponse r = WireCodec.readEmbeddingResponse(utf8(response));
        assertThat(r.extra()).containsOnlyKeys("x_resp");
        assertThat(r.data().get(0).base64()).isEqualTo("AAAAAA==");
        assertThat(r.data().get(0).extra()).containsOnlyKeys("object", "x_item");
        assertThat(r.data().get(1).vector()).containsExactly(0.5, -1.0, 3.25e-7);
        assertThat(r.usage().extra()).containsOnlyKeys("x_usage");
        assertSameJson(WireCodec.writeEmbeddingResponse(r), utf8(response));
    }

    @Test
    void upstreamAnswersMissingTheEnvelopeTakeDefaults() {
        ChatResponse r = WireCodec.readChatResponse(utf8("{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}"));
        assertThat(r.id()).isNull();
        assertThat(r.object()).isEqualTo("chat.completion");
        assertThat(r.created()).isZero();
        assertThat(r.choices().get(0).index()).isZero();
        assertThat(r.text()).isEqualTo("hi");
        ChatChunk c = WireCodec.readChatChunk("{\"choices\":[]}");
        assertThat(c.object()).isEqualTo("chat.completion.chunk");
        assertThat(c.choices()).isEmpty();
    }
}
