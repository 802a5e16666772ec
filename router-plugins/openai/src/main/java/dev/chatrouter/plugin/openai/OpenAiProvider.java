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
import dev.chatrouter.kit.upstream.HttpFailures;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/** An OpenAI-compatible upstream. */
final class OpenAiProvider implements Provider {

    private final UpstreamClient client;
    private final String chatUrl;
    private final String embeddingsUrl;
    private final Map<String, String> jsonHeaders;
    private final Map<String, String> streamHeaders;
    private final String maxTokensField;
    private final boolean streamUsage;

    OpenAiProvider(ProviderSpec spec, ProviderContext context, String baseUrl, String maxTokensField,
                   boolean streamUsage) {
        this.client = UpstreamClient.create(spec, context, HttpFailures.openAi(context.clock()));
        this.chatUrl = baseUrl + "/chat/completions";
        this.embeddingsUrl = baseUrl + "/embeddings";
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

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        ChatRequest request = outputLimit(call.request().toBuilder()).stream(null).streamOptions(null).build();
        return Stages.decode(client.post(chatUrl, jsonHeaders, WireCodec.writeChatRequest(request), call.deadline()),
                response -> WireCodec.readChatResponse(response.body()));
    }

    @Override
    public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
        ChatRequest.Builder builder = outputLimit(call.request().toBuilder()).stream(true);
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

    /** Sends the caller's output limit in the field this upstream takes. */
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
