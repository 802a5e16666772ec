package dev.chatrouter.api.spi;

import java.util.Set;

/**
 * A provider plugin, found with {@link java.util.ServiceLoader}: list the implementation in
 * {@code META-INF/services/dev.chatrouter.api.spi.ProviderFactory}. It needs a public no-argument constructor.
 */
public interface ProviderFactory {

    /** The {@code type:} that configuration uses for this plugin, such as {@code openai}. */
    String type();

    /**
     * The plugin-specific keys a provider entry may carry beside the common ones; the loader rejects others.
     * They arrive in {@link ProviderSpec#options()}.
     */
    default Set<String> optionKeys() {
        return Set.of();
    }

    /**
     * Creates a provider.
     *
     * @throws IllegalArgumentException if the spec is not usable by this plugin; the message names the field
     */
    Provider create(ProviderSpec spec, ProviderContext context);
}
