package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * {@code weighted}: random in proportion to weight, without replacement: the first is drawn in proportion to
 * every weight, the second in proportion to the weights left, and so on. One draw per candidate.
 */
final class WeightedPolicy implements RoutingPolicy {

    private final DoubleSupplier random;

    /** {@code random}: uniform draws in [0, 1). */
    WeightedPolicy(DoubleSupplier random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public String name() {
        return "weighted";
    }

    @Override
    public List<Candidate> order(List<Candidate> candidates, Shape shape) {
        List<Candidate> remaining = new ArrayList<>(candidates);
        List<Candidate> ordered = new ArrayList<>(candidates.size());
        while (!remaining.isEmpty()) {
            double total = 0;
            for (Candidate c : remaining) {
                total += c.weight();
            }
            double draw = random.getAsDouble() * total;
            int pick = remaining.size() - 1;
            for (int i = 0; i < remaining.size(); i++) {
                draw -= remaining.get(i).weight();
                if (draw < 0) {
                    pick = i;
                    break;
                }
            }
            ordered.add(remaining.remove(pick));
        }
        return ordered;
    }
}
