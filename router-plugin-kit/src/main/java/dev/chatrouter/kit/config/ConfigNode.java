package dev.chatrouter.kit.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatrouter.api.ConfigurationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A node of the parsed configuration tree with its path ({@code routes.di.pools.code.targets[1]}), and typed
 * readers whose failures name the source, the path, what was expected and what was found.
 *
 * <p>An explicit {@code null} (or an empty value in YAML) counts as absent. A value is never shown in a message
 * when the node is secret ({@code api_key}, {@code headers}) or came from a {@code ${VAR}} substitution.
 */
public final class ConfigNode {

    private final String source;
    private final Set<String> hiddenPaths;
    private final JsonNode node;
    private final String path;
    private final boolean secret;

    private ConfigNode(String source, Set<String> hiddenPaths, JsonNode node, String path, boolean secret) {
        this.source = source;
        this.hiddenPaths = hiddenPaths;
        this.node = node;
        this.path = path;
        this.secret = secret;
    }

    /** The root of a tree; {@code hiddenPaths} are the paths of values that must never be shown. */
    public static ConfigNode root(String source, JsonNode node, Set<String> hiddenPaths) {
        return new ConfigNode(source, hiddenPaths, node, "", false);
    }

    /** A node standing for {@code key} under this one, holding {@code value} (for a section read apart). */
    ConfigNode withChild(String key, JsonNode value) {
        return new ConfigNode(source, hiddenPaths, value, child(path, key), secret);
    }

    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public static String element(String path, int index) {
        return path + "[" + index + "]";
    }

    public String path() {
        return path;
    }

    public boolean isAbsent() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    /** This node, marked so that no value in it is ever shown in a message. */
    public ConfigNode secret() {
        return new ConfigNode(source, hiddenPaths, node, path, true);
    }

    /**
     * An error at this node. Whatever {@code problem} says, the values of secret or substituted nodes at or under
     * this one are replaced by {@code (hidden)}, so a message taken from a parser that quotes its input (a
     * duration's, a scope's) shows no value from the environment.
     */
    public ConfigurationException error(String problem) {
        return new ConfigurationException(source, path.isEmpty() ? null : path, redacted(problem));
    }

    private String redacted(String problem) {
        List<String> values = new ArrayList<>();
        hiddenValues(node, path, secret, values);
        // a short value only where it is quoted, so that a substituted "1" does not blank every digit of the message
        return Redaction.hide(problem, values.stream().filter(v -> v.length() >= 4).toList(), values);
    }

    private void hiddenValues(JsonNode at, String atPath, boolean secretHere, List<String> into) {
        if (at == null) {
            return;
        }
        boolean hide = secretHere || hiddenPaths.contains(atPath);
        if (at.isObject()) {
            for (Map.Entry<String, JsonNode> e : at.properties()) {
                hiddenValues(e.getValue(), child(atPath, e.getKey()), hide, into);
            }
        } else if (at.isArray()) {
            for (int i = 0; i < at.size(); i++) {
                hiddenValues(at.get(i), element(atPath, i), hide, into);
            }
        } else if (hide && at.isValueNode() && !at.asText().isEmpty()) {
            into.add(at.asText());
        }
    }

    /** The child under {@code key}; absent when this node is absent or has no such key. */
    public ConfigNode field(String key) {
        JsonNode child = node != null && node.isObject() ? node.get(key) : null;
        return new ConfigNode(source, hiddenPaths, child, child(path, key), secret);
    }

