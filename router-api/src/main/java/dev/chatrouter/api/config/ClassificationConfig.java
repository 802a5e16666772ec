package dev.chatrouter.api.config;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The built-in classifier's settings (docs/routing.md#classification).
 *
 * @param longInputTokens the estimated input above which a request is {@code long} (default 100,000)
 * @param order           the rules in the order they run; a rule left out is disabled (default: all nine)
 */
public record ClassificationConfig(long longInputTokens, List<String> order) {

    /** The nine rules, in their default order. */
    public static final List<String> RULES =
            List.of("document", "vision", "long", "tools", "code", "json", "reason", "simple", "base");

    public static final ClassificationConfig DEFAULTS = new ClassificationConfig(100_000, RULES);

    public ClassificationConfig {
        if (longInputTokens <= 0) {
            throw new IllegalArgumentException("longInputTokens must be positive but was " + longInputTokens);
        }
        order = List.copyOf(Objects.requireNonNull(order, "order"));
        for (String rule : order) {
            if (!RULES.contains(rule)) {
                throw new IllegalArgumentException("unknown classification rule '" + rule + "'; rules are " + RULES);
            }
        }
        if (Set.copyOf(order).size() != order.size()) {
            throw new IllegalArgumentException("a classification rule is listed twice in " + order);
        }
    }
}
