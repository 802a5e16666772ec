package dev.chatrouter.http;

import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.core.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md and the loaders agree key for key: every key the configuration accepts (core's sections,
 * the server section, every installed plugin's options) is documented, and every documented key is accepted.
 */
class ConfigurationReferenceTest {

    private static final Pattern ROW = Pattern.compile("(?m)^\\| `([^`]+)` \\|");

    @Test
    void everyAcceptedKeyIsDocumentedAndEveryDocumentedKeyIsAccepted() throws IOException {
        Set<String> accepted = new TreeSet<>(ConfigLoader.keyPaths());
        accepted.add("server");
        ServerSettings.KEYS.forEach(k -> accepted.add("server." + k));
        ServerSettings.VIRTUAL_KEY_KEYS.forEach(k -> accepted.add("server.keys.<id>." + k));
        ServerSettings.RELOAD_KEYS.forEach(k -> accepted.add("server.reload." + k));
        for (ProviderFactory plugin : ServiceLoader.load(ProviderFactory.class)) {
            plugin.optionKeys().forEach(k -> accepted.add("providers.<id>." + k));
        }

        Set<String> documented = new TreeSet<>();
        Matcher m = ROW.matcher(Files.readString(reference()));
        while (m.find()) {
            documented.add(m.group(1));
        }

        assertThat(documented).as("documented in docs/configuration.md but not accepted")
                .isSubsetOf(accepted);
        assertThat(accepted).as("accepted but not documented in docs/configuration.md")
                .isSubsetOf(documented);
    }

    private static Path reference() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docs/configuration.md"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("docs/configuration.md above the working directory").isNotNull();
        return dir.resolve("docs/configuration.md");
    }
}
