package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.StreamOptions;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.kit.upstream.HttpFailures;
import dev.chatrouter.kit.upstream.NativeCalls;
import dev.chatrouter.kit.upstream.SseDecoder;
import dev.chatrouter.kit.upstream.Stages;
import dev.chatrouter.kit.upstream.UpstreamClient;
import dev.chatrouter.kit.wire.SseEvent;
import dev.chatrouter.kit.wire.UpstreamError;
import dev.chatrouter.kit.wire.WireCodec;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * An OpenAI-compatible upstream. For a model with the {@code responses} capability, a request that came in on the
 * Responses surface ({@link NativeRequest.Surface#RESPONSES}) goes to {@code POST {base_url}/responses} as the
 * client sent it (only {@code model} and {@code stream} set, its {@code OpenAI-Beta} header forwarded) and comes
 * back as it is beside its translation; its input tokens are counted by {@code POST {base_url}/responses/input_tokens}.
 */
final class OpenAiProvider implements Provider {

    private final UpstreamClient client;
    private final String chatUrl;
    private final String embeddingsUrl;
    private final String responsesUrl;
    private final String inputTokensUrl;
    private final java.time.Clock clock;
    private final Map<String, String> jsonHeaders;
    private final Map<String, String> streamHeaders;
    private final String maxTokensField;
    private final boolean streamUsage;

    OpenAiProvider(ProviderSpec spec, ProviderContext context, String baseUrl, String maxTokensField,
                   boolean streamUsage) {
        this.client = UpstreamClient.create(spec, context, HttpFailures.openAi(context.clock()));
        this.chatUrl = baseUrl + "/chat/completions";
        this.embeddingsUrl = baseUrl + "/embeddings";
        this.responsesUrl = baseUrl + "/responses";
        this.inputTokensUrl = baseUrl + "/responses/input_tokens";
        this.clock = context.clock();
        this.maxTokensField = maxTokensField;
        this.streamUsage = streamUsage;
        this.jsonHeaders = headers(spec, "application/json");
        this.streamHeaders = headers(spec, "text/event-stream");
    }

    private static Map<String, String> headers(ProviderSpec spec, String accept) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("accept", accept);
        if (spec.apiKey() != null && !spec.apiKey().isEmpty()) {
            headers.put("authorization", "Bearer " + spec.apiKey());
        }
        headers.putAll(spec.headers());
        return Collections.unmodifiableMap(headers);
    }

    /** The Responses body the client sent, when the call has one and the model serves the Responses API. */
    private static NativeRequest responsesBody(ProviderCall call) {
        NativeRequest asSent = call.request().nativeRequest();
        return asSent != null && asSent.surface() == NativeRequest.Surface.RESPONSES
                && call.model().has(Capability.RESPONSES) ? asSent : null;
    }

    /** The provider's headers and the client's {@code OpenAI-Beta}, unless the provider configured its own. */
    private static Map<String, String> forwarded(Map<String, String> base, NativeRequest asSent) {
        String beta = asSent.header("openai-beta");
        boolean configured = base.keySet().stream().anyMatch("openai-beta"::equalsIgnoreCase);
        if (beta == null || configured) {
            return base;
        }
        Map<String, String> headers = new LinkedHashMap<>(base);
        headers.put("openai-beta", beta);
        return headers;
    }

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        NativeRequest asSent = responsesBody(call);
        if (asSent != null) {
            return NativeCalls.chat(client, responsesUrl, forwarded(jsonHeaders, asSent), asSent, call,
                    body -> ResponsesWire.read(body, clock));
        }
        ChatRequest request = upstream(call.request()).stream(null).streamOptions(null).build();
        return Stages.decode(client.post(chatUrl, jsonHeaders, WireCodec.writeChatRequest(request), call.deadline()),
                response -> WireCodec.readChatResponse(response.body()));
    }

    @Override
    public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
        NativeRequest asSent = responsesBody(call);
        if (asSent != null) {
            return NativeCalls.stream(client, responsesUrl, forwarded(streamHeaders, asSent), asSent, call,
                    new ResponsesWire.StreamDecoder(clock));
        }
        ChatRequest.Builder builder = upstream(call.request()).stream(true);
        if (streamUsage) {
            StreamOptions options = call.request().streamOptions();
            builder.streamOptions(new StreamOptions(true, options == null ? Map.of() : options.extra()));
        } else {
            builder.streamOptions(null); // the server rejects stream_options; the router counts usage itself
        }
        return client.postStream(chatUrl, streamHeaders, WireCodec.writeChatRequest(builder.build()), call.deadline(),
                new ChunkDecoder());
    }

    @Override
    public CompletionStage<EmbeddingResponse> embed(EmbeddingCall call) {
        return Stages.decode(client.post(embeddingsUrl, jsonHeaders, WireCodec.writeEmbeddingRequest(call.request()),
                call.deadline()), response -> WireCodec.readEmbeddingResponse(response.body()));
    }

    /**
     * {@code POST /responses/input_tokens} with the client's body (the target's model in it), for a Responses request
     * to a model with the {@code responses} capability; answers {@code {"object":"response.input_tokens",
     * "input_tokens":N}}.
     */
    @Override
    public CompletionStage<OptionalLong> countTokens(ProviderCall call) {
        NativeRequest asSent = responsesBody(call);
        if (asSent == null) {
            return CompletableFuture.completedFuture(OptionalLong.empty());
        }
        return NativeCalls.count(client, inputTokensUrl, forwarded(jsonHeaders, asSent), asSent, call);
    }

    /** Sends the caller's output limit in the field this upstream takes. */
    /** The request as Chat Completions takes it: tool results' media moved ({@link ToolResultMedia}), the output limit. */
    private ChatRequest.Builder upstream(ChatRequest request) {
        return outputLimit(request.toBuilder().messages(ToolResultMedia.inUserMessages(request.messages())));
    }

    private ChatRequest.Builder outputLimit(ChatRequest.Builder builder) {
        ChatRequest request = builder.build();
        Integer limit = request.outputLimit();
        if (limit == null) {
            return builder;
        }
        if ("max_tokens".equals(maxTokensField)) {
            return builder.maxTokens(limit).maxCompletionTokens(null);
        }
        return builder.maxCompletionTokens(limit).maxTokens(null);
    }

    @Override
    public void close() {
        client.close();
    }

    /** OpenAI's stream: one chunk per {@code data:} line, {@code [DONE]} at the end, errors as error objects. */
    static final class ChunkDecoder implements SseDecoder<ChatChunk> {
        @Override
        public boolean decode(SseEvent event, Consumer<ChatChunk> emit) {
            String data = event.data();
            if (data == null || data.isBlank()) {
                return false;
            }
            if ("[DONE]".equals(data.strip())) {
                return true;
            }
            ChatChunk chunk;
            try {
                chunk = WireCodec.readChatChunk(data);
            } catch (RuntimeException e) {
                throw new ProviderException(FailureKind.SERVER, "malformed stream event from upstream: "
                        + e.getMessage(), e);
            }
            if (chunk.extra().containsKey("error")) {
                UpstreamError error = WireCodec.readError(data.getBytes(StandardCharsets.UTF_8));
                String message = error == null || error.message() == null ? "upstream sent an error event"
                        : error.message();
                FailureKind kind = error == null ? FailureKind.SERVER : HttpFailures.kindOfStreamError(error);
                throw new ProviderException(kind, 0, message, error == null ? null : error.type(),
                        error == null ? null : error.code(), null, null);
            }
            emit.accept(chunk);
            return false;
        }
    }
}
