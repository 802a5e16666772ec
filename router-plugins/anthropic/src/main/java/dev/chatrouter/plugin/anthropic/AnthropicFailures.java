package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.upstream.HttpFailures;
import dev.chatrouter.kit.wire.UpstreamError;
import dev.chatrouter.kit.wire.WireCodec;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * Classifies Anthropic's errors, sent as {@code {"type":"error","error":{"type":...,"message":...}}} with an HTTP
 * status, or inside a stream as an {@code error} event after a 200:
 * <ul>
 *   <li>429 {@code rate_limit_error}: rate_limit, with the {@code retry-after} delay;</li>
 *   <li>529 {@code overloaded_error}, 500 {@code api_error} and any other 5xx: server (a 529 or 503 keeps its
 *       {@code retry-after} when it has one);</li>
 *   <li>401 {@code authentication_error}, 403 {@code permission_error}: auth;</li>
 *   <li>400 {@code invalid_request_error} saying the prompt is too long: context_length;</li>
 *   <li>any other 4xx (400, 404 {@code not_found_error}, 413 {@code request_too_large}...): bad_request.</li>
 * </ul>
 * A stream error has no status of its own: it is classified as the status its type stands for.
 */
final class AnthropicFailures {

    private static final int MAX_MESSAGE = 2_000;

    private AnthropicFailures() {
    }

    static HttpFailures.StatusClassifier classifier(Clock clock) {
        return (status, headers, body) -> ofStatus(status, headers, body, clock);
    }

    static ProviderException ofStatus(int status, Function<String, String> headers, byte[] body, Clock clock) {
        UpstreamError error = parse(body);
        String message = error != null && error.message() != null && !error.message().isEmpty()
                ? error.message() : snippet(status, body);
        FailureKind kind = kindOf(status, message);
        Duration retryAfter = kind == FailureKind.RATE_LIMIT || status == 529 || status == 503
                ? HttpFailures.retryAfter(headers, clock) : null;
        return new ProviderException(kind, status, truncate(message), error == null ? null : error.type(), null,
                retryAfter, null);
    }

    /** The failure an {@code error} event of a stream stands for; the stream itself was a 200, so status is 0. */
    static ProviderException ofStreamError(String type, String message) {
        String text = message == null || message.isEmpty() ? "upstream sent an error event" : message;
        return new ProviderException(kindOf(statusOf(type), text), 0, truncate(text), type, null, null, null);
    }

    /** The HTTP status Anthropic's errors page gives each error type. */
    static int statusOf(String type) {
        if (type == null) {
            return 500;
        }
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "overloaded_error" -> 529;
            default -> 500; // api_error, and types added later
        };
    }

    static FailureKind kindOf(int status, String message) {
        if (status == 429) {
            return FailureKind.RATE_LIMIT;
        }
        if (status == 401 || status == 403) {
            return FailureKind.AUTH;
        }
        if (status >= 500) {
            return FailureKind.SERVER;
        }
        if (status == 400 && isPromptTooLong(message)) {
            return FailureKind.CONTEXT_LENGTH;
        }
        return FailureKind.BAD_REQUEST;
    }

    /**
     * Anthropic says {@code prompt is too long: 208310 tokens > 200000 maximum} when the input alone does not fit,
     * and {@code input length and `max_tokens` exceed context limit: ...} when input and output together do not.
     */
    private static boolean isPromptTooLong(String message) {
        String lowered = message == null ? "" : message.toLowerCase(Locale.ROOT);
        return lowered.contains("prompt is too long") || lowered.contains("exceed context limit");
    }

    private static UpstreamError parse(byte[] body) {
        try {
            return WireCodec.readError(body);
        } catch (RuntimeException notAnError) {
            return null;
        }
    }

    private static String snippet(int status, byte[] body) {
        if (body == null || body.length == 0) {
            return "upstream answered HTTP " + status + " with no body";
        }
        String text = new String(body, 0, Math.min(body.length, MAX_MESSAGE), StandardCharsets.UTF_8).strip();
        return "upstream answered HTTP " + status + ": " + text;
    }

    private static String truncate(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "...";
    }
}