    /**
     * Checks that this node, when present, is a map whose keys are all in {@code accepted}.
     *
     * @return this node
     */
    public ConfigNode object(String what, Collection<String> accepted) {
        if (isAbsent()) {
            return this;
        }
        requireMap(what);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = e.getKey();
            if (!accepted.contains(key)) {
                throw field(key).error("unknown key '" + key + "'; accepted keys: " + String.join(", ", accepted));
            }
        }
        return this;
    }

    /** The entries of a map keyed by ids, in file order; empty when absent. */
    public Map<String, ConfigNode> entries(String what) {
        if (isAbsent()) {
            return Map.of();
        }
        requireMap(what);
        Map<String, ConfigNode> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            entries.put(e.getKey(), new ConfigNode(source, hiddenPaths, e.getValue(), child(path, e.getKey()), secret));
        }
        return entries;
    }

    /** The elements of a list; empty when absent. */
    public List<ConfigNode> elements(String what) {
        if (isAbsent()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw mismatch(what);
        }
        List<ConfigNode> elements = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            elements.add(new ConfigNode(source, hiddenPaths, node.get(i), element(path, i), secret));
        }
        return elements;
    }

    public boolean isString() {
        return node != null && node.isTextual();
    }

    public boolean isMap() {
        return node != null && node.isObject();
    }

    /** The string here, or {@code fallback} when absent. */
    public String string(String fallback) {
        if (isAbsent()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw mismatch("a string");
        }
        return node.textValue();
    }

    /** The boolean here ({@code true}/{@code false}, or such text from a substitution), or {@code fallback}. */
    public boolean bool(boolean fallback) {
        if (isAbsent()) {
            return fallback;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual() && hidden()) {
            String text = node.textValue().trim();
            if (text.equals("true") || text.equals("false")) {
                return Boolean.parseBoolean(text);
            }
        }
        throw mismatch("true or false");
    }

    /**
     * The duration here ({@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d}; see {@link Durations}),
     * or {@code fallback} when absent.
     */
    public Duration duration(Duration fallback) {
        if (isAbsent()) {
            return fallback;
        }
        try {
            return Durations.parse(requiredString());
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    /** The string here, which must be present. */
    public String requiredString() {
        requirePresent("a string");
        return string(null);
    }

    /** The integer here, at least {@code min} (0 or 1), or {@code fallback} when absent. */
    public int integer(int min, int fallback) {
        if (isAbsent()) {
            return fallback;
        }
        long value = wholeNumber(min, Integer.MAX_VALUE);
        return (int) value;
    }

    /** The whole number here, at least {@code min} (0 or 1), or {@code fallback} when absent. */
    public long longInteger(long min, long fallback) {
        if (isAbsent()) {
            return fallback;
        }
        return wholeNumber(min, Long.MAX_VALUE);
    }

    /** The finite number here, at least 0 (or above 0 when {@code positive}), or {@code fallback} when absent. */
    public double number(boolean positive, double fallback) {
        if (isAbsent()) {
            return fallback;
        }
        String expected = positive ? "a positive number" : "a non-negative number";
        double value;
        if (node.isNumber()) {
            value = node.doubleValue();
        } else if (node.isTextual() && hidden()) {
            try {
                value = Double.parseDouble(node.textValue().trim());
            } catch (NumberFormatException e) {
                throw mismatch(expected);
            }
        } else {
            throw mismatch(expected);
        }
        if (!Double.isFinite(value) || value < 0 || (positive && value == 0)) {
            throw mismatch(expected);
        }
        return value;
    }

    /** The value converted to plain Java: String, Long, Double, Boolean, List, Map or null. */
    public Object plain() {
        if (isAbsent()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw mismatch("a number that fits in 64 bits");
            }
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            for (ConfigNode element : elements("a list")) {
                list.add(element.plain());
            }
            return Collections.unmodifiableList(list);
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            entries("a map").forEach((key, value) -> map.put(key, value.plain()));
            return Collections.unmodifiableMap(map);
        }
        throw mismatch("a string, number, boolean, list or map");
    }

    public void requirePresent(String expected) {
        if (isAbsent()) {
            throw error("is required: expected " + expected);
        }
    }

    public void requireMap(String what) {
        if (!node.isObject()) {
            throw mismatch(what);
        }
    }

    /** An error saying {@code expected} and what was found. */
    public ConfigurationException mismatch(String expected) {
        return error("expected " + expected + " but found " + found());
    }

    /** A value for a message: quoted, or {@code (hidden)} when it is secret or came from the environment. */
    public String shown(String value) {
        return hidden() ? "(hidden)" : "'" + value + "'";
    }

    /** What this node holds, for a message; values of secret or substituted nodes are not shown. */
    public String found() {
        boolean hide = hidden();
        if (isAbsent()) {
            return "nothing";
        }
        if (node.isObject()) {
            return "a map";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isBoolean()) {
            return hide ? "a boolean" : "the boolean " + node.booleanValue();
        }
        if (node.isNumber()) {
            return hide ? "a number" : "the number " + node.asText();
        }
        if (node.isTextual()) {
            return hide ? "a string (hidden)" : "the string '" + node.textValue() + "'";
        }
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private boolean hidden() {
        return secret || hiddenPaths.contains(path);
    }

    private long wholeNumber(long min, long max) {
        String expected = min > 0 ? "a positive integer" : "a non-negative integer";
        long value;
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw mismatch(expected + " of at most " + max);
            }
            value = node.longValue();
        } else if (node.isTextual() && hidden()) {
            try {
                value = Long.parseLong(node.textValue().trim());
            } catch (NumberFormatException e) {
                throw mismatch(expected);
            }
        } else {
            throw mismatch(expected);
        }
        if (value < min) {
            throw mismatch(expected);
        }
        if (value > max) {
            throw mismatch(expected + " of at most " + max);
        }
        return value;
    }
}
