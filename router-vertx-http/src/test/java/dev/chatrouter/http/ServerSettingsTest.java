package dev.chatrouter.http;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.kit.config.ConfigFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code server} section: each virtual key has a secret of its own, and a value from the environment is never
 * shown in an error.
 */
class ServerSettingsTest {

    @TempDir
    Path dir;

    private ServerSettings read(String server) throws Exception {
        return read(server, Map.of());
    }

    private ServerSettings read(String server, Map<String, String> env) throws Exception {
        Path file = dir.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(file, "server:\n" + server);
        return ServerSettings.read(ConfigFiles.section(file, "server", env));
    }

    /** Proves two keys with different secrets are both read, in order. */
    @Test
    void distinctSecretsAreRead() throws Exception {
        ServerSettings settings = read("  keys:\n"
                + "    team-a: {key: sk-a, routes: [r1]}\n"
                + "    team-b: {key: sk-b}\n");
        assertThat(settings.keys()).containsOnlyKeys("team-a", "team-b");
    }

    /** Proves two keys with the same secret are refused naming both, and the secret is not shown. */
    @Test
    void theSameSecretTwiceIsRefusedWithoutShowingIt() {
        assertThatThrownBy(() -> read("  keys:\n"
                + "    team-a: {key: sk-same, routes: [r1]}\n"
                + "    team-b: {key: sk-same, routes: [r2]}\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("server.keys.team-b")
                .hasMessageContaining("team-a")
                .hasMessageNotContaining("sk-same");
    }

    /** Proves a plain key and a digest of the same secret are the same key too. */
    @Test
    void aPlainKeyAndItsDigestAreTheSameKey() {
        assertThatThrownBy(() -> read("  keys:\n"
                + "    team-a: {key: sk-same}\n"
                + "    team-b: {key_sha256: 90b34b0059b596e9b9c0dbde42a51ef904d2da8f53267cfeaf2bcee039d03704}\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("server.keys.team-b")
                .hasMessageContaining("team-a");
    }

    /** Proves a server setting read from the environment and refused is not shown in the error. */
    @Test
    void valuesFromTheEnvironmentAreNotShownWhenRefused() {
        Map<String, String> env = Map.of("GRACE", "sk-env-grace", "TTL", "10s", "POLL", "50ms", "WARM", "2m",
                "BASE", "/sk-env-path/");
        for (String server : List.of("  shutdown_grace: ${GRACE}\n", "  responses_ttl: ${TTL}\n",
                "  reload: {interval: \"${POLL}\"}\n", "  warmup: ${WARM}\n", "  base_paths: [\"${BASE}\"]\n")) {
            assertThatThrownBy(() -> read(server, env)).as(server)
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("(hidden)")
                    .hasMessageNotContaining("sk-env").hasMessageNotContaining("10s").hasMessageNotContaining("50ms")
                    .hasMessageNotContaining("2m");
        }
    }
}
