package dev.chatrouter.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A configuration the router refuses to start with. The message names the source (a file, or
 * {@code builder}), the path in it such as {@code routes.di.pools.code.targets[1]}, and what was expected.
 */
public final class ConfigurationException extends RuntimeException {

    private final String source;
    private final String path;

    public ConfigurationException(String source, String path, String problem) {
        this(source, path, problem, null);
    }

    public ConfigurationException(String source, String path, String problem, Throwable cause) {
        super(source + (path == null || path.isEmpty() ? "" : ": " + path) + ": " + Objects.requireNonNull(problem),
                cause);
        this.source = source;
        this.path = path;
    }

    /** The file the configuration came from, or {@code builder}. */
    public String source() {
        return source;
    }

    /** The path of the offending entry, such as {@code providers.openai.models.gpt-4o.price.input}. */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }
}
