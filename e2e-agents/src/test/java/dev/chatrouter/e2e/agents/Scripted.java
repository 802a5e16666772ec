package dev.chatrouter.e2e.agents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

/**
 * The scripted model: a two-turn conversation in the protocol each upstream speaks. The first call (no tool result
 * in the request yet) answers with a call of the agent's shell tool running {@code command}; the call that carries
 * the tool result answers with {@code finalText}. Which turn a request is in is told by its body, not by a counter,
 * so a retry or an extra call cannot shift the script.
 */
final class Scripted {

    static final ObjectMapper JSON = new ObjectMapper();

    private Scripted() {
    }

    // ---- Anthropic Messages (what Claude Code speaks) ----

    /** {@code POST /v1/messages} (Claude Code adds {@code ?beta=true}) and {@code POST /v1/messages/count_tokens}. */
    static void anthropicMessages(WireMockServer wm, String command, String finalText) {
        catchAll(wm);
        wm.stubFor(post(urlPathEqualTo("/v1/messages/count_tokens")).atPriority(1)
                .willReturn(json("{\"input_tokens\":1234}")));
        wm.stubFor(post(urlPathEqualTo("/v1/messages")).atPriority(2)
                .withRequestBody(matchingJsonPath("$.messages[*].content[?(@.type == 'tool_result')]"))
                .willReturn(sse(anthropicText(finalText))));
        wm.stubFor(post(urlPathEqualTo("/v1/messages")).atPriority(3)
                .willReturn(sse(anthropicToolUse("Bash", Map.of("command", command,
                        "description", "Write the e2e marker")))));
    }

    static String anthropicToolUse(String tool, Map<String, Object> input) {
        List<Object[]> events = new ArrayList<>();
        events.add(messageStart("msg_e2e_tool"));
        events.add(ev("content_block_start", Map.of("type", "content_block_start", "index", 0,
                "content_block", Map.of("type", "tool_use", "id", "toolu_e2e_1", "name", tool, "input", Map.of()))));
        events.add(ev("content_block_delta", Map.of("type", "content_block_delta", "index", 0,
                "delta", Map.of("type", "input_json_delta", "partial_json", write(input)))));
        events.add(ev("content_block_stop", Map.of("type", "content_block_stop", "index", 0)));
        events.addAll(messageEnd("tool_use"));
        return sseBody(events, false);
    }

    static String anthropicText(String text) {
        List<Object[]> events = new ArrayList<>();
        events.add(messageStart("msg_e2e_final"));
        events.add(ev("content_block_start", Map.of("type", "content_block_start", "index", 0,
                "content_block", Map.of("type", "text", "text", ""))));
        events.add(ev("content_block_delta", Map.of("type", "content_block_delta", "index", 0,
                "delta", Map.of("type", "text_delta", "text", text))));
        events.add(ev("content_block_stop", Map.of("type", "content_block_stop", "index", 0)));
        events.addAll(messageEnd("end_turn"));
        return sseBody(events, false);
    }

