package dev.chatrouter.core.route;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.DoubleSupplier;

/**
 * Picks the pool for a route and request type, drops the targets that cannot serve the request, and has the
 * pool's {@link RoutingPolicy} order the rest (see {@link RoutingPolicies} for the built-in ones).
 */
public final class Planner {

    /** The output size the {@code cost} policy assumes when the caller set no limit. */
    static final long EXPECTED_OUTPUT_TOKENS = CostPolicy.EXPECTED_OUTPUT_TOKENS;

    private final Map<String, Target> targets;
    private final LatencyTracker latency;
    private final Map<String, RoutingPolicy> policies;

    /**
     * @param targets  every configured target by {@code provider/model}
     * @param policies the installed policies by name; every pool's {@code policy} must be one of them
     */
    public Planner(Map<String, Target> targets, LatencyTracker latency, Map<String, RoutingPolicy> policies) {
        // a HashMap whatever the number of targets: Map.copyOf makes one class for one entry and another for more, and
        // code the JIT compiled for one (in the server's warm-up, say) is thrown away when it meets the other
        this.targets = java.util.Collections.unmodifiableMap(new java.util.HashMap<>(targets));
        this.latency = latency;
        this.policies = Map.copyOf(policies);
    }

    /**
     * A planner with the built-in policies only.
     *
     * @param targets every configured target by {@code provider/model}
     * @param random  uniform draws in [0, 1) for the weighted policy
     */
    public Planner(Map<String, Target> targets, LatencyTracker latency, DoubleSupplier random) {
        this(targets, latency, RoutingPolicies.builtIn(random));
    }

    /** The pool a request of this type uses on this route: its own, else {@code *}, else none. */
    public static String poolName(RouteConfig route, RequestType type) {
        if (route.pools().containsKey(type.wireName())) {
            return type.wireName();
        }
        return route.pools().containsKey("*") ? "*" : null;
    }

    /** Plans a request; a plan with no candidates means every target was dropped (see {@link Plan#dropped()}). */
    public Plan plan(RouteConfig route, String poolName, RequestShape shape) {
        return plan(route, poolName, shape, null, target -> null);
    }

    /**
     * Plans a request.
     *
     * @param policyOverride a policy to use instead of the pool's (under a soft budget: {@code cost}), or null
     * @param filter         further reasons to drop a target (budgets, caps, cooldowns): a reason, or null to keep
     * @throws IllegalStateException if the pool names a policy that is not installed (configuration validation
     *                               rules that out), or the policy's order is not a reordering of the candidates
     */
    public Plan plan(RouteConfig route, String poolName, RequestShape shape, RoutingPolicy policyOverride,
                     java.util.function.Function<Target, String> filter) {
        PoolConfig pool = route.pools().get(poolName);
        RoutingPolicy policy = policyOverride != null ? policyOverride : policy(pool.policy());
        List<PoolTarget> entries = pool.targets();
        List<Target> eligible = new ArrayList<>(entries.size());
        double[] weights = new double[entries.size()];
        List<DroppedTarget> dropped = null;
        for (PoolTarget entry : entries) {
            Target target = targets.get(entry.target());
            String reason = dropReason(target.model(), shape);
            if (reason == null) {
                reason = filter.apply(target);
            }
            if (reason != null) {
                if (dropped == null) {
                    dropped = new ArrayList<>(entries.size());
                }
                dropped.add(new DroppedTarget(target.id(), reason));
            } else {
                weights[eligible.size()] = entry.weight();
                eligible.add(target);
            }
        }
        return new Plan(poolName, policy.name(), order(policy, eligible, weights, shape),
                dropped == null ? List.of() : List.copyOf(dropped));
    }

    private RoutingPolicy policy(String name) {
        RoutingPolicy policy = policies.get(name);
        if (policy == null) {
            throw new IllegalStateException("no routing policy named '" + name + "' is installed; installed: "
                    + String.join(", ", policies.keySet()));
        }
        return policy;
    }

