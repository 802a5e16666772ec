package dev.chatrouter.http;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.http.surface.AnthropicMessages;
import dev.chatrouter.http.surface.NativeRelay;
import dev.chatrouter.http.surface.OpenAiResponses;
import dev.chatrouter.http.surface.ResponseStore;
import dev.chatrouter.http.surface.TextCompletions;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The client surfaces other than Chat Completions, under every base path: Anthropic Messages ({@code /messages},
 * {@code /messages/count_tokens}), the legacy Completions ({@code /completions}) and Responses ({@code /responses},
 * {@code /responses/input_tokens}, stored responses kept for {@code server.responses_ttl} in a {@link ResponseStore}
 * on the serving router's {@link ChatRouter#documents()}, so in its configured store). Each translates its
 * request into the router's chat request, routes it with {@link ChatRouter#chat} or {@link ChatRouter#stream} as
 * chat is routed (classification, routing, fallback, budgets and {@code X-DI-*} headers unchanged), and writes the
 * answer, the stream and every error in its own shape. Messages and Responses requests also carry the body as the
 * client sent it ({@link NativeRequest}): a target whose provider speaks that API upstream takes it as it is, and its
 * answer is relayed as it came ({@link NativeRelay}). Token counts go to {@link ChatRouter#countInputTokens}, which
 * asks the first target's provider when it has a counting API, else counts with the router's tokenizer; the
 * {@code X-DI-Token-Count-Source} header says which ({@code provider} or {@code router}). No chat is dispatched.
 */
final class SurfaceEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    private final ApiHandler handler;
    private final Duration responsesTtl;
    private final Clock clock;

    /** @param settings the server's settings at start, whose {@code responses_ttl} stored responses are kept for */
    SurfaceEndpoints(ApiHandler handler, ServerSettings settings, Clock clock) {
        this.handler = handler;
        this.clock = clock;
        this.responsesTtl = settings.responsesTtl();
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
                case "/messages/count_tokens" -> countTokens(request, Surface.ANTHROPIC, context,
                        messagesRequest(request, body, true), AnthropicMessages::writeTokenCount);
                case "/completions" -> completions(request, body, context);
                case "/responses" -> responses(request, body, context);
                case "/responses/input_tokens" -> inputTokens(request, body, context);
                default -> throw new IllegalStateException("no surface for " + endpoint);
            }
        });
    }

    /** The client's headers forwarded with a native request. */
    private static final List<String> MESSAGES_HEADERS = List.of("anthropic-beta", "anthropic-version");
    private static final List<String> RESPONSES_HEADERS = List.of("openai-beta");
    private static final CharSequence COUNT_SOURCE = HttpHeaders.createOptimized("x-di-token-count-source");

    private static Map<String, String> forwarded(HttpServerRequest request, List<String> names) {
        Map<String, String> headers = new TreeMap<>();
        for (String name : names) {
            String value = request.getHeader(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    /** A Messages request, translated, with its body as sent. */
    private static ChatRequest messagesRequest(HttpServerRequest request, byte[] body, boolean countOnly) {
        return AnthropicMessages.readRequest(body, countOnly).toBuilder().nativeRequest(new NativeRequest(
                NativeRequest.Surface.MESSAGES, body, forwarded(request, MESSAGES_HEADERS))).build();
    }

    /** A Responses request, translated, with its body as a Responses upstream should get it. */
    private static ChatRequest responsesRequest(HttpServerRequest request, byte[] body, OpenAiResponses.Turn turn) {
        return turn.chat().toBuilder().nativeRequest(OpenAiResponses.nativeRequest(body, turn,
                forwarded(request, RESPONSES_HEADERS))).build();
    }

    /**
     * Answers a token count: the first target's provider's when it can count, else the router's. Nothing is
     * dispatched and no budget is touched.
     */
    private void countTokens(HttpServerRequest request, Surface surface, RequestContext context, ChatRequest chat,
                             java.util.function.LongFunction<byte[]> write) {
        long start = System.nanoTime();
        LiveRouter.Lease lease = handler.acquireRouter();
        Exchange exchange = handler.exchange(request, start, surface, lease);
        exchange.answer(lease.router().countInputTokens(chat, context), count -> null, count -> {
            request.response().putHeader(COUNT_SOURCE, count.source().wireName());
            return write.apply(count.inputTokens());
        });
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
        ChatRequest chat = messagesRequest(request, body, false);
        LiveRouter.Lease lease = handler.acquireRouter();
        ChatRouter router = lease.router();
        Exchange exchange = handler.exchange(request, start, Surface.ANTHROPIC, lease);
        if (chat.isStream()) {
            exchange.stream(router.stream(chat, context), NativeRelay.messages(AnthropicMessages.streamEncoder()));
        } else {
            exchange.answer(router.chat(chat, context), ChatResult::report, result -> {
                byte[] relayed = NativeRelay.body(result.response());
                return relayed != null ? relayed : AnthropicMessages.writeResponse(result.response());
            });
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

    private void inputTokens(HttpServerRequest request, byte[] body, RequestContext context) {
        LiveRouter.Lease lease = handler.acquireRouter();
        CompletionStage<OpenAiResponses.Turn> reading;
        try {
            reading = OpenAiResponses.readRequest(body, responseStore(lease.router(), context), clock);
        } finally {
            lease.release();
        }
        onContext(request, reading, turn -> countTokens(request, Surface.CHAT, context,
                responsesRequest(request, body, turn), OpenAiResponses::writeTokenCount), () -> { });
    }

    private void responses(HttpServerRequest request, byte[] body, RequestContext context) {
        long start = System.nanoTime();
        LiveRouter.Lease lease = handler.acquireRouter();
        ResponseStore store = responseStore(lease.router(), context);
        CompletionStage<OpenAiResponses.Turn> reading;
        try {
            reading = OpenAiResponses.readRequest(body, store, clock);
        } catch (RuntimeException e) {
            lease.release();
            throw e;
        }
        onContext(request, reading, turn -> respond(request, body, turn, context, lease, store, start),
                lease::release);
    }

    private void respond(HttpServerRequest request, byte[] body, OpenAiResponses.Turn turn, RequestContext context,
                         LiveRouter.Lease lease, ResponseStore store, long start) {
        if (!turn.droppedTools().isEmpty()) {
            request.response().putHeader("x-di-dropped-tools", String.join(",", turn.droppedTools()));
        }
        ChatRequest chat = responsesRequest(request, body, turn);
        String previous = (String) turn.echo().get("previous_response_id");
        ChatRouter router = lease.router();
        Exchange exchange = handler.exchange(request, start, Surface.CHAT, lease);
        if (chat.isStream()) {
            NativeRelay[] relay = new NativeRelay[1];
            // the stream's last event is written once the response is stored, so that a follow-up at any router
            // sharing the store finds it; a relayed answer is known to the client by the upstream's response id
            relay[0] = NativeRelay.responses(OpenAiResponses.streamEncoder(turn, answer -> !turn.store()
                    ? CompletableFuture.completedFuture(null)
                    : keep(store, relay[0].relaying() && relay[0].upstreamId() != null ? relay[0].upstreamId()
                            : turn.id(), turn, answer)), previous);
            exchange.stream(router.stream(chat, context), relay[0]);
        } else {
            CompletableFuture<ChatResult> call = router.chat(chat, context).toCompletableFuture();
            CompletionStage<ChatResult> answered = call;
            if (turn.store()) {
                // answered once stored, so that a follow-up at any router sharing the store finds this response
                Context loop = Vertx.currentContext();
                CompletableFuture<ChatResult> kept = new CompletableFuture<>();
                call.thenCompose(result -> result.response().choices().isEmpty()
                                ? CompletableFuture.completedFuture(result)
                                : keep(store, storedId(turn, result), turn, result.response().choices().get(0).message())
                                        .thenApply(v -> result))
                        .whenComplete((result, error) -> {
                            Runnable complete = () -> {
                                if (error != null) {
                                    kept.completeExceptionally(error);
                                } else {
                                    kept.complete(result);
                                }
                            };
                            if (loop == null) {
                                complete.run();
                            } else {
                                loop.runOnContext(v -> complete.run());
                            }
                        });
                kept.whenComplete((result, error) -> {
                    if (kept.isCancelled()) {
                        call.cancel(false);
                    }
                });
                answered = kept;
            }
            exchange.answer(answered, ChatResult::report, result -> {
                byte[] relayed = NativeRelay.body(result.response(), previous);
                return relayed != null ? relayed : OpenAiResponses.writeResponse(turn, result.response());
            });
        }
    }

    /** The id a response is stored under: a relayed answer is known to the client by the upstream's id. */
    private static String storedId(OpenAiResponses.Turn turn, ChatResult result) {
        return result.response().nativeAnswer() != null ? result.response().id() : turn.id();
    }

    /** Stored responses of the caller's key on the router's documents, kept for {@code server.responses_ttl}. */
    private ResponseStore responseStore(ChatRouter router, RequestContext context) {
        return ResponseStore.of(router::documents, responsesTtl, context.key());
    }

    /**
     * Stores an answered response; the stage never fails: a store that fails is logged and counted
     * ({@code chatrouter.responses.store.failures}), and the client still gets its answer.
     */
    private CompletionStage<Void> keep(ResponseStore store, String id, OpenAiResponses.Turn turn,
                                      dev.chatrouter.api.chat.Message answer) {
        CompletionStage<Void> put;
        try {
            put = store.put(id, OpenAiResponses.stored(turn, answer));
        } catch (RuntimeException e) {
            put = CompletableFuture.failedFuture(e);
        }
        return put.handle((v, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                LOG.warn("responses: could not store {}: {}", id, cause.toString());
                handler.responseStoreFailed("put");
            }
            return null;
        });
    }

    /**
     * Runs {@code then} on the request's event loop once {@code stage} completes (at once when it already has); a
     * failure is answered in the OpenAI envelope, after {@code onFailure}.
     */
    private <T> void onContext(HttpServerRequest request, CompletionStage<T> stage, Consumer<T> then,
                               Runnable onFailure) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        Context context = Vertx.currentContext();
        if (f.isDone() || context == null) {
            f.whenComplete((value, error) -> finish(request, value, error, then, onFailure));
        } else {
            f.whenComplete((value, error) -> context.runOnContext(v -> finish(request, value, error, then,
                    onFailure)));
        }
    }

    private <T> void finish(HttpServerRequest request, T value, Throwable error, Consumer<T> then,
                            Runnable onFailure) {
        if (error == null) {
            try {
                then.accept(value);
                return;
            } catch (RuntimeException e) {
                error = e;
            }
        }
        onFailure.run();
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String id = ApiHandler.requestId(request);
        ChatRouterException failure;
        if (cause instanceof ChatRouterException e) {
            failure = e;
            if (e.code() == ErrorCode.STORE_UNAVAILABLE) {
                LOG.warn("request {}: {}", id, e.getMessage());
                handler.responseStoreFailed("get");
            }
        } else {
            LOG.error("request {} failed with an internal error", id, cause);
            failure = ChatRouterException.internal(cause);
        }
        ApiHandler.send(request.response(), Surface.CHAT.error(failure.withRequest(id, null), handler.redactor()));
    }
}
