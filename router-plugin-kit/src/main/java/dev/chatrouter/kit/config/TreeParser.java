package dev.chatrouter.kit.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.chatrouter.api.ConfigurationException;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Parses configuration text into a tree, YAML or JSON by content, failing on duplicate keys. Error messages
 * give the line, column and path but never the text around them, which may hold a secret.
 */
final class TreeParser {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private TreeParser() {
    }

    /**
     * The tree of {@code text}, or a missing node when it holds no document. Text whose first character is
     * <code>{</code> or {@code [} is read as JSON, falling back to YAML's flow style when it is not JSON; JSON is
     * not read as YAML first because YAML forbids the tabs JSON files are often indented with.
     */
    static JsonNode parse(String source, String text) {
        String content = text.startsWith("\uFEFF") ? text.substring(1) : text;
        String start = content.stripLeading();
        if (start.startsWith("{") || start.startsWith("[")) {
            try {
                return read(JSON, content);
            } catch (JsonProcessingException jsonError) {
                if (isDuplicate(jsonError)) {
                    throw duplicate(source, jsonError);
                }
                try {
                    return read(YAML, content);
                } catch (JsonProcessingException yamlError) {
                    throw syntaxError(source, "JSON", jsonError);
                }
            }
        }
        try {
            return read(YAML, content);
        } catch (JsonProcessingException e) {
            throw isDuplicate(e) ? duplicate(source, e) : syntaxError(source, "YAML", e);
        }
    }

    private static JsonNode read(ObjectMapper mapper, String content) throws JsonProcessingException {
        return mapper.readTree(content);
    }

    private static boolean isDuplicate(JsonProcessingException e) {
        return e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field '");
    }

    private static ConfigurationException duplicate(String source, JsonProcessingException e) {
        String path = pathOf(e);
        return new ConfigurationException(source, path.isEmpty() ? null : path,
                "duplicate key: it is given more than once in the same map (line "
                        + e.getLocation().getLineNr() + ")", e);
    }

    private static ConfigurationException syntaxError(String source, String format, JsonProcessingException e) {
        String path = pathOf(e);
        String problem;
        int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
        if (e.getCause() instanceof MarkedYAMLException) {
            // snakeyaml's own message quotes the offending line: keep only its description of the problem
            MarkedYAMLException yaml = (MarkedYAMLException) e.getCause();
            problem = (yaml.getContext() == null ? "" : yaml.getContext() + ": ") + yaml.getProblem();
            Mark mark = yaml.getProblemMark();
            if (mark != null) {
                line = mark.getLine() + 1;
                column = mark.getColumn() + 1;
            }
        } else {
            // Jackson quotes the offending token, which may be a secret
            problem = String.valueOf(e.getOriginalMessage()).replaceAll("'[^']*'", "(…)");
        }
        return new ConfigurationException(source, path.isEmpty() ? null : path, "not valid " + format + " at line "
                + line + ", column " + column + ": " + problem, null);
    }

    /** The path where the parser was, in the form {@code routes.di.pools.code.targets[1]}. */
    private static String pathOf(JsonProcessingException e) {
        if (!(e instanceof StreamReadException) || !(((StreamReadException) e).getProcessor() instanceof JsonParser)) {
            return "";
        }
        JsonStreamContext context = ((JsonParser) ((StreamReadException) e).getProcessor()).getParsingContext();
        return pathOf(context);
    }

    private static String pathOf(JsonStreamContext context) {
        if (context == null || context.inRoot()) {
            return "";
        }
        String parent = pathOf(context.getParent());
        if (context.inArray()) {
            return ConfigNode.element(parent, Math.max(context.getCurrentIndex(), 0));
        }
        return context.getCurrentName() == null ? parent : ConfigNode.child(parent, context.getCurrentName());
    }
}
