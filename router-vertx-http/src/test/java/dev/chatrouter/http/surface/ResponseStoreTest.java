package dev.chatrouter.http.surface;

import dev.chatrouter.api.chat.Message;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The in-memory response store forgets entries at their TTL and past its size bound, oldest first. */
class ResponseStoreTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** An entry is there until its TTL has passed, then gone. */
    @Test
    void entriesExpireAtTheirTtl() {
        ManualClock clock = new ManualClock();
        ResponseStore store = ResponseStore.inMemory(Duration.ofMinutes(10), 100, clock);
        store.put("resp_1", List.of(Message.user("Hi")));

        clock.now = clock.now.plus(Duration.ofMinutes(9));
        assertThat(store.get("resp_1")).hasValueSatisfying(c -> assertThat(c).hasSize(1));
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertThat(store.get("resp_1")).isEmpty();
        assertThat(store.get("resp_unknown")).isEmpty();
    }

    /** Past maxEntries the oldest entry goes first. */
    @Test
    void theOldestGoesPastTheBound() {
        ResponseStore store = ResponseStore.inMemory(Duration.ofHours(1), 2, new ManualClock());
        store.put("a", List.of(Message.user("1")));
        store.put("b", List.of(Message.user("2")));
        store.put("c", List.of(Message.user("3")));

        assertThat(store.get("a")).isEmpty();
        assertThat(store.get("b")).isPresent();
        assertThat(store.get("c")).isPresent();
    }

    /** A TTL that is not positive or a bound below 1 is refused with what was wrong. */
    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> ResponseStore.inMemory(Duration.ZERO, 1, Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be positive");
        assertThatThrownBy(() -> ResponseStore.inMemory(Duration.ofHours(1), 0, Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEntries");
    }
}
