package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.kit.wire.UpstreamError;
import dev.chatrouter.kit.wire.WireCodec;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * Classifies what an OpenAI-compatible upstream answered, or how the transport failed, into the failure kinds
 * of docs/routing.md#fallback. Plugins for other APIs reuse {@link #ofTransport} and {@link #retryAfter} and bring their own
 * {@link StatusClassifier}.
 */
public final class HttpFailures {

    private static final int MAX_MESSAGE = 2_000;

    private HttpFailures() {
    }

    /** Turns a non-2xx answer into a {@link ProviderException}. */
    @FunctionalInterface
    public interface StatusClassifier {
        ProviderException classify(int status, Function<String, String> headers, byte[] body);
    }

    /** The classifier for OpenAI-compatible APIs. */
    public static StatusClassifier openAi(Clock clock) {
        return (status, headers, body) -> ofStatus(status, headers, body, clock);
    }

    /**
     * Classifies an OpenAI-compatible error answer: 429 rate_limit (with its retry delay), 401/403 auth, 408 and
     * 504 timeout, other 5xx server, a context-length error by code or message, a content-filter error, and any
     * other 4xx bad_request.
     */
    public static ProviderException ofStatus(int status, Function<String, String> headers, byte[] body, Clock clock) {
        UpstreamError error = parseError(body);
        String message = error != null && error.message() != null ? error.message() : bodySnippet(status, body);
        String type = error == null ? null : error.type();
        String code = error == null ? null : error.code();
        FailureKind kind = kindOf(status, type, code, message);
        Duration retryAfter = kind == FailureKind.RATE_LIMIT || status == 503 ? retryAfter(headers, clock) : null;
        return new ProviderException(kind, status, truncate(message), type, code, retryAfter, null);
    }

    /** The kind of an error object sent inside a stream, where there is no HTTP status: by its code, else server. */
    public static FailureKind kindOfStreamError(UpstreamError error) {
        int status = 500;
        if ("rate_limit_exceeded".equals(error.code()) || "rate_limit_error".equals(error.type())) {
            status = 429;
        }
        return kindOf(status, error.type(), error.code(), error.message());
    }

    static FailureKind kindOf(int status, String type, String code, String message) {
        String lowered = message == null ? "" : message.toLowerCase(Locale.ROOT);
        if (isContextLength(code, type, lowered)) {
            return FailureKind.CONTEXT_LENGTH;
        }
        if ("content_filter".equals(code) || "content_policy_violation".equals(code)
                || lowered.contains("content management policy") || lowered.contains("content filter")) {
            return FailureKind.CONTENT_FILTER;
        }
        if (status == 429) {
            return FailureKind.RATE_LIMIT;
        }
        if (status == 401 || status == 403) {
            return FailureKind.AUTH;
        }
        if (status == 408 || status == 504) {
            return FailureKind.TIMEOUT;
        }
        if (status >= 500) {
            return FailureKind.SERVER;
        }
        return FailureKind.BAD_REQUEST;
    }

    private static boolean isContextLength(String code, String type, String lowered) {
        return "context_length_exceeded".equals(code) || "context_length_exceeded".equals(type)
                || "string_above_max_length".equals(code)
                || lowered.contains("maximum context length") || lowered.contains("context length")
                || lowered.contains("context window") || lowered.contains("prompt is too long")
                || lowered.contains("too many tokens") || lowered.contains("reduce the length");
    }

    private static UpstreamError parseError(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return WireCodec.readError(body);
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    private static String bodySnippet(int status, byte[] body) {
        if (body == null || body.length == 0) {
            return "upstream answered HTTP " + status + " with no body";
        }
        String text = new String(body, 0, Math.min(body.length, MAX_MESSAGE), StandardCharsets.UTF_8).strip();
        return "upstream answered HTTP " + status + ": " + text;
    }

    static String truncate(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "...";
    }

    /**
     * The delay an upstream asked for: {@code retry-after-ms} (milliseconds), else {@code Retry-After} in seconds or
     * as an HTTP date; {@code null} when neither is present or readable.
     */
    public static Duration retryAfter(Function<String, String> headers, Clock clock) {
        String ms = headers.apply("retry-after-ms");
        if (ms != null) {
            try {
                double value = Double.parseDouble(ms.trim());
                if (value >= 0) {
                    return Duration.ofNanos((long) (value * 1_000_000));
                }
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        String after = headers.apply("retry-after");
        if (after == null) {
            return null;
        }
        after = after.trim();
        try {
            double seconds = Double.parseDouble(after);
            return seconds < 0 ? null : Duration.ofMillis((long) (seconds * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(after, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration delay = Duration.between(clock.instant(), at);
                return delay.isNegative() ? Duration.ZERO : delay;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    /** Classifies a transport failure: timeouts as timeout, refused/reset/closed/TLS/DNS as connection. */
    public static ProviderException ofTransport(Throwable failure) {
        if (failure instanceof ProviderException pe) {
            return pe;
        }
        Throwable t = failure;
        while (t != null) {
            String name = t.getClass().getName();
            if (t instanceof TimeoutException || name.endsWith("ConnectTimeoutException")
                    || name.endsWith("TimeoutException")) {
                return new ProviderException(FailureKind.TIMEOUT, "upstream timed out: " + describe(t), failure);
            }
            if (t instanceof ConnectException || t instanceof ClosedChannelException || t instanceof SSLException
                    || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || name.endsWith("StreamResetException") || name.endsWith("VertxException")
                    || name.endsWith("HttpClosedException")) {
                return new ProviderException(FailureKind.CONNECTION, "upstream connection failed: " + describe(t),
                        failure);
            }
            if (t instanceof java.io.IOException) {
                return new ProviderException(FailureKind.CONNECTION, "upstream connection failed: " + describe(t),
                        failure);
            }
            t = t.getCause();
        }
        return new ProviderException(FailureKind.CONNECTION, "upstream connection failed: " + describe(failure),
                failure);
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
