package dev.chatrouter.api.spi;

/**
 * The provider's own caps, which the router stays under.
 *
 * @param rpm requests per minute, 0 for none
 * @param tpm tokens per minute, 0 for none
 */
public record ProviderLimits(long rpm, long tpm) {
    public static final ProviderLimits NONE = new ProviderLimits(0, 0);
}
