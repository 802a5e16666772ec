package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;

/**
 * One model at one provider, resolved from configuration.
 *
 * @param id         {@code provider-id/model-id}
 * @param providerId the provider's id
 * @param provider   the provider
 * @param model      the model
 */
public record Target(String id, String providerId, Provider provider, ModelSpec model) {
}
