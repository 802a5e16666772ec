package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.RoutingPolicy;

import java.util.ArrayList;
import java.util.Comparator;
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
        List<Candidate> ordered = new ArrayList<>(candidates);
        ordered.sort(Comparator.comparingDouble(c -> estimatedCost(c.model(), shape)));
        return ordered;
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
