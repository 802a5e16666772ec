package dev.chatrouter.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
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

    /**
     * The record's usual text, except that the type and effort are their wire names ({@code pro}, {@code auto}), as
     * the {@code X-DI-*} headers write them, and the cost is plain decimals ({@code 0.000022}, never
     * {@code 2.2E-5}).
     */
    @Override
    public String toString() {
        return "RoutingReport[requestId=" + requestId + ", intent=" + intent + ", route=" + route
                + ", type=" + (type == null ? null : type.wireName()) + ", rule=" + rule
                + ", effort=" + (effort == null ? null : effort.wireName()) + ", pool=" + pool + ", policy=" + policy
                + ", candidates=" + candidates + ", dropped=" + dropped + ", target=" + target
                + ", attempts=" + attempts + ", costUsd=" + plainUsd(costUsd) + ", cacheHit=" + cacheHit + "]";
    }

    /** As the HTTP module writes money (at most ten places, no exponent); router-api cannot use its formatter. */
    private static String plainUsd(double usd) {
        if (!Double.isFinite(usd)) {
            return Double.toString(usd);
        }
        BigDecimal rounded = BigDecimal.valueOf(usd).setScale(10, RoundingMode.HALF_UP);
        return rounded.signum() == 0 ? "0" : rounded.stripTrailingZeros().toPlainString();
    }
}
