package dev.chatrouter.api.spi;

/**
 * A model's prices in US dollars per million tokens. Cached input and cache writes default to the input price
 * when a provider does not price them separately.
 */
public record Price(double input, double output, double cachedInput, double cacheWrite) {

    public static final Price FREE = new Price(0, 0, 0, 0);

    public Price {
        if (input < 0 || output < 0 || cachedInput < 0 || cacheWrite < 0) {
            throw new IllegalArgumentException("prices must not be negative");
        }
    }

    public static Price of(double input, double output) {
        return new Price(input, output, input, input);
    }
}
