package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.http.surface.AnthropicMessages;

/**
 * How one client surface writes what is not a translated answer: its error envelope, and its stream events. The
 * OpenAI surfaces (Chat Completions, Completions, Responses) share the OpenAI envelope; Anthropic Messages has its
 * own. Statuses are the same on every surface ({@link HttpErrors#status}).
 */
interface Surface {

    /** An error of the router as this surface writes it. */
    HttpErrors.HttpError error(ChatRouterException e, Redactor redactor);

    /** An error made by the server itself (no route, wrong method), as this surface writes it. */
    HttpErrors.HttpError error(int status, String code, String message);

    /** The Chat Completions surface: the OpenAI envelope and chunk stream. */
    Surface CHAT = new Surface() {
        @Override
        public HttpErrors.HttpError error(ChatRouterException e, Redactor redactor) {
            return HttpErrors.of(e, redactor);
        }

        @Override
        public HttpErrors.HttpError error(int status, String code, String message) {
            return HttpErrors.of(status, openAiType(status), code, null, message);
        }
    };

    /** The Anthropic Messages surface: {@code {"type":"error","error":{"type","message"}}}. */
    Surface ANTHROPIC = new Surface() {
        @Override
        public HttpErrors.HttpError error(ChatRouterException e, Redactor redactor) {
            HttpErrors.HttpError openAi = HttpErrors.of(e, redactor);
            return new HttpErrors.HttpError(openAi.status(),
                    AnthropicMessages.errorBody(openAi.status(), redactor.redact(messagesMessage(e))),
                    openAi.retryAfterSeconds(), openAi.requestId(), openAi.requestType());
        }

        /**
         * A refused field's message as this surface writes its own ({@code stop_sequences: detail}), naming the
         * field as the Messages request has it.
         */
        private String messagesMessage(ChatRouterException e) {
            String param = e.param().orElse(null);
            String prefix = "invalid parameter '" + param + "': ";
            if (param == null || !e.getMessage().startsWith(prefix)) {
                return e.getMessage();
            }
            return AnthropicMessages.fieldName(param) + ": " + e.getMessage().substring(prefix.length());
        }

        @Override
        public HttpErrors.HttpError error(int status, String code, String message) {
            return new HttpErrors.HttpError(status, AnthropicMessages.errorBody(status, message), 0);
        }
    };

    /** The OpenAI error type for a status the server itself answers with. */
    private static String openAiType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            case 500, 502, 503, 504 -> "api_error";
            default -> "invalid_request_error";
        };
    }
}
