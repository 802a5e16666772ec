package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.Arrays;
import java.util.List;

/** {@code cost}: the cheapest estimated cost first; equal estimates keep the listed order. */
final class CostPolicy implements RoutingPolicy {

    /** The output size assumed when the caller set no limit. */
    static final long EXPECTED_OUTPUT_TOKENS = 256;

    static final CostPolicy INSTANCE = new CostPolicy();

    private CostPolicy() {
    }

    @Override
    public String name() {
        return "cost";
    }

    @Override
    public List<Candidate> order(List<Candidate> candidates, Shape shape) {
        // each estimate made once, then a stable insertion sort: pools are short
        int n = candidates.size();
        Candidate[] ordered = candidates.toArray(new Candidate[n]);
        double[] costs = new double[n];
        for (int i = 0; i < n; i++) {
            Candidate candidate = ordered[i];
            double cost = estimatedCost(candidate.model(), shape);
            int j = i;
            while (j > 0 && Double.compare(costs[j - 1], cost) > 0) {
                costs[j] = costs[j - 1];
                ordered[j] = ordered[j - 1];
                j--;
            }
            costs[j] = cost;
            ordered[j] = candidate;
        }
        return Arrays.asList(ordered);
    }

    /**
     * Estimated cost in USD: the estimated input at the input price, except that a model with {@code prompt_cache}
     * is expected to read the prompt up to its last {@code cache_control} breakpoint at its cached-input price;
     * plus the requested output (or {@value #EXPECTED_OUTPUT_TOKENS} tokens) at the output price.
     */
    static double estimatedCost(ModelSpec model, Shape shape) {
        Price price = model.price();
        long output = shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS;
        long cached = model.has(Capability.PROMPT_CACHE) ? shape.cacheableInputTokens() : 0;
        long uncached = shape.estimatedInputTokens() - cached;
        return (uncached * price.input() + cached * price.cachedInput() + output * price.output()) / 1_000_000.0;
    }
}
