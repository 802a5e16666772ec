package dev.chatrouter.core.config;

import dev.chatrouter.kit.config.ConfigFiles;
import dev.chatrouter.kit.config.ConfigNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.RouterConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and checks a router configuration (docs/configuration.md). Every failure is a {@link ConfigurationException}
 * whose message names the source, the path in it ({@code routes.di.pools.code.targets[1]}) and what was expected
 * and found; the router never starts half-configured.
 *
 * <p>What a file may say:
 * <ul>
 *   <li>{@code providers}: by id (no {@code /} in it), each with {@code type} (required, a plugin type),
 *       {@code base_url}, {@code api_key}, {@code headers}, {@code timeouts} ({@code connect_ms},
 *       {@code first_token_ms}, {@code total_ms}: positive; defaults 5 s, 30 s, 300 s), {@code max_connections}
 *       (positive, default 64), {@code limits} ({@code rpm}, {@code tpm}: non-negative, default 0 = none),
 *       {@code models} and the option keys its plugin declares, which arrive in
 *       {@link dev.chatrouter.api.spi.ProviderSpec#options()} as String, Long, Double, Boolean, List or Map.
 *       A model is {@code upstream} (default: its id), {@code price} ({@code input} and {@code output} required
 *       when a price is given; {@code cached_input} and {@code cache_write} default to {@code input}; no price:
 *       free), {@code context_window} and {@code max_output_tokens} (default 0 = unknown) and
 *       {@code capabilities}; an empty model entry takes every default.</li>
 *   <li>{@code routes}: by intent id, each with {@code match}, {@code base_type} ({@code flash} or {@code pro},
 *       default {@code pro}), {@code pools} (required; keyed by request type or {@code *}; each with
 *       {@code policy}, the name of an installed routing policy, default {@code priority}, and {@code targets},
 *       each {@code provider/model} or <code>{ target: provider/model, weight: N }</code>), {@code fallback} (each key defaults as in
 *       {@link dev.chatrouter.api.config.FallbackConfig#DEFAULTS}) and {@code hedge_after_ms} (default 0).</li>
 *   <li>{@code default_route}: the id of a route.</li>
 *   <li>{@code accounting}: where budgets and rate limits are counted: {@code store} ({@code memory},
 *       {@code durable}, {@code redis} or another installed {@link dev.chatrouter.api.spi.AccountingStoreFactory};
 *       checked when the router is built), {@code path}, {@code flush_interval}, {@code lease},
 *       {@code on_store_failure} and {@code rate_limits_on_store_failure} ({@code closed} or {@code open}) and
 *       {@code redis} ({@code url}, {@code key_prefix}, {@code command_timeout}).</li>
 *   <li>{@code server}: accepted and <em>ignored here</em>: the HTTP module ({@code router-vertx-http}) reads
 *       that section itself, {@code ${VAR}} references included.</li>
 * </ul>
 * Any other key is an error that lists the accepted ones. A key given twice in
 * one map is an error. An explicit {@code null} (an empty value in YAML) is the same as leaving the key out.
 *
 * <p>Environment: {@code ${NAME}} and {@code ${NAME:-default}} are replaced in every string value (not in keys),
 * also inside a longer string ({@code "Bearer ${TOKEN}"}), after parsing, so a value can never change the
 * file's structure. The default applies when the variable is unset or empty; a default cannot contain
 * <code>}</code>. A reference to an unset variable without a default is an error. A whole-number or number field
 * may be given as a reference ({@code max_connections: ${MAX_CONNECTIONS}}); plugin options keep the substituted
 * text as a string.
 *
 * <p>Secrets: the values of {@code api_key} and {@code headers}, and every value that came from a substitution,
 * are never shown in a message.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * Reads, checks and {@linkplain #validate validates} a YAML or JSON file (told apart by content), encoded in
     * UTF-8. Messages name the file as {@code file.toString()}.
     *
     * @param environment where {@code ${VAR}} is looked up
     * @param plugins     the installed plugins
     * @throws ConfigurationException if the file cannot be read or the configuration is wrong
     */
    public static RouterConfig load(Path file, Map<String, String> environment, PluginCatalog plugins) {
        return read(file, environment, plugins, true);
    }

    /**
     * Reads and checks a file like {@link #load}, but leaves the cross-reference checks of {@link #validate} to
     * the caller: for a file that the builder completes with providers or routes given in code.
     *
     * @throws ConfigurationException if the file cannot be read or an entry is wrong
     */
    public static RouterConfig loadPart(Path file, Map<String, String> environment, PluginCatalog plugins) {
        return read(file, environment, plugins, false);
    }

    private static RouterConfig read(Path file, Map<String, String> environment, PluginCatalog plugins,
                                     boolean validate) {
        Objects.requireNonNull(file, "file");
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigurationException(source, null, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new ConfigurationException(source, null, "permission denied", e);
        } catch (IOException e) {
            throw new ConfigurationException(source, null, "cannot be read as UTF-8 text ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        return parse(source, text, environment, plugins, validate);
    }

    /**
     * Every key this loader accepts, as paths such as {@code providers.<id>.models.<id>.price.input} or
     * {@code budgets[].scope} ({@code <id>} stands for a name the file chooses, {@code []} for a list element).
     * The {@code server} section's keys belong to the HTTP module, and plugin options to their plugins.
     */
    public static List<String> keyPaths() {
        return ConfigReader.keyPaths();
    }

    /**
     * Reads, checks and {@linkplain #validate validates} YAML or JSON text (told apart by content).
     *
     * @param sourceName  what messages call the text, usually its file name
     * @param environment where {@code ${VAR}} is looked up
     * @param plugins     the installed plugins
     * @throws ConfigurationException if the configuration is wrong
     */
    public static RouterConfig parse(String sourceName, String text, Map<String, String> environment,
                                     PluginCatalog plugins) {
        return parse(sourceName, text, environment, plugins, true);
    }

    private static RouterConfig parse(String sourceName, String text, Map<String, String> environment,
                                      PluginCatalog plugins, boolean validate) {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(plugins, "plugins");
        Set<String> substituted = new HashSet<>();
        // the HTTP server reads the server section, and substitutes its references, itself
        JsonNode tree = ConfigFiles.parse(sourceName, text, environment, substituted, "server");
        RouterConfig config = new ConfigReader(plugins).read(ConfigNode.root(sourceName, tree, substituted));
        if (validate) {
            new ConfigValidator(sourceName, plugins, substituted).validate(config);
        }
        return config;
    }

    /**
     * Checks what a whole configuration must satisfy, wherever it came from: at least one provider and one route;
     * provider ids without {@code /}; plugin types that an installed plugin provides, with only the option keys
     * it declares; positive timeouts and non-negative limits and sizes; pools keyed by a request type or
     * {@code *}, with an installed routing policy and targets naming a defined provider and one of its models,
     * each once; no match id (not a glob) that is another route's id or match id; and a defined
     * {@code default_route}. Paths are written as in a file ({@code routes.di.pools.code.targets[1]}).
     *
     * @param sourceName what messages call the configuration: the file name, or {@code builder}
     * @param plugins    the installed plugins and routing policies
     * @throws ConfigurationException at the first problem found
     */
    public static void validate(RouterConfig config, String sourceName, PluginCatalog plugins) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(plugins, "plugins");
        new ConfigValidator(sourceName, plugins, Set.of()).validate(config);
    }
}
