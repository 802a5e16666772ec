package dev.chatrouter.api;

import java.util.List;
import java.util.Objects;

/**
 * How the router served one request: what it understood, what it considered and what it did.
 *
 * @param requestId  the request's id
 * @param intent     the model id the client sent, echoed in the response
 * @param route      the route the intent resolved to
 * @param type       the request type
 * @param rule       the classification rule that decided the type
 * @param effort     the effort applied
 * @param pool       the pool used: a request type's wire name or {@code *}
 * @param policy     the policy that ordered the pool
 * @param candidates the eligible targets, in the order they were to be tried
 * @param dropped    the targets removed before ordering, with reasons
 * @param target     the target that served the request, or {@code null} if none did
 * @param attempts   every attempt, in order
 * @param costUsd    what the request cost, in US dollars
 * @param cacheHit   true when the answer came from the response cache
 * @param headroom   the caller's tightest rate limits and budget as the request ended (or, for a stream's
 *                   {@link ChatStream#started()} report, as its content began); {@link Headroom#NONE} when none
 *                   applied
 */
public record RoutingReport(String requestId, String intent, String route, RequestType type, String rule,
                            Effort effort, String pool, String policy, List<String> candidates,
                            List<DroppedTarget> dropped, String target, List<Attempt> attempts, double costUsd,
                            boolean cacheHit, Headroom headroom) {

    public RoutingReport {
        headroom = headroom == null ? Headroom.NONE : headroom;
        Objects.requireNonNull(requestId, "requestId");
        candidates = List.copyOf(candidates);
        dropped = List.copyOf(dropped);
        attempts = List.copyOf(attempts);
    }

    /** A report without headroom ({@link Headroom#NONE}). */
    public RoutingReport(String requestId, String intent, String route, RequestType type, String rule, Effort effort,
                         String pool, String policy, List<String> candidates, List<DroppedTarget> dropped,
                         String target, List<Attempt> attempts, double costUsd, boolean cacheHit) {
        this(requestId, intent, route, type, rule, effort, pool, policy, candidates, dropped, target, attempts,
                costUsd, cacheHit, Headroom.NONE);
    }

    /** This report with {@code headroom}. */
    public RoutingReport withHeadroom(Headroom headroom) {
        return new RoutingReport(requestId, intent, route, type, rule, effort, pool, policy, candidates, dropped,
                target, attempts, costUsd, cacheHit, headroom);
    }
}
