package dev.chatrouter.core.engine;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.core.dispatch.FallbackSequence;
import dev.chatrouter.core.route.Plan;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.Target;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A request after classification and planning, before dispatch.
 *
 * @param requestId the request id
 * @param intent    the model id the client sent, echoed back
 * @param route     the route
 * @param type      the request type
 * @param rule      the classification rule that decided it
 * @param effort    the effort
 * @param upstreamEffort the {@code reasoning_effort} for targets that reason, or {@code null}
 * @param shape     what the request needs and its size
 * @param plan      the ordered candidates
 * @param stickyKey the key of the request's prompt prefix for sticky routing, 0 for none
 * @param deadline  the request's deadline, or {@code null}
 * @param accounting the request's budgets and caps
 * @param cacheKey  the response-cache key, or {@code null} when the answer is not cached
 * @param started   the request as listeners were told of it (its arrival time, key...), or {@code null} when no
 *                  listener is registered
 */
public record Prepared(String requestId, String intent, RouteConfig route, RequestType type, String rule, Effort effort,
                String upstreamEffort, RequestShape shape, Plan plan, long stickyKey, Instant deadline,
                Accounting accounting, String cacheKey, RequestStarted started) {

    /**
     * The report of the request so far: the attempts the sequence recorded, and {@code extra} when not null, with the
     * caller's headroom now.
     */
    RoutingReport report(Target served, FallbackSequence sequence, double cost, Attempt extra) {
        List<DroppedTarget> dropped = plan.dropped();
        List<DroppedTarget> skipped = sequence.skipped();
        if (!skipped.isEmpty()) {
            dropped = new ArrayList<>(dropped);
            dropped.addAll(skipped);
        }
        return new RoutingReport(requestId, intent, route.id(), type, rule, effort, plan.pool(), plan.policy(),
                plan.candidateIds(), dropped, served == null ? null : served.id(), sequence.attemptsWith(extra),
                cost, false, accounting.headroom());
    }
}
