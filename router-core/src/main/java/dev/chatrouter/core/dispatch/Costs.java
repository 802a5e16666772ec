package dev.chatrouter.core.dispatch;

import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Price;

/** What usage costs at a model's prices (SPEC section 8). */
public final class Costs {
    private Costs() {
    }

    /**
     * Cost in USD: uncached input at the input price, cached input at {@code cached_input}, cache writes at
     * {@code cache_write}, output at the output price. Prices are per million tokens.
     */
    public static double of(Price price, Usage usage) {
        long cached = usage.cachedTokens();
        long written = usage.cacheWriteTokens();
        long uncached = Math.max(0, usage.promptTokens() - cached - written);
        double micro = uncached * price.input() + cached * price.cachedInput() + written * price.cacheWrite()
                + usage.completionTokens() * price.output();
        return micro / 1_000_000.0;
    }
}
