package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The built-in routing policies: {@code priority} (the listed order), {@code cost} (cheapest estimated cost first),
 * {@code latency} (lowest observed decaying average first; unmeasured targets first, so they get measured) and
 * {@code weighted} (random in proportion to weight, without replacement).
 */
public final class RoutingPolicies {

    private RoutingPolicies() {
    }

    /** The built-in policies' factories, in the order error messages list them: priority, cost, latency, weighted. */
    public static List<RoutingPolicy.Factory> builtIns() {
        return List.of(RoutingPolicy.Factory.of(PriorityPolicy.INSTANCE), RoutingPolicy.Factory.of(CostPolicy.INSTANCE),
                RoutingPolicy.Factory.of(LatencyPolicy.INSTANCE),
                RoutingPolicy.Factory.of("weighted", context -> new WeightedPolicy(context.random())));
    }

    /** The built-in policies by name, {@code weighted} drawing from {@code random} (uniform in [0, 1)). */
    static Map<String, RoutingPolicy> builtIn(DoubleSupplier random) {
        Map<String, RoutingPolicy> byName = new LinkedHashMap<>();
        for (RoutingPolicy policy : List.of(PriorityPolicy.INSTANCE, CostPolicy.INSTANCE, LatencyPolicy.INSTANCE,
                new WeightedPolicy(random))) {
            byName.put(policy.name(), policy);
        }
        return byName;
    }

    /** The {@code cost} policy: what a route's {@code flash} pool uses under a soft budget. */
    public static RoutingPolicy cost() {
        return CostPolicy.INSTANCE;
    }
}
