package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code openai} plugin: any OpenAI-compatible Chat Completions API. Options beside the common keys:
 * <ul>
 *   <li>{@code preset}: one of {@code openai, groq, openrouter, deepinfra, together, fireworks, mistral, ollama,
 *       vllm, directinference}; gives the base URL and output-limit field. Without it, a provider whose id is a
 *       preset's name uses that preset.</li>
 *   <li>{@code max_tokens_field}: {@code max_tokens} or {@code max_completion_tokens}: the field the caller's
 *       output limit is sent in (default: the preset's, else {@code max_tokens}).</li>
 *   <li>{@code stream_usage}: whether streams ask for a final usage chunk ({@code stream_options.include_usage};
 *       default true; turn off for servers that reject {@code stream_options}: then no {@code stream_options} is
 *       sent, not even the caller's).</li>
 * </ul>
 */
public final class OpenAiProviderFactory implements ProviderFactory {

    static final String PRESET = "preset";
    static final String MAX_TOKENS_FIELD = "max_tokens_field";
    static final String STREAM_USAGE = "stream_usage";

    @Override
    public String type() {
        return "openai";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of(PRESET, MAX_TOKENS_FIELD, STREAM_USAGE);
    }

    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        Preset preset = preset(spec);
        String baseUrl = spec.baseUrl() != null ? spec.baseUrl() : preset == null ? null : preset.baseUrl();
        if (baseUrl == null) {
            throw new IllegalArgumentException("base_url: required, since provider '" + spec.id()
                    + "' names no preset (presets: " + new TreeSet<>(Preset.ALL.keySet()) + ")");
        }
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new IllegalArgumentException("base_url: expected an http:// or https:// URL but was '" + baseUrl + "'");
        }
        Object field = spec.options().getOrDefault(MAX_TOKENS_FIELD,
                preset == null ? "max_tokens" : preset.maxTokensField());
        if (!"max_tokens".equals(field) && !"max_completion_tokens".equals(field)) {
            throw new IllegalArgumentException(MAX_TOKENS_FIELD
                    + ": expected max_tokens or max_completion_tokens but was '" + field + "'");
        }
        // a boolean, or its text when a configuration file substituted it from the environment
        Object streamUsage = spec.options().getOrDefault(STREAM_USAGE, Boolean.TRUE);
        if (streamUsage instanceof String text && (text.equals("true") || text.equals("false"))) {
            streamUsage = Boolean.valueOf(text);
        }
        if (!(streamUsage instanceof Boolean)) {
            throw new IllegalArgumentException(STREAM_USAGE + ": expected true or false but was '" + streamUsage + "'");
        }
        return new OpenAiProvider(spec, context, trimSlash(baseUrl), (String) field, (Boolean) streamUsage);
    }

    private static Preset preset(ProviderSpec spec) {
        Object name = spec.options().get(PRESET);
        if (name == null) {
            return Preset.ALL.get(spec.id());
        }
        Preset preset = Preset.ALL.get(String.valueOf(name));
        if (preset == null) {
            throw new IllegalArgumentException(PRESET + ": expected one of " + new TreeSet<>(Preset.ALL.keySet())
                    + " but was '" + name + "'");
        }
        return preset;
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
