package dev.chatrouter.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request the router could not serve. Carries an {@link ErrorCode}, the offending field when the request
 * was malformed, every attempt made, and what the upstream said when it refused the request itself.
 * Messages never contain secrets.
 */
public final class ChatRouterException extends RuntimeException {

    private final ErrorCode code;
    private final String param;
    private final FailureKind failureKind;
    private final int upstreamStatus;
    private final String upstreamType;
    private final String upstreamCode;
    private final Duration retryAfter;
    private final List<Attempt> attempts;
    private final Map<String, Object> metadata;
    private final String requestId;
    private final RequestType requestType;

    private ChatRouterException(Builder b) {
        super(b.message, b.cause);
        this.requestId = b.requestId;
        this.requestType = b.requestType;
        this.code = b.code;
        this.param = b.param;
        this.failureKind = b.failureKind;
        this.upstreamStatus = b.upstreamStatus;
        this.upstreamType = b.upstreamType;
        this.upstreamCode = b.upstreamCode;
        this.retryAfter = b.retryAfter;
        this.attempts = List.copyOf(b.attempts);
        this.metadata = Map.copyOf(b.metadata);
    }

    /** A malformed request: {@code code} is one of the invalid-request codes and {@code param} names the field. */
    public static ChatRouterException invalid(ErrorCode code, String param, String message) {
        return builder(code, message).param(param).build();
    }

    /**
     * A bug in the router or in a plugin it runs: {@link ErrorCode#INTERNAL_ERROR}, with the bug as the cause. The
     * message names the exception's class only; what the bug said stays in the cause, for the logs.
     */
    public static ChatRouterException internal(Throwable bug) {
        return builder(ErrorCode.INTERNAL_ERROR, "internal error (" + bug.getClass().getSimpleName()
                + "); the request id finds it in the router's log").cause(bug).build();
    }

    /** Starts an exception with the given code and message. */
    public static Builder builder(ErrorCode code, String message) {
        return new Builder(code, message);
    }

    public ErrorCode code() {
        return code;
    }

    /** The request field at fault, such as {@code messages[1].content}, when there is one. */
    public Optional<String> param() {
        return Optional.ofNullable(param);
    }

    /** The failure kind of the attempt that decided the outcome, when the error came from an upstream. */
    public Optional<FailureKind> failureKind() {
        return Optional.ofNullable(failureKind);
    }

    /** The upstream's HTTP status when the error passes on the upstream's answer, else 0. */
    public int upstreamStatus() {
        return upstreamStatus;
    }

    /** The upstream's error {@code type}, when it sent one. */
    public Optional<String> upstreamType() {
        return Optional.ofNullable(upstreamType);
    }

    /** The upstream's error {@code code}, when it sent one. */
    public Optional<String> upstreamCode() {
        return Optional.ofNullable(upstreamCode);
    }

    /** How long the caller should wait before trying again, for rate limits. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Every attempt the router made, in order; empty when none was made. */
    public List<Attempt> attempts() {
        return attempts;
    }

    /** Structured detail: for {@code no_target_available}, why each target was dropped; for budgets, the scope. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The id of the request that failed, once the router knew it. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    /** The type the request was classified as, when it failed after classification. */
    public Optional<RequestType> requestType() {
        return Optional.ofNullable(requestType);
    }

    /**
     * This error naming the request it ended: a copy with the id and type set where they were not (this one when
     * it names them already). The copy keeps the cause and the stack trace.
     */
    public ChatRouterException withRequest(String id, RequestType type) {
        if ((id == null || requestId != null) && (type == null || requestType != null)) {
            return this;
        }
        Builder b = builder(code, getMessage()).cause(getCause()).param(param).failureKind(failureKind)
                .upstream(upstreamStatus, upstreamType, upstreamCode).retryAfter(retryAfter).attempts(attempts)
                .request(requestId != null ? requestId : id, requestType != null ? requestType : type);
        metadata.forEach(b::metadata);
        ChatRouterException copy = b.build();
        copy.setStackTrace(getStackTrace());
        return copy;
    }

    /** Builds a {@link ChatRouterException}. */
    public static final class Builder {
        private final ErrorCode code;
        private final String message;
        private Throwable cause;
        private String param;
        private FailureKind failureKind;
        private int upstreamStatus;
        private String upstreamType;
        private String upstreamCode;
        private Duration retryAfter;
        private List<Attempt> attempts = List.of();
        private final Map<String, Object> metadata = new LinkedHashMap<>();
        private String requestId;
        private RequestType requestType;

        private Builder(ErrorCode code, String message) {
            this.code = Objects.requireNonNull(code, "code");
            this.message = Objects.requireNonNull(message, "message");
        }

        public Builder cause(Throwable cause) {
            this.cause = cause;
            return this;
        }

        public Builder param(String param) {
            this.param = param;
            return this;
        }

        public Builder failureKind(FailureKind failureKind) {
            this.failureKind = failureKind;
            return this;
        }

        public Builder upstream(int status, String type, String code) {
            this.upstreamStatus = status;
            this.upstreamType = type;
            this.upstreamCode = code;
            return this;
        }

        public Builder retryAfter(Duration retryAfter) {
            this.retryAfter = retryAfter;
            return this;
        }

        public Builder attempts(List<Attempt> attempts) {
            this.attempts = Objects.requireNonNull(attempts, "attempts");
            return this;
        }

        public Builder metadata(String key, Object value) {
            this.metadata.put(key, value);
            return this;
        }

        /** The request the error ends: its id and, once classified, its type (either may be null). */
        public Builder request(String id, RequestType type) {
            this.requestId = id;
            this.requestType = type;
            return this;
        }

        public ChatRouterException build() {
            return new ChatRouterException(this);
        }
    }
}
