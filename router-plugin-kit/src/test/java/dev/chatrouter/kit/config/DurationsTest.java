package dev.chatrouter.kit.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class DurationsTest {

    /** Each unit of the spec reads as that many of it. */
    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "30s, PT30S", "10m, PT10M", "1h, PT1H", "1d, PT24H", "0s, PT0S"})
    void readsEveryUnit(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    /** Anything but a whole number followed directly by a unit is refused, saying what was expected. */
    @ParameterizedTest
    @ValueSource(strings = {"", "30", "s", "1.5s", "-1s", "5w", "30 s", " 30s", "30S", "1h30m", "PT30S"})
    void refusesWhatIsNotADuration(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parse(text))
                .withMessageContaining("'" + text + "'")
                .withMessageContaining("expected a whole number followed by ms, s, m, h or d");
    }

    /** A number too large for a Duration is refused rather than wrapped around. */
    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999ms", "9999999999999999d"})
    void refusesOverflow(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.parse(text))
                .withMessageContaining("too large");
    }
}