    private static Object[] messageStart(String id) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("id", id);
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", "scripted-model");
        message.put("content", List.of());
        message.put("stop_reason", null);
        message.put("stop_sequence", null);
        message.put("usage", Map.of("input_tokens", 100, "output_tokens", 1));
        return ev("message_start", Map.of("type", "message_start", "message", message));
    }

    private static List<Object[]> messageEnd(String stopReason) {
        Map<String, Object> delta = new LinkedHashMap<>();
        delta.put("stop_reason", stopReason);
        delta.put("stop_sequence", null);
        return List.of(ev("message_delta", Map.of("type", "message_delta", "delta", delta,
                        "usage", Map.of("output_tokens", 20))),
                ev("message_stop", Map.of("type", "message_stop")));
    }

    // ---- OpenAI Responses (what the Codex CLI speaks) ----

    /** {@code POST /v1/responses}, streamed: Codex always asks with {@code stream: true}. */
    static void responses(WireMockServer wm, String command, String finalText) {
        catchAll(wm);
        wm.stubFor(post(urlPathEqualTo("/v1/responses")).atPriority(2)
                .withRequestBody(matchingJsonPath("$.input[?(@.type == 'function_call_output')]"))
                .willReturn(sse(responsesOutput(Map.of("type", "message", "id", "msg_e2e_final", "role", "assistant",
                        "status", "completed", "content", List.of(Map.of("type", "output_text", "text", finalText,
                                "annotations", List.of())))))));
        wm.stubFor(post(urlPathEqualTo("/v1/responses")).atPriority(3)
                .willReturn(sse(responsesOutput(Map.of("type", "function_call", "id", "fc_e2e_1",
                        "call_id", "call_e2e_1", "name", "exec_command", "status", "completed",
                        "arguments", write(Map.of("cmd", command)))))));
    }

    static String responsesOutput(Map<String, Object> item) {
        Map<String, Object> inProgress = new LinkedHashMap<>(item);
        inProgress.put("status", "in_progress");
        List<Object[]> events = List.of(
                ev("response.created", Map.of("type", "response.created", "sequence_number", 0,
                        "response", response("in_progress", List.of()))),
                ev("response.output_item.added", Map.of("type", "response.output_item.added", "sequence_number", 1,
                        "output_index", 0, "item", inProgress)),
                ev("response.output_item.done", Map.of("type", "response.output_item.done", "sequence_number", 2,
                        "output_index", 0, "item", item)),
                ev("response.completed", Map.of("type", "response.completed", "sequence_number", 3,
                        "response", response("completed", List.of(item)))));
        return sseBody(events, false);
    }

    private static Map<String, Object> response(String status, List<Object> output) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", "resp_e2e");
        r.put("object", "response");
        r.put("created_at", 1_750_000_000);
        r.put("status", status);
        r.put("model", "scripted-model");
        r.put("output", output);
        r.put("usage", "completed".equals(status) ? Map.of("input_tokens", 100,
                "input_tokens_details", Map.of("cached_tokens", 0), "output_tokens", 20,
                "output_tokens_details", Map.of("reasoning_tokens", 0), "total_tokens", 120) : null);
        return r;
    }

    // ---- OpenAI Chat Completions (the upstream behind the router) ----

    /**
     * {@code POST /v1/chat/completions}: the first call answers with a call of {@code tool} (the agent's shell tool,
     * as the router hands it upstream) with {@code arguments}, the call carrying a {@code role: tool} message answers
     * with {@code finalText}; streamed when the request says {@code stream: true}, one JSON body otherwise.
     */
    static void chatCompletions(WireMockServer wm, String tool, Map<String, Object> arguments, String finalText) {
        catchAll(wm);
        String toolResult = "$.messages[?(@.role == 'tool')]";
        Map<String, Object> call = Map.of("id", "call_e2e_1", "type", "function",
                "function", Map.of("name", tool, "arguments", write(arguments)));
        for (boolean stream : new boolean[] {true, false}) {
            MappingBuilder last = post(urlPathEqualTo("/v1/chat/completions")).atPriority(2)
                    .withRequestBody(matchingJsonPath(toolResult))
                    .withRequestBody(matchingJsonPath("$.stream", equalTo(Boolean.toString(stream))));
            MappingBuilder first = post(urlPathEqualTo("/v1/chat/completions")).atPriority(stream ? 3 : 4)
                    .withRequestBody(matchingJsonPath("$.stream", equalTo(Boolean.toString(stream))));
            if (stream) {
                wm.stubFor(last.willReturn(sse(chatStream(Map.of("role", "assistant", "content", finalText), "stop"))));
                wm.stubFor(first.willReturn(sse(chatStream(Map.of("role", "assistant",
                        "tool_calls", List.of(withIndex(call))), "tool_calls"))));
            } else {
                wm.stubFor(last.willReturn(json(chatJson(Map.of("role", "assistant", "content", finalText), "stop"))));
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("role", "assistant");
                message.put("content", null);
                message.put("tool_calls", List.of(call));
                wm.stubFor(first.willReturn(json(chatJson(message, "tool_calls"))));
            }
        }
        // no "stream" field at all is the same as false
        wm.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(5)
                .withRequestBody(matchingJsonPath(toolResult))
                .willReturn(json(chatJson(Map.of("role", "assistant", "content", finalText), "stop"))));
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "assistant");
        message.put("content", null);
        message.put("tool_calls", List.of(call));
        wm.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(6)
                .willReturn(json(chatJson(message, "tool_calls"))));
    }

    private static Map<String, Object> withIndex(Map<String, Object> call) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", 0);
        m.putAll(call);
        return m;
    }

    static String chatStream(Map<String, Object> delta, String finishReason) {
        List<Object[]> events = new ArrayList<>();
        events.add(ev(null, chunk(Map.of("role", "assistant", "content", ""), null)));
        Map<String, Object> rest = new LinkedHashMap<>(delta);
        rest.remove("role");
        events.add(ev(null, chunk(rest, null)));
        events.add(ev(null, chunk(Map.of(), finishReason)));
        Map<String, Object> usage = chunkBase();
        usage.put("choices", List.of());
        usage.put("usage", Map.of("prompt_tokens", 100, "completion_tokens", 20, "total_tokens", 120));
        events.add(ev(null, usage));
        return sseBody(events, true);
    }

    private static Map<String, Object> chunk(Map<String, Object> delta, String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finishReason);
        Map<String, Object> c = chunkBase();
        c.put("choices", List.of(choice));
        return c;
    }

    private static Map<String, Object> chunkBase() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", "chatcmpl-e2e");
        c.put("object", "chat.completion.chunk");
        c.put("created", 1_750_000_000);
        c.put("model", "up-model");
        return c;
    }

    static String chatJson(Map<String, Object> message, String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", message);
        choice.put("finish_reason", finishReason);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", "chatcmpl-e2e");
        body.put("object", "chat.completion");
        body.put("created", 1_750_000_000);
        body.put("model", "up-model");
        body.put("choices", List.of(choice));
        body.put("usage", Map.of("prompt_tokens", 100, "completion_tokens", 20, "total_tokens", 120));
        return write(body);
    }

    // ---- shared ----

    /** Anything unscripted is a 404 that says so, and stays in the journal for the test to report. */
    private static void catchAll(WireMockServer wm) {
        wm.stubFor(any(urlPathMatching(".*")).atPriority(100).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"type\":\"not_found_error\",\"message\":\"not scripted in the e2e test\"}}")));
    }

    private static Object[] ev(String event, Object data) {
        return new Object[] {event, data};
    }

    private static String sseBody(List<Object[]> events, boolean done) {
        StringBuilder sb = new StringBuilder();
        for (Object[] e : events) {
            if (e[0] != null) {
                sb.append("event: ").append(e[0]).append('\n');
            }
            sb.append("data: ").append(write(e[1])).append("\n\n");
        }
        if (done) {
            sb.append("data: [DONE]\n\n");
        }
        return sb.toString();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                .withHeader("Cache-Control", "no-cache").withBody(body);
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }

    static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
