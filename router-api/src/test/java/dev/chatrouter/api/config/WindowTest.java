package dev.chatrouter.api.config;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Window starts and ends, against the calendar arithmetic of {@link ZonedDateTime} in UTC. */
class WindowTest {

    /** Proves a month starts on its first at midnight UTC and ends on the next month's first, leap years included. */
    @Test
    void monthsMatchTheUtcCalendar() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 50_000; i++) {
            // from 1900 to 2200, to the nanosecond
            Instant at = Instant.ofEpochSecond(random.nextLong(-2_208_988_800L, 7_258_118_400L),
                    random.nextInt(1_000_000_000));
            Instant expected = ZonedDateTime.ofInstant(at, ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS)
                    .withDayOfMonth(1).toInstant();
            assertThat(Window.MONTH.start(at)).as("start of %s", at).isEqualTo(expected);
            assertThat(Window.MONTH.next(expected)).as("next after %s", expected)
                    .isEqualTo(ZonedDateTime.ofInstant(expected, ZoneOffset.UTC).plusMonths(1).toInstant());
        }
        assertThat(Window.MONTH.start(Instant.parse("2024-02-29T23:59:59.999Z")))
                .isEqualTo(Instant.parse("2024-02-01T00:00:00Z"));
        assertThat(Window.MONTH.next(Instant.parse("2024-02-01T00:00:00Z")))
                .isEqualTo(Instant.parse("2024-03-01T00:00:00Z"));
        assertThat(Window.MONTH.start(Instant.parse("1969-12-31T23:59:59Z")))
                .isEqualTo(Instant.parse("1969-12-01T00:00:00Z"));
    }

    /** Proves minutes, hours and days start at their truncation and end one unit later. */
    @Test
    void shorterWindowsTruncate() {
        Instant at = Instant.parse("2026-12-03T14:37:21.5Z");
        assertThat(Window.MINUTE.start(at)).isEqualTo(Instant.parse("2026-12-03T14:37:00Z"));
        assertThat(Window.HOUR.start(at)).isEqualTo(Instant.parse("2026-12-03T14:00:00Z"));
        assertThat(Window.DAY.start(at)).isEqualTo(Instant.parse("2026-12-03T00:00:00Z"));
        assertThat(Window.DAY.next(Window.DAY.start(at))).isEqualTo(Instant.parse("2026-12-04T00:00:00Z"));
    }
}
