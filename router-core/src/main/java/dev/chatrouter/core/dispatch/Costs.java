package dev.chatrouter.core.dispatch;

import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Price;

/** What usage costs at a model's prices (docs/routing.md#budgets). */
public final class Costs {
    private Costs() {
    }

    /**
     * Cost in USD: uncached input at the input price, cached input at {@code cached_input}, cache writes at
     * {@code cache_write}, output at the output price. Prices are per million tokens.
     */
    public static double of(Price price, Usage usage) {
        return picos(price, usage) / 1e12;
    }

    /** The cost in pico-dollars (10^-12 USD), rounded up: budgets count in these. */
    public static long picos(Price price, Usage usage) {
        long cached = usage.cachedTokens();
        long written = usage.cacheWriteTokens();
        long uncached = Math.max(0, usage.promptTokens() - cached - written);
        // prices are per million tokens: one token at price p costs p * 10^6 pico-dollars
        double picos = (uncached * price.input() + cached * price.cachedInput() + written * price.cacheWrite()
                + usage.completionTokens() * price.output()) * 1_000_000.0;
        return (long) Math.ceil(picos - 1e-6);
    }
}
