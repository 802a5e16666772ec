package dev.chatrouter.kit.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatrouter.api.ConfigurationException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Reading one section of a configuration file, for modules and plugins that own a section of their own. */
public final class ConfigFiles {

    private ConfigFiles() {
    }


    /**
     * One top-level section of a file, with {@code ${VAR}} substituted, for modules that read their own section
     * (the HTTP server reads {@code server}). Its readers' errors name the file and the path as the router's
     * loader does. An absent section is an absent node.
     *
     * @throws ConfigurationException if the file cannot be read or parsed, or a variable is missing
     */
    public static ConfigNode section(Path file, String name, Map<String, String> environment) {
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigurationException(source, null, "cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
        JsonNode tree = TreeParser.parse(source, text);
        JsonNode section = tree == null ? null : tree.get(name);
        Set<String> substituted = new HashSet<>();
        if (section != null) {
            section = new Substitution(source, environment, substituted).apply(section, name);
        }
        return ConfigNode.root(source, tree, substituted).withChild(name, section);
    }

    /**
     * A whole configuration text (YAML or JSON, told apart by content) as a tree, without the named top-level
     * sections (their owners read them with {@link #section}), with {@code ${VAR}} substituted.
     *
     * @param substituted receives the paths whose values came from the environment (never shown in messages)
     * @throws ConfigurationException if the text cannot be parsed or a variable is missing
     */
    public static JsonNode parse(String source, String text, Map<String, String> environment, Set<String> substituted,
                                 String... without) {
        JsonNode tree = TreeParser.parse(source, text);
        if (tree instanceof ObjectNode object) {
            for (String name : without) {
                object.remove(name);
            }
        }
        return new Substitution(source, environment, substituted).apply(tree, "");
    }
}
