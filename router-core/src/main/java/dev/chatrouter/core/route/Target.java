package dev.chatrouter.core.route;

import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.Tokens;

/**
 * One model at one provider, resolved from configuration.
 *
 * @param id         {@code provider-id/model-id}
 * @param providerId the provider's id
 * @param provider   the provider
 * @param model      the model
 * @param encoding   the tokenizer of the model's upstream id ({@link Tokens#encodingOf}), worked out once
 */
public record Target(String id, String providerId, Provider provider, ModelSpec model, Encoding encoding) {

    public Target(String id, String providerId, Provider provider, ModelSpec model) {
        this(id, providerId, provider, model, Tokens.encodingOf(model.upstream()));
    }
}
