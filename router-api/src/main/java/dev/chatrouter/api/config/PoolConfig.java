package dev.chatrouter.api.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * For one route and one request type: the candidate targets and the policy that orders them.
 *
 * @param policy  the name of the {@link dev.chatrouter.api.spi.RoutingPolicy} that orders it: {@code priority},
 *                {@code cost}, {@code latency}, {@code weighted}, or one a plugin adds
 * @param targets the candidates, in listed order
 */
public record PoolConfig(String policy, List<PoolTarget> targets) {
    public PoolConfig {
        Objects.requireNonNull(policy, "policy");
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one target");
        }
    }

    /** A pool of the given policy over targets of weight 1. */
    public static PoolConfig of(String policy, String... targets) {
        List<PoolTarget> list = new ArrayList<>();
        for (String t : targets) {
            list.add(PoolTarget.of(t));
        }
        return new PoolConfig(policy, list);
    }
}
