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
import dev.chatrouter.api.spi.Price;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Picks the pool for a route and request type, drops the targets that cannot serve the request, and orders the
 * rest by the pool's policy: {@code priority} (listed order), {@code cost} (cheapest estimated cost first),
 * {@code latency} (lowest decaying average first, unmeasured targets first so they get measured) or
 * {@code weighted} (random in proportion to weight, without replacement).
 */
public final class Planner {

    /** The output size assumed for cost ordering when the caller set no limit. */
    static final long EXPECTED_OUTPUT_TOKENS = 256;

    private final Map<String, Target> targets;
    private final LatencyTracker latency;
    private final DoubleSupplier random;

    /**
     * @param targets every configured target by {@code provider/model}
     * @param random  uniform draws in [0, 1) for the weighted policy
     */
    public Planner(Map<String, Target> targets, LatencyTracker latency, DoubleSupplier random) {
        this.targets = Map.copyOf(targets);
        this.latency = latency;
        this.random = random;
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
     */
    public Plan plan(RouteConfig route, String poolName, RequestShape shape, String policyOverride,
                     java.util.function.Function<Target, String> filter) {
        PoolConfig pool = route.pools().get(poolName);
        String policy = policyOverride != null ? policyOverride : pool.policy();
        List<Target> eligible = new ArrayList<>(pool.targets().size());
        List<Double> weights = new ArrayList<>(pool.targets().size());
        List<DroppedTarget> dropped = new ArrayList<>(0);
        for (PoolTarget entry : pool.targets()) {
            Target target = targets.get(entry.target());
            String reason = dropReason(target.model(), shape);
            if (reason == null) {
                reason = filter.apply(target);
            }
            if (reason != null) {
                dropped.add(new DroppedTarget(target.id(), reason));
            } else {
                eligible.add(target);
                weights.add(entry.weight());
            }
        }
        return new Plan(poolName, policy, order(policy, eligible, weights, shape), dropped);
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

    private List<Target> order(String policy, List<Target> eligible, List<Double> weights, RequestShape shape) {
        if (eligible.size() < 2) {
            return eligible;
        }
        switch (policy) {
            case "cost" -> eligible.sort(Comparator.comparingDouble(t -> estimatedCost(t.model(), shape)));
            case "latency" -> eligible.sort(Comparator.comparingDouble(t -> {
                double avg = latency.averageMillis(t.id());
                return Double.isNaN(avg) ? -1 : avg;
            }));
            case "weighted" -> {
                return weightedOrder(eligible, weights);
            }
            default -> {
                // priority: the listed order
            }
        }
        return eligible;
    }

    /**
     * Estimated cost in USD: the estimated input at the input price, except that a target with
     * {@code prompt_cache} is expected to read the prompt up to its last {@code cache_control} breakpoint at its
     * cached-input price; plus the requested output (or {@value #EXPECTED_OUTPUT_TOKENS} tokens) at the output
     * price.
     */
    static double estimatedCost(ModelSpec model, RequestShape shape) {
        Price price = model.price();
        long output = shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS;
        long cached = model.has(Capability.PROMPT_CACHE) ? shape.cacheableInputTokens() : 0;
        long uncached = shape.estimatedInputTokens() - cached;
        return (uncached * price.input() + cached * price.cachedInput() + output * price.output()) / 1_000_000.0;
    }

    private List<Target> weightedOrder(List<Target> eligible, List<Double> weights) {
        List<Target> remaining = new ArrayList<>(eligible);
        List<Double> remainingWeights = new ArrayList<>(weights);
        List<Target> ordered = new ArrayList<>(eligible.size());
        while (!remaining.isEmpty()) {
            double total = 0;
            for (double w : remainingWeights) {
                total += w;
            }
            double draw = random.getAsDouble() * total;
            int pick = remaining.size() - 1;
            for (int i = 0; i < remaining.size(); i++) {
                draw -= remainingWeights.get(i);
                if (draw < 0) {
                    pick = i;
                    break;
                }
            }
            ordered.add(remaining.remove(pick));
            remainingWeights.remove(pick);
        }
        return ordered;
    }
}
