package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Stop;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.kit.wire.Json;
import dev.chatrouter.kit.wire.WireCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.http.surface.Fields.map;
import static dev.chatrouter.http.surface.Fields.string;
import static dev.chatrouter.http.surface.Fields.unsupported;

/**
 * The legacy Completions surface ({@code POST /completions}): the prompt becomes one user message of a chat
 * request, each chat choice a {@code text_completion} choice. One prompt per request (a list of one string is
 * taken; a longer list, token arrays, {@code echo}, {@code suffix}, {@code logprobs} and {@code best_of} above 1
 * are refused with 400 naming the field). {@code n} is passed on, so {@code n} choices come back.
 */
public final class TextCompletions {

    private TextCompletions() {
    }

    /**
     * Reads a Completions request.
     *
     * @throws dev.chatrouter.api.ChatRouterException of an invalid-request code naming the field
     */
    public static ChatRequest readRequest(byte[] body) {
        Map<String, Object> in = Fields.body(body);
        ChatRequest.Builder b = ChatRequest.builder().model(string(in, "model", "model", true));
        b.addMessage(Message.user(prompt(in.get("prompt"))));
        if (Boolean.TRUE.equals(Fields.bool(in, "echo", "echo"))) {
            throw unsupported("echo", "the router answers with the completion only; send echo false or leave it out");
        }
        Object suffix = in.get("suffix");
        if (suffix != null && !"".equals(suffix)) {
            throw unsupported("suffix", "insertion (text after the completion) has no chat equivalent");
        }
        Integer logprobs = Fields.integer(in, "logprobs", "logprobs", false, 0);
        if (logprobs != null && logprobs > 0) {
            throw unsupported("logprobs", "the legacy token log probabilities are not translated");
        }
        Integer bestOf = Fields.integer(in, "best_of", "best_of", false, 1);
        if (bestOf != null && bestOf > 1) {
            throw unsupported("best_of", "use n instead");
        }
        b.maxTokens(Fields.integer(in, "max_tokens", "max_tokens", false, 1));
        b.temperature(Fields.number(in, "temperature", "temperature"));
        b.topP(Fields.number(in, "top_p", "top_p"));
        b.n(Fields.integer(in, "n", "n", false, 1));
        b.presencePenalty(Fields.number(in, "presence_penalty", "presence_penalty"));
        b.frequencyPenalty(Fields.number(in, "frequency_penalty", "frequency_penalty"));
        b.seed(Fields.longInteger(in, "seed", "seed"));
        b.user(string(in, "user", "user", false));
        Object stop = in.get("stop");
        if (stop instanceof String s) {
            b.stop(Stop.of(s));
        } else if (stop != null) {
            b.stop(Stop.of(Fields.strings(stop, "stop")));
        }
        if (in.get("logit_bias") != null) {
            b.extra(Map.of("logit_bias", Fields.object(in.get("logit_bias"), "logit_bias")));
        }
        if (Boolean.TRUE.equals(Fields.bool(in, "stream", "stream"))) {
            Boolean usage = null;
            if (in.get("stream_options") != null) {
                usage = Fields.bool(Fields.object(in.get("stream_options"), "stream_options"), "include_usage",
                        "stream_options.include_usage");
            }
            b.stream(true).streamOptions(new StreamOptions(usage, Map.of()));
        }
        return b.build();
    }

    private static String prompt(Object prompt) {
        if (prompt == null) {
            throw Fields.missing("prompt");
        }
        if (prompt instanceof String s) {
            return s;
        }
        List<?> list = Fields.list(prompt, "prompt");
        if (list.size() != 1) {
            throw unsupported("prompt", "send one prompt per request (a string, or a list of one string); got "
                    + list.size());
        }
        if (!(list.get(0) instanceof String s)) {
            throw unsupported("prompt[0]", "token arrays are not accepted; send the prompt as text");
        }
        return s;
    }

    /** The {@code text_completion} for a chat answer. */
    public static byte[] writeResponse(ChatResponse response) {
        List<Object> choices = new ArrayList<>();
        for (Choice choice : response.choices()) {
            choices.add(map("text", choice.message().text(), "index", choice.index(), "logprobs", null,
                    "finish_reason", choice.finishReason() == null ? "stop" : finish(choice.finishReason())));
        }
        Map<String, Object> out = head(response.id(), response.created(), response.model(), choices);
        if (response.usage() != null) {
            out.put("usage", usage(response.usage()));
        }
        return Json.write(out);
    }

    private static Map<String, Object> head(String id, long created, String model, List<Object> choices) {
        return map("id", id != null && id.startsWith("cmpl-") ? id : "cmpl-" + id, "object", "text_completion",
                "created", created, "model", model, "choices", choices);
    }

    /** The legacy finish reasons are stop and length; a tool call or a filter is a stop or content_filter. */
    private static String finish(String reason) {
        return "length".equals(reason) || "content_filter".equals(reason) ? reason : "stop";
    }

    private static Map<String, Object> usage(Usage usage) {
        Map<String, Object> out = map("prompt_tokens", usage.promptTokens(), "completion_tokens",
                usage.completionTokens(), "total_tokens", usage.totalTokens());
        if (usage.cost() != null) {
            out.put("cost", usage.cost());
        }
        return out;
    }

    /** {@code text_completion} chunks as {@code data:} lines, ending with {@code data: [DONE]}. */
    public static SseEncoder streamEncoder() {
        return new SseEncoder() {
            @Override
            public byte[] chunk(ChatChunk chunk) {
                List<Object> choices = new ArrayList<>();
                for (ChunkChoice choice : chunk.choices()) {
                    String text = choice.delta() == null || choice.delta().content() == null ? ""
                            : choice.delta().content();
                    if (text.isEmpty() && choice.finishReason() == null) {
                        continue;
                    }
                    choices.add(map("text", text, "index", choice.index(), "logprobs", null, "finish_reason",
                            choice.finishReason() == null ? null : finish(choice.finishReason())));
                }
                if (choices.isEmpty() && chunk.usage() == null) {
                    return new byte[0];
                }
                Map<String, Object> out = head(chunk.id(), chunk.created(), chunk.model(), choices);
                if (chunk.usage() != null) {
                    out.put("usage", usage(chunk.usage()));
                }
                return WireCodec.sseData(Json.write(out));
            }

            @Override
            public byte[] complete() {
                return WireCodec.SSE_DONE;
            }

            @Override
            public byte[] error(int status, byte[] envelope) {
                return WireCodec.sseData(envelope);
            }
        };
    }
}
