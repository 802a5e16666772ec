package dev.chatrouter.kit.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatrouter.api.ConfigurationException;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in every string value of a parsed tree (keys are left
 * alone), anywhere in the string. As in a POSIX shell, the default is used when the variable is unset or empty.
 * The paths of the values it changed are recorded so that they are never shown in a message.
 */
final class Substitution {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String source;
    private final Map<String, String> environment;
    private final Set<String> substitutedPaths;

    Substitution(String source, Map<String, String> environment, Set<String> substitutedPaths) {
        this.source = source;
        this.environment = environment;
        this.substitutedPaths = substitutedPaths;
    }

    /** A copy of {@code node}, found at {@code path}, with every reference replaced. */
    JsonNode apply(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                copy.set(e.getKey(), apply(e.getValue(), ConfigNode.child(path, e.getKey())));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode(node.size());
            for (int i = 0; i < node.size(); i++) {
                copy.add(apply(node.get(i), ConfigNode.element(path, i)));
            }
            return copy;
        }
        if (node.isTextual() && node.textValue().contains("${")) {
            substitutedPaths.add(path);
            return JsonNodeFactory.instance.textNode(substitute(node.textValue(), path));
        }
        return node;
    }

    private String substitute(String text, String path) {
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (int start = text.indexOf("${"); start >= 0; start = text.indexOf("${", from)) {
            out.append(text, from, start);
            int end = text.indexOf('}', start + 2);
            if (end < 0) {
                throw new ConfigurationException(source, path,
                        "a '${' is not closed: expected ${NAME} or ${NAME:-default}");
            }
            String reference = text.substring(start + 2, end);
            int dash = reference.indexOf(":-");
            String name = dash < 0 ? reference : reference.substring(0, dash);
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationException(source, path, "a '${...}' reference is malformed:"
                        + " expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and '_'");
            }
            String value = environment.get(name);
            if (dash >= 0 && (value == null || value.isEmpty())) {
                value = reference.substring(dash + 2);
            }
            if (value == null) {
                throw new ConfigurationException(source, path, "environment variable " + name
                        + " is not set and the reference has no default (write ${" + name + ":-default} to give one)");
            }
            out.append(value);
            from = end + 1;
        }
        return out.append(text, from, text.length()).toString();
    }
}
