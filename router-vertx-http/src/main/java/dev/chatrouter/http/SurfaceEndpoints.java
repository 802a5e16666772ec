package dev.chatrouter.http;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.http.surface.AnthropicMessages;
import dev.chatrouter.http.surface.OpenAiResponses;
import dev.chatrouter.http.surface.ResponseStore;
import dev.chatrouter.http.surface.TextCompletions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

import java.time.Clock;

/**
 * The client surfaces other than Chat Completions, under every base path: Anthropic Messages ({@code /messages},
 * {@code /messages/count_tokens}), the legacy Completions ({@code /completions}) and Responses ({@code /responses},
 * {@code /responses/input_tokens}, stored responses kept in a {@link ResponseStore} for
 * {@code server.responses_ttl}). Each translates its request into the router's chat request, routes it with
 * {@link ChatRouter#chat} or {@link ChatRouter#stream} as chat is routed (classification, routing, fallback,
 * budgets and {@code X-DI-*} headers unchanged), and writes the answer, the stream and every error in its own
 * shape. Token counts use {@link ChatRouter#estimateInputTokens} and never reach an upstream.
 */
final class SurfaceEndpoints {

    private final ApiHandler handler;
    private final ResponseStore store;
    private final Clock clock;

    /** @param settings the server's settings at start, which size the Responses store */
    SurfaceEndpoints(ApiHandler handler, ServerSettings settings, Clock clock) {
        this.handler = handler;
        this.clock = clock;
        this.store = ResponseStore.inMemory(settings.responsesTtl(), settings.responsesMaxStored(), clock);
    }

    /** True for the endpoints (paths below a base path) served here. */
    boolean serves(String endpoint) {
        return switch (endpoint) {
            case "/messages", "/messages/count_tokens", "/completions", "/responses", "/responses/input_tokens" ->
                    true;
            default -> false;
        };
    }

    void handle(HttpServerRequest request, String endpoint) {
        Surface surface = endpoint.startsWith("/messages") ? Surface.ANTHROPIC : Surface.CHAT;
        if (handler.draining.get()) {
            ApiHandler.send(request.response(), surface.error(503, "shutting_down", "the server is shutting down"));
            return;
        }
        if (request.method() != HttpMethod.POST) {
            request.response().putHeader("allow", "POST");
            ApiHandler.send(request.response(), surface.error(405, "method_not_allowed",
                    request.method() + " is not allowed on " + request.path() + "; use POST"));
            return;
        }
        ServerSettings.VirtualKey key = null;
        if (!handler.settings().keys().isEmpty()) {
            String secret = secret(request, surface == Surface.ANTHROPIC);
            key = secret == null ? null : handler.authenticateKey(secret);
            if (key == null) {
                ApiHandler.send(request.response(), surface.error(401, "invalid_api_key", secret == null
                        ? "missing API key: send " + (surface == Surface.ANTHROPIC ? "x-api-key: <key> or " : "")
                        + "Authorization: Bearer <key>" : "invalid API key"));
                return;
            }
        }
        ServerSettings.VirtualKey caller = key;
        handler.readBody(request, surface, body -> {
            RequestContext context = handler.requireContext(request, caller);
            switch (endpoint) {
                case "/messages" -> messages(request, body, context);
                case "/messages/count_tokens" -> json(request,
                        AnthropicMessages.writeTokenCount(countTokens(AnthropicMessages.readRequest(body, true))));
                case "/completions" -> completions(request, body, context);
                case "/responses" -> responses(request, body, context);
                case "/responses/input_tokens" -> json(request, OpenAiResponses.writeTokenCount(
                        countTokens(OpenAiResponses.readRequest(body, store, clock).chat())));
                default -> throw new IllegalStateException("no surface for " + endpoint);
            }
        });
    }

    /** The serving router's estimate of a request's input tokens; nothing is dispatched. */
    private long countTokens(ChatRequest chat) {
        LiveRouter.Lease lease = handler.acquireRouter();
        try {
            return lease.router().estimateInputTokens(chat);
        } finally {
            lease.release();
        }
    }

    /** The presented key: {@code Authorization: Bearer}, or for Anthropic clients {@code x-api-key}. */
    private static String secret(HttpServerRequest request, boolean apiKeyHeader) {
        String authorization = request.getHeader("authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        String apiKey = apiKeyHeader ? request.getHeader("x-api-key") : null;
        return apiKey == null ? null : apiKey.trim();
    }

    private void messages(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        ChatRequest chat = AnthropicMessages.readRequest(body, false);
        LiveRouter.Lease lease = handler.acquireRouter();
        ChatRouter router = lease.router();
        Exchange exchange = handler.exchange(request, start, Surface.ANTHROPIC, lease);
        if (chat.isStream()) {
            exchange.stream(router.stream(chat, context), AnthropicMessages.streamEncoder());
        } else {
            exchange.answer(router.chat(chat, context), ChatResult::report,
                    result -> AnthropicMessages.writeResponse(result.response()));
        }
    }

    private void completions(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        ChatRequest chat = TextCompletions.readRequest(body);
        LiveRouter.Lease lease = handler.acquireRouter();
        ChatRouter router = lease.router();
        Exchange exchange = handler.exchange(request, start, Surface.CHAT, lease);
        if (chat.isStream()) {
            exchange.stream(router.stream(chat, context), TextCompletions.streamEncoder());
        } else {
            exchange.answer(router.chat(chat, context), ChatResult::report,
                    result -> TextCompletions.writeResponse(result.response()));
        }
    }

    private void responses(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        OpenAiResponses.Turn turn = OpenAiResponses.readRequest(body, store, clock);
        if (!turn.droppedTools().isEmpty()) {
            request.response().putHeader("x-di-dropped-tools", String.join(",", turn.droppedTools()));
        }
        LiveRouter.Lease lease = handler.acquireRouter();
        ChatRouter router = lease.router();
        Exchange exchange = handler.exchange(request, start, Surface.CHAT, lease);
        if (turn.chat().isStream()) {
            exchange.stream(router.stream(turn.chat(), context), OpenAiResponses.streamEncoder(turn, answer -> {
                if (turn.store()) {
                    store.put(turn.id(), OpenAiResponses.stored(turn, answer));
                }
            }));
        } else {
            exchange.answer(router.chat(turn.chat(), context), ChatResult::report, result -> {
                if (turn.store() && !result.response().choices().isEmpty()) {
                    store.put(turn.id(), OpenAiResponses.stored(turn, result.response().choices().get(0).message()));
                }
                return OpenAiResponses.writeResponse(turn, result.response());
            });
        }
    }

    private static void json(HttpServerRequest request, byte[] body) {
        request.response().putHeader("content-type", "application/json").end(Buffer.buffer(body));
    }
}
