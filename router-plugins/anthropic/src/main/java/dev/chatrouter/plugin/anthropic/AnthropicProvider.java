package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.kit.upstream.Stages;
import dev.chatrouter.kit.upstream.UpstreamClient;
import dev.chatrouter.kit.wire.Json;

import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/** Anthropic's Messages API: {@code POST {base_url}/v1/messages}, whole or streamed. Embeddings are not offered. */
final class AnthropicProvider implements Provider {

    static final String API_VERSION = "2023-06-01";

    private final UpstreamClient client;
    private final Clock clock;
    private final String messagesUrl;
    private final Map<String, String> jsonHeaders;
    private final Map<String, String> streamHeaders;
    private final int defaultMaxTokens;

    AnthropicProvider(ProviderSpec spec, ProviderContext context, String baseUrl, int defaultMaxTokens) {
        this.client = UpstreamClient.create(spec, context, AnthropicFailures.classifier(context.clock()));
        this.clock = context.clock();
        this.messagesUrl = baseUrl + "/v1/messages";
        this.defaultMaxTokens = defaultMaxTokens;
        this.jsonHeaders = headers(spec, "application/json");
        this.streamHeaders = headers(spec, "text/event-stream");
    }

    /** x-api-key, anthropic-version and content-type; the provider's headers (anthropic-beta...) win over them. */
    private static Map<String, String> headers(ProviderSpec spec, String accept) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("accept", accept);
        headers.put("anthropic-version", API_VERSION);
        if (spec.apiKey() != null && !spec.apiKey().isEmpty()) {
            headers.put("x-api-key", spec.apiKey());
        }
        spec.headers().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
        return Collections.unmodifiableMap(headers);
    }

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        MessagesRequest.Translated translated;
        try {
            translated = translate(call, false);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        return Stages.decode(client.post(messagesUrl, jsonHeaders, Json.write(translated.body()), call.deadline()),
                response -> MessagesResponse.read(response.body(), translated.answerTool(), clock));
    }

    @Override
    public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
        MessagesRequest.Translated translated;
        try {
            translated = translate(call, true);
        } catch (ProviderException e) {
            return subscriber -> {
                subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                    }
                });
                subscriber.onError(e);
            };
        }
        return client.postStream(messagesUrl, streamHeaders, Json.write(translated.body()), call.deadline(),
                new MessageStreamDecoder(translated.answerTool(), clock));
    }

    private MessagesRequest.Translated translate(ProviderCall call, boolean stream) {
        try {
            return MessagesRequest.translate(call.request(), call.model(), defaultMaxTokens, stream);
        } catch (ProviderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ProviderException(FailureKind.BAD_REQUEST,
                    "the request cannot be expressed in the Messages API: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
