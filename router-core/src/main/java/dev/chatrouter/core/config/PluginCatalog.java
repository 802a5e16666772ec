package dev.chatrouter.core.config;

import java.util.Set;

/**
 * What the configuration loader needs to know about the installed plugins: which {@code type:} values exist,
 * which plugin-specific keys a provider entry of each type may carry, and which routing policies a pool's
 * {@code policy:} may name. The router's is
 * {@link dev.chatrouter.core.plugin.PluginRegistry}.
 */
public interface PluginCatalog {

    /** True when a plugin provides {@code type}. */
    boolean hasType(String type);

    /**
     * The plugin-specific keys a provider entry of {@code type} may carry beside the common ones; they arrive in
     * {@link dev.chatrouter.api.spi.ProviderSpec#options()}. Empty for an unknown type.
     */
    Set<String> optionKeys(String type);

    /** Every type provided, for error messages that list what is available. */
    Set<String> types();

    /**
     * The names of the installed routing policies, built-in and added, in the order error messages list them
     * (the built-in ones first).
     */
    Set<String> policies();
}
