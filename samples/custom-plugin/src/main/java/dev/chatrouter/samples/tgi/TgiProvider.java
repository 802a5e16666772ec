package dev.chatrouter.samples.tgi;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.kit.upstream.HttpFailures;
import dev.chatrouter.kit.upstream.Stages;
import dev.chatrouter.kit.upstream.UpstreamClient;
import dev.chatrouter.kit.wire.Json;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Translates chat requests to TGI's prompt-and-parameters shape and its answers back. Core's
 * {@link UpstreamClient} does the HTTP (pooling, timeouts, SSE, cancellation) and {@link Json} the JSON.
 */
final class TgiProvider implements Provider {

    private final UpstreamClient client;
    private final String baseUrl;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Clock clock;

    TgiProvider(ProviderSpec spec, ProviderContext context) {
        this.clock = context.clock();
        this.baseUrl = spec.baseUrl().replaceAll("/+$", "");
        this.client = UpstreamClient.create(spec, context, TgiProvider::failure);
        headers.put("content-type", "application/json");
        if (spec.apiKey() != null) {
            headers.put("authorization", "Bearer " + spec.apiKey());
        }
        headers.putAll(spec.headers());
    }

    /** A plain chat template: TGI takes one prompt string. */
    static String prompt(List<Message> messages) {
        StringBuilder prompt = new StringBuilder();
        for (Message m : messages) {
            String role = m.role() == Role.ASSISTANT ? "Assistant" : m.role() == Role.USER ? "User" : "System";
            prompt.append(role).append(": ").append(m.text()).append('\n');
        }
        return prompt.append("Assistant:").toString();
    }

    private static byte[] body(ChatRequest request) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("max_new_tokens", request.outputLimit() == null ? 512 : request.outputLimit());
        if (request.temperature() != null && request.temperature() > 0) {
            parameters.put("temperature", request.temperature());
        }
        if (request.topP() != null) {
            parameters.put("top_p", request.topP());
        }
        if (request.stop() != null) {
            parameters.put("stop", request.stop().sequences());
        }
        if (request.seed() != null) {
            parameters.put("seed", request.seed());
        }
        parameters.put("details", true);
        return Json.write(Map.of("inputs", prompt(request.messages()), "parameters", parameters));
    }

    @Override
    public CompletionStage<ChatResponse> chat(ProviderCall call) {
        ChatRequest request = call.request();
        return Stages.decode(client.post(baseUrl + "/generate", headers, body(request), call.deadline()), answer -> {
            Map<?, ?> json = (Map<?, ?>) Json.read(answer.body());
            Map<?, ?> details = (Map<?, ?>) json.get("details");
            String text = String.valueOf(json.get("generated_text"));
            long output = details == null ? (text.length() + 3) / 4 : ((Number) details.get("generated_tokens")).longValue();
            String finish = details == null ? "stop" : finishReason(String.valueOf(details.get("finish_reason")));
            return new ChatResponse("tgi-" + call.requestId(), "chat.completion", clock.instant().getEpochSecond(),
                    request.model(), List.of(new Choice(0, Message.assistant(text), finish, null, Map.of())),
                    Usage.of((prompt(request.messages()).length() + 3) / 4, output), null, null, Map.of());
        });
    }

    @Override
    public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
        ChatRequest request = call.request();
        String id = "tgi-" + call.requestId();
        long created = clock.instant().getEpochSecond();
        boolean[] first = {true};
        return client.postStream(baseUrl + "/generate_stream", headers, body(request), call.deadline(),
                (event, emit) -> {
                    Map<?, ?> json = (Map<?, ?>) Json.read(event.data().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    if (json.containsKey("error")) {
                        throw new ProviderException(FailureKind.SERVER, String.valueOf(json.get("error")), null);
                    }
                    Map<?, ?> token = (Map<?, ?>) json.get("token");
                    boolean special = token != null && Boolean.TRUE.equals(token.get("special"));
                    String text = token == null || special ? "" : String.valueOf(token.get("text"));
                    emit.accept(chunk(id, created, request, new Delta(first[0] ? Role.ASSISTANT : null, text, null,
                            null, Map.of()), null, null));
                    first[0] = false;
                    Map<?, ?> details = (Map<?, ?>) json.get("details");
                    if (details == null) {
                        return false;
                    }
                    emit.accept(chunk(id, created, request, new Delta(null, null, null, null, Map.of()),
                            finishReason(String.valueOf(details.get("finish_reason"))), null));
                    emit.accept(new ChatChunk(id, "chat.completion.chunk", created, request.model(), List.of(),
                            Usage.of(((Number) details.get("input_length")).longValue(),
                                    ((Number) details.get("generated_tokens")).longValue()), null, Map.of()));
                    return true; // the event with details is the last
                });
    }

    private static ChatChunk chunk(String id, long created, ChatRequest request, Delta delta, String finish,
                                   Usage usage) {
        return new ChatChunk(id, "chat.completion.chunk", created, request.model(),
                List.of(new ChunkChoice(0, delta, finish, null, Map.of())), usage, null, Map.of());
    }

    /** TGI's finish reasons in OpenAI's terms. */
    static String finishReason(String tgi) {
        return "length".equals(tgi) ? "length" : "stop";
    }

    /** TGI answers errors as {@code {"error": "...", "error_type": "..."}}; 422 is a validation error. */
    private static ProviderException failure(int status, java.util.function.Function<String, String> headers,
                                             byte[] body) {
        FailureKind kind = status == 429 ? FailureKind.RATE_LIMIT : status >= 500 || status == 424
                ? FailureKind.SERVER : status == 401 || status == 403 ? FailureKind.AUTH : FailureKind.BAD_REQUEST;
        String message = "TGI answered HTTP " + status;
        try {
            Object error = ((Map<?, ?>) Json.read(body)).get("error");
            if (error != null) {
                message = String.valueOf(error);
            }
        } catch (RuntimeException notJson) {
            // keep the status line
        }
        return new ProviderException(kind, status, message, null, null,
                HttpFailures.retryAfter(headers, Clock.systemUTC()), null);
    }

    @Override
    public void close() {
        client.close();
    }
}
