package dev.chatrouter.http;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.kit.config.ConfigFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code server.responses_ttl}: seven days by default, from one minute to a year, refused outside naming the key. */
class ResponsesTtlSettingTest {

    @TempDir
    Path dir;

    private ServerSettings read(String server) throws Exception {
        Path file = dir.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(file, "server:\n" + server);
        return ServerSettings.read(ConfigFiles.section(file, "server", Map.of()));
    }

    /** Proves the default is seven days, and a value in bounds is taken as written. */
    @Test
    void defaultsToSevenDaysAndTakesAValueInBounds() throws Exception {
        assertThat(read("  port: 0\n").responsesTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(read("  responses_ttl: 30d\n").responsesTtl()).isEqualTo(Duration.ofDays(30));
        assertThat(read("  responses_ttl: 1m\n").responsesTtl()).isEqualTo(Duration.ofMinutes(1));
    }

    /** Proves a TTL below a minute or above a year is refused, naming the key and the value. */
    @Test
    void outOfBoundsIsRefusedNamingTheKey() {
        for (String bad : new String[] {"0s", "59s", "366d"}) {
            assertThatThrownBy(() -> read("  responses_ttl: " + bad + "\n"))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("server.responses_ttl")
                    .hasMessageContaining("from 1m to 365d")
                    .hasMessageContaining(bad);
        }
    }

    /** Proves the removed responses_max_stored is an unknown key now, not silently ignored. */
    @Test
    void responsesMaxStoredIsNoLongerAKey() {
        assertThatThrownBy(() -> read("  responses_max_stored: 10\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("responses_max_stored");
    }
}
