package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code latency}: the lowest observed average first. Targets not measured yet go before every measured one, in
 * the listed order, so each is tried (and measured) as soon as it is eligible; equal averages keep the listed
 * order.
 */
final class LatencyPolicy implements RoutingPolicy {

    static final LatencyPolicy INSTANCE = new LatencyPolicy();

    private LatencyPolicy() {
    }

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public List<Candidate> order(List<Candidate> candidates, Shape shape) {
        List<Candidate> ordered = new ArrayList<>(candidates);
        ordered.sort(Comparator.comparingDouble(c -> c.latencyMillis().orElse(-1)));
        return ordered;
    }
}
