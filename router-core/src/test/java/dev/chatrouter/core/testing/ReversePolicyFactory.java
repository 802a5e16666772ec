package dev.chatrouter.core.testing;

import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A routing policy plugin as a jar would ship one: listed in this module's test
 * {@code META-INF/services/dev.chatrouter.api.spi.RoutingPolicy$Factory}, it adds the policy {@code reverse}, which
 * tries a pool's targets from the last listed to the first.
 */
public final class ReversePolicyFactory implements RoutingPolicy.Factory {

    /** The name pools use. */
    public static final String NAME = "reverse";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public RoutingPolicy create(RoutingPolicy.Context context) {
        return new RoutingPolicy() {
            @Override
            public String name() {
                return NAME;
            }

            @Override
            public List<Candidate> order(List<Candidate> candidates, Shape shape) {
                List<Candidate> reversed = new ArrayList<>(candidates);
                Collections.reverse(reversed);
                return reversed;
            }
        };
    }
}
