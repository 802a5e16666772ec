package dev.chatrouter.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who is asking and under what terms: the caller's key and user (for budgets and rate limits), tags, the
 * effort to apply and the request's deadline. Immutable; {@code with*} methods return copies.
 *
 * @param key       the caller identity (a virtual key name in HTTP mode), or {@code null}
 * @param user      the end user the request is made for, or {@code null}
 * @param tags      free-form tags that budgets may be scoped to; never {@code null}
 * @param effort    the effort to apply, overriding every other source; {@code null} to let the request decide
 * @param deadline  the instant by which the whole request must be answered, or {@code null} for none
 * @param requestId an id for logs and the routing report, or {@code null} to have one generated
 * @param allowedRoutes the route ids the caller may use; empty: all. A request resolving to another route fails
 *                  with {@link ErrorCode#MODEL_NOT_ALLOWED}
 */
public record RequestContext(String key, String user, List<String> tags, Effort effort, Instant deadline,
                             String requestId, Set<String> allowedRoutes) {

    private static final RequestContext EMPTY = new RequestContext(null, null, List.of(), null, null, null, Set.of());

    public RequestContext {
        tags = List.copyOf(Objects.requireNonNull(tags, "tags"));
        allowedRoutes = Set.copyOf(Objects.requireNonNull(allowedRoutes, "allowedRoutes"));
    }

    /** No key, no user, no tags, no deadline. */
    public static RequestContext empty() {
        return EMPTY;
    }

    public RequestContext withKey(String key) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withUser(String user) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withTags(List<String> tags) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withEffort(Effort effort) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withDeadline(Instant deadline) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withRequestId(String requestId) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }

    public RequestContext withAllowedRoutes(Set<String> allowedRoutes) {
        return new RequestContext(key, user, tags, effort, deadline, requestId, allowedRoutes);
    }
}
