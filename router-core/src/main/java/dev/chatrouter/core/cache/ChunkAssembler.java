package dev.chatrouter.core.cache;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.FunctionCall;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.Usage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Assembles a stream's chunks into the response a plain call would have given (for the response cache), and
 * turns a response back into the chunks of a stream (to replay a cached answer). Besides text, refusals and tool
 * calls, it keeps the system fingerprint, each choice's log probabilities (their lists joined in order), the
 * delta's other fields (text ones such as {@code reasoning_content} joined, others as last sent) and the choice's,
 * and the chunk's own other fields as last sent ({@code service_tier}, OpenRouter's {@code provider}), which the
 * replay puts on every chunk again. OpenAI's {@code obfuscation} is not kept: it is random padding, different on
 * each chunk, that only hides the chunk's length.
 */
public final class ChunkAssembler {

    private static final class ChoiceState {
        Role role = Role.ASSISTANT;
        final StringBuilder content = new StringBuilder();
        boolean hasContent;
        final StringBuilder refusal = new StringBuilder();
        String finishReason;
        final TreeMap<Integer, String[]> tools = new TreeMap<>(); // index -> id, name, arguments
        final Map<String, Object> extra = new LinkedHashMap<>();
        final Map<String, Object> choiceExtra = new LinkedHashMap<>();
        Object logprobs;
    }

    private static final String SERVICE_TIER = "service_tier";
    private static final String OBFUSCATION = "obfuscation";

    private final TreeMap<Integer, ChoiceState> choices = new TreeMap<>();
    private String id;
    private String model;
    private long created;
    private String systemFingerprint;
    private String serviceTier;
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private Usage usage;

    public void add(ChatChunk chunk) {
        if (id == null) {
            id = chunk.id();
            model = chunk.model();
            created = chunk.created();
        }
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (chunk.systemFingerprint() != null) {
            systemFingerprint = chunk.systemFingerprint();
        }
        chunk.extra().forEach((key, value) -> {
            if (SERVICE_TIER.equals(key) && (value == null || value instanceof String)) {
                serviceTier = (String) value;
            } else if (!OBFUSCATION.equals(key)) {
                extra.put(key, value);
            }
        });
        for (ChunkChoice c : chunk.choices()) {
            ChoiceState state = choices.computeIfAbsent(c.index(), i -> new ChoiceState());
            Delta delta = c.delta();
            if (delta != null) {
                if (delta.role() != null) {
                    state.role = delta.role();
                }
                if (delta.content() != null) {
                    state.content.append(delta.content());
                    state.hasContent = true;
                }
                if (delta.refusal() != null) {
                    state.refusal.append(delta.refusal());
                }
                // text sent in pieces (reasoning_content) is joined; lists and maps as joined() says
                delta.extra().forEach((key, piece) -> {
                    Object before = state.extra.get(key);
                    state.extra.put(key, before instanceof String a && piece instanceof String b ? a + b
                            : joined(before, piece));
                });
                if (delta.toolCalls() != null) {
                    for (ToolCall call : delta.toolCalls()) {
                        int index = call.index() == null ? state.tools.size() : call.index();
                        String[] t = state.tools.computeIfAbsent(index, i -> new String[]{null, null, ""});
                        if (call.id() != null) {
                            t[0] = call.id();
                        }
                        if (call.function() != null) {
                            if (call.function().name() != null) {
                                t[1] = call.function().name();
                            }
                            if (call.function().arguments() != null) {
                                t[2] = t[2] + call.function().arguments();
                            }
                        }
                    }
                }
            }
            if (c.finishReason() != null) {
                state.finishReason = c.finishReason();
            }
            if (c.logprobs() != null) {
                state.logprobs = joined(state.logprobs, c.logprobs());
            }
            state.choiceExtra.putAll(c.extra());
        }
    }

    /**
     * A value sent in pieces: lists joined in order (log probabilities' {@code content}), maps key by key, anything
     * else as last sent.
     */
    private static Object joined(Object before, Object piece) {
        if (before instanceof List<?> first && piece instanceof List<?> second) {
            List<Object> both = new ArrayList<>(first);
            both.addAll(second);
            return both;
        }
        if (before instanceof Map<?, ?> a && piece instanceof Map<?, ?> b) {
            Map<Object, Object> out = new LinkedHashMap<>(a);
            b.forEach((key, value) -> out.put(key, joined(out.get(key), value)));
            return out;
        }
        return piece == null ? before : piece;
    }

    /** The assembled response. */
    public ChatResponse response() {
        List<Choice> list = new ArrayList<>();
        choices.forEach((index, s) -> {
            List<ToolCall> calls = null;
            if (!s.tools.isEmpty()) {
                calls = new ArrayList<>();
                for (String[] t : s.tools.values()) {
                    calls.add(new ToolCall(null, t[0], "function", new FunctionCall(t[1], t[2]), Map.of()));
                }
            }
            Message message = new Message(s.role, s.hasContent || calls == null ? Content.of(s.content.toString())
                    : null, null, calls, null, s.refusal.length() == 0 ? null : s.refusal.toString(), s.extra);
            list.add(new Choice(index, message, s.finishReason, s.logprobs, s.choiceExtra));
        });
        return new ChatResponse(id, "chat.completion", created, model, list, usage, systemFingerprint, serviceTier,
                extra);
    }

    /**
     * The chunks that stream a response: per choice, the role and content (with the message's other fields and the
     * log probabilities), each tool call, and the finish reason (with the choice's other fields); then a usage
     * chunk when {@code includeUsage}.
     */
    public static List<ChatChunk> chunks(ChatResponse response, boolean includeUsage) {
        Map<String, Object> extra = chunkExtra(response);
        List<ChatChunk> out = new ArrayList<>();
        for (Choice choice : response.choices()) {
            Message m = choice.message();
            String text = m.content() == null ? null : m.content().text();
            out.add(chunk(response, extra, new ChunkChoice(choice.index(),
                    new Delta(Role.ASSISTANT, text == null ? "" : text, null, m.refusal(), m.extra()), null,
                    choice.logprobs(), Map.of())));
            if (m.toolCalls() != null) {
                for (int i = 0; i < m.toolCalls().size(); i++) {
                    ToolCall call = m.toolCalls().get(i);
                    out.add(chunk(response, extra, new ChunkChoice(choice.index(), new Delta(null, null,
                            List.of(new ToolCall(i, call.id(), "function", call.function(), Map.of())), null,
                            Map.of()), null, null, Map.of())));
                }
            }
            out.add(chunk(response, extra, new ChunkChoice(choice.index(), new Delta(null, null, null, null, Map.of()),
                    choice.finishReason(), null, choice.extra())));
        }
        if (includeUsage && response.usage() != null) {
            out.add(new ChatChunk(response.id(), "chat.completion.chunk", response.created(), response.model(),
                    List.of(), response.usage(), response.systemFingerprint(), extra));
        }
        return out;
    }

    private static ChatChunk chunk(ChatResponse response, Map<String, Object> extra, ChunkChoice choice) {
        return new ChatChunk(response.id(), "chat.completion.chunk", response.created(), response.model(),
                List.of(choice), null, response.systemFingerprint(), extra);
    }

    /** The response's own other fields, and its service tier, as a chunk carries them. */
    private static Map<String, Object> chunkExtra(ChatResponse response) {
        if (response.serviceTier() == null) {
            return response.extra();
        }
        Map<String, Object> extra = new LinkedHashMap<>(response.extra());
        extra.put(SERVICE_TIER, response.serviceTier());
        return extra;
    }
}
