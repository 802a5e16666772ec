package dev.chatrouter.http;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.kit.config.ConfigFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code server.keys}: every virtual key's secret is its own, so a request's key names one virtual key. */
class VirtualKeysSettingTest {

    @TempDir
    Path dir;

    private ServerSettings read(String server) throws Exception {
        Path file = dir.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(file, "server:\n" + server);
        return ServerSettings.read(ConfigFiles.section(file, "server", Map.of()));
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
}
