package dev.chatrouter.api.spi;

import dev.chatrouter.api.FailureKind;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a provider reports a failed attempt: a {@link FailureKind} the router's fallback acts on, with what the
 * upstream said. Providers fail their stages and streams with this exception and no other.
 */
public final class ProviderException extends RuntimeException {

    private final FailureKind kind;
    private final int status;
    private final String upstreamType;
    private final String upstreamCode;
    private final Duration retryAfter;

    /**
     * @param kind         the failure kind
     * @param status       the upstream's HTTP status, or 0 when there was none
     * @param message      what the upstream or the transport said; never a secret
     * @param upstreamType the upstream's error {@code type}, or {@code null}
     * @param upstreamCode the upstream's error {@code code}, or {@code null}
     * @param retryAfter   the delay the upstream asked for, or {@code null}
     * @param cause        the underlying exception, or {@code null}
     */
    public ProviderException(FailureKind kind, int status, String message, String upstreamType, String upstreamCode,
                             Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = status;
        this.upstreamType = upstreamType;
        this.upstreamCode = upstreamCode;
        this.retryAfter = retryAfter;
    }

    public ProviderException(FailureKind kind, String message, Throwable cause) {
        this(kind, 0, message, null, null, null, cause);
    }

    public FailureKind kind() {
        return kind;
    }

    /** The upstream's HTTP status, or 0 when there was none. */
    public int status() {
        return status;
    }

    public Optional<String> upstreamType() {
        return Optional.ofNullable(upstreamType);
    }

    public Optional<String> upstreamCode() {
        return Optional.ofNullable(upstreamCode);
    }

    /** The delay the upstream asked for ({@code Retry-After}, {@code retry-after-ms}). */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
