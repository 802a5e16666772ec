package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.kit.config.Redaction;

import java.util.ArrayList;
import java.util.List;

/**
 * The error for a provider plugin that could not create its provider. A plugin's message may echo what it was
 * given; none of the provider's values is shown: the API key and header values wherever they appear, the base URL
 * and string options where they are quoted (a file's values may come from the environment).
 */
public final class ProviderFailures {

    private ProviderFailures() {
    }

    /** {@code failure} from {@code factory.create(spec, ...)}, as a startup error at {@code providers.<id>}. */
    public static ConfigurationException createFailed(String source, ProviderFactory factory, ProviderSpec spec,
                                                      RuntimeException failure) {
        String message = redacted(String.valueOf(failure.getMessage()), spec);
        String problem = failure instanceof IllegalArgumentException ? message
                : "provider plugin " + factory.getClass().getName() + " (type '" + spec.type() + "') failed: "
                + failure.getClass().getName() + ": " + message;
        // the cause keeps the plugin's stack trace, not its message
        RuntimeException cause = new RuntimeException(failure.getClass().getName() + ": " + message);
        cause.setStackTrace(failure.getStackTrace());
        return new ConfigurationException(source, "providers." + spec.id(), problem, cause);
    }

    static String redacted(String text, ProviderSpec spec) {
        List<String> secrets = new ArrayList<>(spec.headers().values());
        secrets.add(spec.apiKey());
        List<String> quoted = new ArrayList<>();
        quoted.add(spec.baseUrl());
        spec.options().values().forEach(value -> {
            if (value instanceof String s) {
                quoted.add(s);
            }
        });
        return Redaction.hide(text, secrets, quoted);
    }
}
