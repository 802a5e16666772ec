package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Chat Completions request. Optional fields are {@code null} when absent; fields the model does not name are
 * kept in {@code extra} and passed through untouched.
 *
 * @param model the model id: the intent to route
 * @param messages the conversation
 * @param tools the tools the model may call, or {@code null}
 * @param toolChoice {@code tool_choice}, or {@code null}
 * @param parallelToolCalls {@code parallel_tool_calls}, or {@code null}
 * @param responseFormat {@code response_format}, or {@code null}
 * @param stream {@code stream}, or {@code null}
 * @param streamOptions {@code stream_options}, or {@code null}
 * @param temperature {@code temperature}, or {@code null}
 * @param topP {@code top_p}, or {@code null}
 * @param maxTokens {@code max_tokens}, or {@code null}
 * @param maxCompletionTokens {@code max_completion_tokens}, or {@code null}
 * @param n {@code n}, or {@code null}
 * @param stop {@code stop}, or {@code null}
 * @param seed {@code seed}, or {@code null}
 * @param presencePenalty {@code presence_penalty}, or {@code null}
 * @param frequencyPenalty {@code frequency_penalty}, or {@code null}
 * @param logprobs {@code logprobs}, or {@code null}
 * @param topLogprobs {@code top_logprobs}, or {@code null}
 * @param user {@code user}, or {@code null}
 * @param metadata {@code metadata}, or {@code null}
 * @param reasoningEffort {@code reasoning_effort}, or {@code null}
 * @param extra every other field, passed through untouched to OpenAI-compatible upstreams
 * @param nativeRequest the request as the client sent it on a provider-native surface, for providers that speak
 *                      that surface upstream; {@code null} for a request that has no native form
 */
public record ChatRequest(String model,
                          List<Message> messages,
                          List<Tool> tools,
                          ToolChoice toolChoice,
                          Boolean parallelToolCalls,
                          ResponseFormat responseFormat,
                          Boolean stream,
                          StreamOptions streamOptions,
                          Double temperature,
                          Double topP,
                          Integer maxTokens,
                          Integer maxCompletionTokens,
                          Integer n,
                          Stop stop,
                          Long seed,
                          Double presencePenalty,
                          Double frequencyPenalty,
                          Boolean logprobs,
                          Integer topLogprobs,
                          String user,
                          Map<String, Object> metadata,
                          String reasoningEffort,
                          Map<String, Object> extra,
                          NativeRequest nativeRequest) {

    public ChatRequest {
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
        tools = tools == null ? null : List.copyOf(tools);
        metadata = metadata == null ? null : Extras.copy(metadata);
        extra = Extras.copy(extra);
    }

    /** A builder with no fields set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this request's fields, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.model = model;
        b.messages = messages;
        b.tools = tools;
        b.toolChoice = toolChoice;
        b.parallelToolCalls = parallelToolCalls;
        b.responseFormat = responseFormat;
        b.stream = stream;
        b.streamOptions = streamOptions;
        b.temperature = temperature;
        b.topP = topP;
        b.maxTokens = maxTokens;
        b.maxCompletionTokens = maxCompletionTokens;
        b.n = n;
        b.stop = stop;
        b.seed = seed;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.logprobs = logprobs;
        b.topLogprobs = topLogprobs;
        b.user = user;
        b.metadata = metadata;
        b.reasoningEffort = reasoningEffort;
        b.extra = extra;
        b.nativeRequest = nativeRequest;
        return b;
    }

    /** True when {@code stream} is true. */
    public boolean isStream() {
        return Boolean.TRUE.equals(stream);
    }

    /** The output limit the caller asked for: {@code max_completion_tokens}, else {@code max_tokens}, else null. */
    public Integer outputLimit() {
        return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
    }

    /** Builds a {@link ChatRequest}. */
    public static final class Builder {
        private String model;
        private List<Message> messages = new java.util.ArrayList<>();
        private List<Tool> tools;
        private ToolChoice toolChoice;
        private Boolean parallelToolCalls;
        private ResponseFormat responseFormat;
        private Boolean stream;
        private StreamOptions streamOptions;
        private Double temperature;
        private Double topP;
        private Integer maxTokens;
        private Integer maxCompletionTokens;
        private Integer n;
        private Stop stop;
        private Long seed;
        private Double presencePenalty;
        private Double frequencyPenalty;
        private Boolean logprobs;
        private Integer topLogprobs;
        private String user;
        private Map<String, Object> metadata;
        private String reasoningEffort;
        private Map<String, Object> extra = Map.of();
        private NativeRequest nativeRequest;

        private Builder() {
        }

        public Builder model(String model) {
            this.model = model;
            return this;
        }

        public Builder messages(List<Message> messages) {
            this.messages = new java.util.ArrayList<>(messages);
            return this;
        }

        public Builder addMessage(Message message) {
            if (!(this.messages instanceof java.util.ArrayList)) {
                this.messages = new java.util.ArrayList<>(this.messages);
            }
            this.messages.add(message);
            return this;
        }

        public Builder tools(List<Tool> tools) {
            this.tools = tools;
            return this;
        }

        public Builder toolChoice(ToolChoice toolChoice) {
            this.toolChoice = toolChoice;
            return this;
        }

        public Builder parallelToolCalls(Boolean parallelToolCalls) {
            this.parallelToolCalls = parallelToolCalls;
            return this;
        }

        public Builder responseFormat(ResponseFormat responseFormat) {
            this.responseFormat = responseFormat;
            return this;
        }

        public Builder stream(Boolean stream) {
            this.stream = stream;
            return this;
        }

        public Builder streamOptions(StreamOptions streamOptions) {
            this.streamOptions = streamOptions;
            return this;
        }

        public Builder temperature(Double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topP(Double topP) {
            this.topP = topP;
            return this;
        }

        public Builder maxTokens(Integer maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder maxCompletionTokens(Integer maxCompletionTokens) {
            this.maxCompletionTokens = maxCompletionTokens;
            return this;
        }

        public Builder n(Integer n) {
            this.n = n;
            return this;
        }

        public Builder stop(Stop stop) {
            this.stop = stop;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder presencePenalty(Double presencePenalty) {
            this.presencePenalty = presencePenalty;
            return this;
        }

        public Builder frequencyPenalty(Double frequencyPenalty) {
            this.frequencyPenalty = frequencyPenalty;
            return this;
        }

        public Builder logprobs(Boolean logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        public Builder topLogprobs(Integer topLogprobs) {
            this.topLogprobs = topLogprobs;
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder metadata(Map<String, Object> metadata) {
            this.metadata = metadata;
            return this;
        }

        public Builder reasoningEffort(String reasoningEffort) {
            this.reasoningEffort = reasoningEffort;
            return this;
        }

        public Builder extra(Map<String, Object> extra) {
            this.extra = extra;
            return this;
        }

        /** The request as the client sent it on a provider-native surface, or {@code null}. */
        public Builder nativeRequest(NativeRequest nativeRequest) {
            this.nativeRequest = nativeRequest;
            return this;
        }

        public ChatRequest build() {
            return new ChatRequest(model, messages, tools, toolChoice, parallelToolCalls, responseFormat, stream, streamOptions, temperature, topP, maxTokens, maxCompletionTokens, n, stop, seed, presencePenalty, frequencyPenalty, logprobs, topLogprobs, user, metadata, reasoningEffort, extra, nativeRequest);
        }
    }
}
