package dev.chatrouter.store.redis;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configuration is checked when it is made, and never shows a password. */
class RedisStoreConfigTest {

    @Test
    void defaultsAndSettings() {
        RedisStoreConfig config = RedisStoreConfig.of("redis://10.0.0.5/2");

        assertThat(config.keyPrefix()).isEqualTo("chatrouter:");
        assertThat(config.commandTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.address()).isEqualTo("10.0.0.5:6379");
        assertThat(config.withKeyPrefix("p:").withCommandTimeout(Duration.ofMillis(250)))
                .isEqualTo(new RedisStoreConfig("redis://10.0.0.5/2", "p:", Duration.ofMillis(250)));
    }

    @Test
    void wrongValuesAreRefusedWithWhatWasWrong() {
        assertThatThrownBy(() -> RedisStoreConfig.of("http://localhost:6379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://");
        assertThatThrownBy(() -> RedisStoreConfig.of("redis:///0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
        assertThatThrownBy(() -> RedisStoreConfig.of("redis://h").withKeyPrefix(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
        assertThatThrownBy(() -> RedisStoreConfig.of("redis://h").withCommandTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
    }

    @Test
    void thePasswordNeverShows() {
        RedisStoreConfig config = RedisStoreConfig.of("redis://user:s3cret@h:6380/1");

        assertThat(config.toString()).doesNotContain("s3cret").contains("***@h:6380");
        assertThatThrownBy(() -> RedisStoreConfig.of("rediz://user:s3cret@h"))
                .hasMessageNotContaining("s3cret");
    }
}
