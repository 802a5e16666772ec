package dev.chatrouter.api.spi;

import java.util.Objects;
import java.util.Set;

/**
 * One model at one provider, as configured.
 *
 * @param id              the model id within the provider (targets name it as {@code provider/id})
 * @param upstream        the name sent upstream (defaults to {@code id})
 * @param price           its prices
 * @param contextWindow   its context window in tokens, 0 when unknown
 * @param maxOutputTokens its output limit in tokens, 0 when unknown
 * @param capabilities    what it can take or do
 */
public record ModelSpec(String id, String upstream, Price price, int contextWindow, int maxOutputTokens,
                        Set<Capability> capabilities) {
    public ModelSpec {
        Objects.requireNonNull(id, "id");
        upstream = upstream == null ? id : upstream;
        price = price == null ? Price.FREE : price;
        capabilities = Set.copyOf(capabilities);
    }

    public static ModelSpec of(String id, Capability... capabilities) {
        return new ModelSpec(id, id, Price.FREE, 0, 0, Set.of(capabilities));
    }

    public boolean has(Capability capability) {
        return capabilities.contains(capability);
    }
}
