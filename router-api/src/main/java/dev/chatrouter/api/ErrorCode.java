package dev.chatrouter.api;

/**
 * What went wrong with a request as a whole. Each code has one wire name, used as the {@code code} of the
 * OpenAI error envelope; the HTTP module maps codes to statuses once, in one place.
 */
public enum ErrorCode {
    /** The body is not valid JSON. */
    INVALID_JSON("invalid_json"),
    /** A required field is absent; {@link ChatRouterException#param()} names it. */
    MISSING_PARAMETER("missing_parameter"),
    /** A field has the wrong type or value; {@link ChatRouterException#param()} names it. */
    INVALID_PARAMETER("invalid_parameter"),
    /**
     * The prompt plus the requested output fits no target's context window: the request must be shortened (as
     * OpenAI answers it). {@link ChatRouterException#param()} is {@code messages} (or {@code input}).
     */
    CONTEXT_LENGTH_EXCEEDED("context_length_exceeded"),
    /** The caller's key is missing or unknown. */
    INVALID_API_KEY("invalid_api_key"),
    /** A hard budget would be exceeded. */
    SPEND_LIMIT_EXCEEDED("spend_limit_exceeded"),
    /** The caller's key may not use the route. */
    MODEL_NOT_ALLOWED("model_not_allowed"),
    /** No route matches the model id and there is no default route. */
    MODEL_NOT_FOUND("model_not_found"),
    /** The body is larger than allowed. */
    REQUEST_TOO_LARGE("request_too_large"),
    /** A router rate limit, or every target was rate limited upstream. */
    RATE_LIMIT_EXCEEDED("rate_limit_exceeded"),
    /** The upstream refused the request itself (bad_request, auth, content_filter): not retried, passed on. */
    UPSTREAM_REJECTED("upstream_rejected"),
    /** Every attempt failed; {@link ChatRouterException#attempts()} lists them. */
    UPSTREAM_ERROR("upstream_error"),
    /** Every candidate target was dropped before any attempt; the metadata says why. */
    NO_TARGET_AVAILABLE("no_target_available"),
    /** The request's deadline passed. */
    TIMEOUT("timeout"),
    /** The operation is not supported by the provider or router (for example embeddings on a chat-only provider). */
    UNSUPPORTED("unsupported"),
    /**
     * The accounting store that counts budgets and rate limits cannot be reached and the failure mode of a limit
     * that applies ({@code accounting.on_store_failure}, {@code accounting.rate_limits_on_store_failure}) is
     * {@code closed}: the message names the store.
     */
    ACCOUNTING_UNAVAILABLE("accounting_unavailable"),
    /**
     * The store that keeps state between requests (stored Responses) cannot be reached: the message names the store,
     * and so does the {@code store} metadata.
     */
    STORE_UNAVAILABLE("store_unavailable"),
    /** The router was closed. */
    ROUTER_CLOSED("router_closed"),
    /** A bug in the router or in a plugin it runs (a classifier that throws, say); logged with the request id. */
    INTERNAL_ERROR("internal_error");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    /** The {@code code} string of the OpenAI error envelope. */
    public String wireName() {
        return wireName;
    }
}
