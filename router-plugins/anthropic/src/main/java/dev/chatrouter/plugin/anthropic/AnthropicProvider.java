package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.chat.NativeAnswer;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.kit.upstream.NativeCalls;
import dev.chatrouter.kit.upstream.Stages;
import dev.chatrouter.kit.upstream.UpstreamClient;
import dev.chatrouter.kit.wire.Json;

import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Anthropic's Messages API: {@code POST {base_url}/v1/messages}, whole or streamed. Embeddings are not offered.
 *
 * <p>A request that came in on the Messages surface ({@link NativeRequest.Surface#MESSAGES}) goes upstream as the
 * client sent it, with only {@code model} (and {@code stream}) set, less the thinking Anthropic would refuse back
 * ({@link ThinkingReplay}), and with the client's {@code anthropic-version} and
 * {@code anthropic-beta} headers; the answer comes back as it is ({@link NativeAnswer}) beside its translation, from
 * which the router reads content and usage. Its input tokens are counted by {@code POST {base_url}/v1/messages/
 * count_tokens}.
 */
final class AnthropicProvider implements Provider {

    static final String API_VERSION = "2023-06-01";

    private final UpstreamClient client;
    private final Clock clock;
    private final String messagesUrl;
    private final String countUrl;
    private final Map<String, String> jsonHeaders;
    private final Map<String, String> streamHeaders;
    private final int defaultMaxTokens;

    AnthropicProvider(ProviderSpec spec, ProviderContext context, String baseUrl, int defaultMaxTokens) {
        this.client = UpstreamClient.create(spec, context, AnthropicFailures.classifier(context.clock()));
        this.clock = context.clock();
        this.messagesUrl = baseUrl + "/v1/messages";
        this.countUrl = baseUrl + "/v1/messages/count_tokens";
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

    /**
     * The Messages body the client sent, when the call has one, less the thinking Anthropic would refuse back
     * ({@link ThinkingReplay}).
     */
    private static NativeRequest messagesBody(ProviderCall call) {
        NativeRequest native_ = call.request().nativeRequest();
        return native_ != null && native_.surface() == NativeRequest.Surface.MESSAGES
                ? ThinkingReplay.replayable(native_) : null;
    }

    /**
     * The headers of a native call: the provider's, with the client's {@code anthropic-version} in place of the
     * default one and its {@code anthropic-beta} features added to those the provider configured.
     */
    static Map<String, String> forwarded(Map<String, String> base, NativeRequest request) {
        Map<String, String> headers = new LinkedHashMap<>(base);
        String version = request.header("anthropic-version");
        if (version != null) {
            headers.put("anthropic-version", version);
        }
        String beta = request.header("anthropic-beta");
        if (beta != null) {
            String configured = base.get("anthropic-beta");
            headers.put("anthropic-beta", configured == null || configured.isBlank() ? beta : configured + "," + beta);
        }
        return headers;
    }

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        NativeRequest asSent = messagesBody(call);
        if (asSent != null) {
            return NativeCalls.chat(client, messagesUrl, forwarded(jsonHeaders, asSent), asSent, call,
                    body -> MessagesResponse.read(body, null, clock));
        }
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
        NativeRequest asSent = messagesBody(call);
        if (asSent != null) {
            return NativeCalls.stream(client, messagesUrl, forwarded(streamHeaders, asSent), asSent, call,
                    new MessageStreamDecoder(null, clock));
        }
        MessagesRequest.Translated translated;
        try {
            translated = translate(call, true);
        } catch (ProviderException e) {
            return Stages.failedPublisher(e);
        }
        return client.postStream(messagesUrl, streamHeaders, Json.write(translated.body()), call.deadline(),
                new MessageStreamDecoder(translated.answerTool(), clock));
    }

    /**
     * {@code POST /v1/messages/count_tokens} with the client's body (the target's model in it), for a request that
     * came in on the Messages surface; answers {@code {"input_tokens": N}}.
     */
    @Override
    public CompletionStage<OptionalLong> countTokens(ProviderCall call) {
        NativeRequest asSent = messagesBody(call);
        if (asSent == null) {
            return CompletableFuture.completedFuture(OptionalLong.empty());
        }
        return NativeCalls.count(client, countUrl, forwarded(jsonHeaders, asSent), asSent, call, "max_tokens");
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
