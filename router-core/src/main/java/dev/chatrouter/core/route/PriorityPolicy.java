package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.List;

/** {@code priority}: the pool's listed order. */
final class PriorityPolicy implements RoutingPolicy {

    static final PriorityPolicy INSTANCE = new PriorityPolicy();

    private PriorityPolicy() {
    }

    @Override
    public String name() {
        return "priority";
    }

    @Override
    public List<Candidate> order(List<Candidate> candidates, Shape shape) {
        return candidates;
    }
}
