package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ProviderException;

import java.time.Duration;

/** The failures the mock raises, shaped as an OpenAI-compatible upstream would report each kind. */
final class MockFailures {

    /** The {@code Retry-After} a {@code rate_limit} failure carries. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private MockFailures() {
    }

    /**
     * A failure of {@code kind}: {@code rate_limit} 429 ({@code rate_limit_exceeded}, retry after 1s),
     * {@code server} 500, {@code auth} 401 ({@code invalid_api_key}), {@code bad_request} 400,
     * {@code context_length} 400 ({@code context_length_exceeded}), {@code content_filter} 400
     * ({@code content_filter}), {@code timeout} and {@code connection} status 0 (no HTTP answer).
     */
    static ProviderException of(FailureKind kind, String message) {
        return switch (kind) {
            case RATE_LIMIT -> new ProviderException(kind, 429, message, "rate_limit_error", "rate_limit_exceeded",
                    RETRY_AFTER, null);
            case SERVER -> new ProviderException(kind, 500, message, "server_error", null, null, null);
            case AUTH -> new ProviderException(kind, 401, message, "authentication_error", "invalid_api_key",
                    null, null);
            case BAD_REQUEST -> new ProviderException(kind, 400, message, "invalid_request_error", null, null, null);
            case CONTEXT_LENGTH -> new ProviderException(kind, 400, message, "invalid_request_error",
                    "context_length_exceeded", null, null);
            case CONTENT_FILTER -> new ProviderException(kind, 400, message, "invalid_request_error",
                    "content_filter", null, null);
            case TIMEOUT, CONNECTION -> new ProviderException(kind, 0, message, null, null, null, null);
        };
    }

    /** A {@code bad_request} (400): the request is one no model would accept. */
    static ProviderException badRequest(String message) {
        return of(FailureKind.BAD_REQUEST, message);
    }
}
