package dev.chatrouter.api.config;

import java.util.Objects;

/**
 * A target in a pool.
 *
 * @param target {@code provider-id/model-id}
 * @param weight its weight under the {@code weighted} policy (default 1)
 */
public record PoolTarget(String target, double weight) {
    public PoolTarget {
        Objects.requireNonNull(target, "target");
        if (!(weight > 0)) {
            throw new IllegalArgumentException("weight of " + target + " must be positive but was " + weight);
        }
    }

    public static PoolTarget of(String target) {
        return new PoolTarget(target, 1);
    }

    /** The provider id: the part before the first {@code /}. */
    public String providerId() {
        int slash = target.indexOf('/');
        return slash < 0 ? target : target.substring(0, slash);
    }

    /** The model id: everything after the first {@code /}. */
    public String modelId() {
        int slash = target.indexOf('/');
        return slash < 0 ? "" : target.substring(slash + 1);
    }
}