    /**
     * The error for a plan with no candidates. When every target was dropped because the estimated input plus the
     * requested output exceeds its context window, the request itself is too long: {@code context_length_exceeded}
     * on {@code messages} (or {@code input}), naming the estimate and the largest window, which no retry can
     * change. Otherwise {@code no_target_available}, naming why each target was dropped.
     */
    public ChatRouterException noTarget(RouteConfig route, Plan plan, RequestShape shape) {
        Map<String, String> why = new LinkedHashMap<>();
        long largestWindow = 0;
        boolean allTooLong = !plan.dropped().isEmpty();
        for (DroppedTarget d : plan.dropped()) {
            why.put(d.target(), d.reason());
            if (CONTEXT_WINDOW.equals(d.reason())) {
                largestWindow = Math.max(largestWindow, targets.get(d.target()).model().contextWindow());
            } else {
                allTooLong = false;
            }
        }
        if (!allTooLong) {
            return ChatRouterException.builder(ErrorCode.NO_TARGET_AVAILABLE, "no target of route '" + route.id()
                    + "' (pool '" + plan.pool() + "') can serve this request: " + why).metadata("dropped", why).build();
        }
        boolean embedding = shape.needs().contains(Capability.EMBEDDINGS);
        long input = shape.estimatedInputTokens();
        long output = shape.requestedOutputTokens();
        String size = (embedding ? "the input is" : "the messages are") + " about " + count(input)
                + " tokens (estimated)";
        if (output > 0) {
            size += " and the output limit (max_tokens) asks for up to " + count(output) + " output tokens, "
                    + count(input + output) + " in all";
        }
        String hint = output > 0 && input <= largestWindow ? "lower max_tokens or shorten the request"
                : "shorten the request";
        return ChatRouterException.builder(ErrorCode.CONTEXT_LENGTH_EXCEEDED, size + ": more than the largest"
                        + " context window of route '" + route.id() + "' allows (" + count(largestWindow)
                        + " tokens); " + hint)
                .param(embedding ? "input" : "messages")
                .metadata("estimated_input_tokens", input).metadata("requested_output_tokens", output)
                .metadata("largest_context_window", largestWindow).metadata("dropped", why).build();
    }

    private static String count(long tokens) {
        return String.format(Locale.ROOT, "%,d", tokens);
    }

    /** The drop reason of a target whose context window the request does not fit. */
    static final String CONTEXT_WINDOW = "context_window";

    static String dropReason(ModelSpec model, RequestShape shape) {
        for (Capability need : shape.needs()) {
            if (!model.has(need)) {
                return "missing_capability:" + need.wireName();
            }
        }
        if (model.contextWindow() > 0
                && shape.estimatedInputTokens() + shape.requestedOutputTokens() > model.contextWindow()) {
            return CONTEXT_WINDOW;
        }
        return null;
    }

    /** The eligible targets in the policy's order; fewer than two are not handed to the policy. */
    private List<Target> order(RoutingPolicy policy, List<Target> eligible, double[] weights,
                               RequestShape shape) {
        if (eligible.size() < 2) {
            return eligible;
        }
        List<RoutingPolicy.Candidate> candidates = new ArrayList<>(eligible.size());
        boolean stream = shape.needs().contains(Capability.STREAMING);
        for (int i = 0; i < eligible.size(); i++) {
            Target target = eligible.get(i);
            double average = latency.averageMillis(target.id(), stream);
            candidates.add(new RoutingPolicy.Candidate(target.id(), target.providerId(), target.model(),
                    weights[i], Double.isNaN(average) ? OptionalDouble.empty() : OptionalDouble.of(average)));
        }
        List<RoutingPolicy.Candidate> ordered = policy.order(Collections.unmodifiableList(candidates),
                policyShape(shape));
        return targetsIn(policy, ordered, candidates, eligible);
    }

    private static RoutingPolicy.Shape policyShape(RequestShape shape) {
        return new RoutingPolicy.Shape(shape.estimatedInputTokens(), shape.requestedOutputTokens(),
                shape.cacheableInputTokens(), shape.needs().contains(Capability.STREAMING));
    }

    /** Maps the policy's order back to targets, checking that it holds every candidate once. */
    private static List<Target> targetsIn(RoutingPolicy policy, List<RoutingPolicy.Candidate> ordered,
                                          List<RoutingPolicy.Candidate> candidates, List<Target> eligible) {
        boolean valid = ordered != null && ordered.size() == candidates.size();
        List<Target> result = new ArrayList<>(eligible.size());
        boolean[] taken = new boolean[candidates.size()];
        for (int i = 0; valid && i < ordered.size(); i++) {
            int index = indexOf(candidates, ordered.get(i));
            valid = index >= 0 && !taken[index];
            if (valid) {
                taken[index] = true;
                result.add(eligible.get(index));
            }
        }
        if (!valid) {
            throw new IllegalStateException("routing policy '" + policy.name() + "' ("
                    + policy.getClass().getName() + ") must return each of its candidates "
                    + candidates.stream().map(RoutingPolicy.Candidate::target).toList()
                    + " exactly once, but returned " + (ordered == null ? "null"
                    : ordered.stream().map(c -> c == null ? "null" : c.target()).toList()));
        }
        return result;
    }

    /**
     * Where the policy's {@code candidate} is among the candidates: found by identity first (a policy reorders the
     * list it was given), by value for a policy that hands back copies. A candidate's equality compares its model's
     * whole spec, capabilities included: a cost the planning of every request would pay.
     */
    private static int indexOf(List<RoutingPolicy.Candidate> candidates, RoutingPolicy.Candidate candidate) {
        for (int i = 0; i < candidates.size(); i++) {
            if (candidates.get(i) == candidate) {
                return i;
            }
        }
        return candidates.indexOf(candidate);
    }

    /** The {@code cost} policy's estimate in USD for this model and request. */
    static double estimatedCost(ModelSpec model, RequestShape shape) {
        return CostPolicy.estimatedCost(model, policyShape(shape));
    }
}
