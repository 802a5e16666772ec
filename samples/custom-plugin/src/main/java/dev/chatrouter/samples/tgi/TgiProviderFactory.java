package dev.chatrouter.samples.tgi;

import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

/**
 * A provider plugin for Hugging Face Text Generation Inference's native API ({@code POST /generate} and
 * {@code /generate_stream}), type {@code tgi}. Listed in {@code META-INF/services}, so a config entry
 * {@code type: tgi} is all it takes.
 */
public final class TgiProviderFactory implements ProviderFactory {

    @Override
    public String type() {
        return "tgi";
    }

    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        if (spec.baseUrl() == null) {
            throw new IllegalArgumentException("base_url: required, e.g. http://localhost:8080");
        }
        return new TgiProvider(spec, context);
    }
}
